/**
 * What an image's Image Pixel module (PS3.3 C.7.6.3) and the modules around it say about its
 * pixels, as the viewer's pipeline needs it. Read from the data set by decode/dicom-image.ts.
 */

/** A LUT as PS3.3 C.11 describes it: descriptor (entries, first stored value mapped, bits) and data. */
export interface LutData {
  /** Number of entries (a descriptor's 0 means 65,536). */
  readonly entries: number;
  /** The first input value mapped; values below map to the first entry, above the last to the last. */
  readonly firstMapped: number;
  /** Bits per entry (8 or 16, sometimes 10–16). */
  readonly bits: number;
  readonly data: ArrayLike<number>;
}

export interface PaletteData {
  readonly red: LutData;
  readonly green: LutData;
  readonly blue: LutData;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface WindowSetting {
  readonly center: number;
  readonly width: number;
  /** The data set's explanation (e.g. "BRAIN"), or a preset's name. */
  readonly label: string;
}

export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /** Photometric Interpretation as written (e.g. MONOCHROME2, YBR_FULL_422, PALETTE COLOR). */
  readonly photometric: string;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: number;
  /** 0 colour-by-pixel (R1G1B1R2…), 1 colour-by-plane (RRR…GGG…BBB…). */
  readonly planarConfiguration: number;
}

export interface ModalityTransform {
  readonly slope: number;
  readonly intercept: number;
  /** A Modality LUT Sequence, which replaces slope and intercept when present. */
  readonly lut: LutData | null;
}

export interface VoiTransform {
  readonly windows: readonly WindowSetting[];
  readonly func: VoiFunction;
  /** VOI LUT Sequence entries (used when no window is chosen). */
  readonly luts: readonly LutData[];
}

/** Stored pixel values of one grayscale frame, signed or not as Pixel Representation says. */
export type StoredPixels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/**
 * What a functional group item of an enhanced image says (PS3.3 C.7.6.16): Pixel Measures (the
 * spacing), Pixel Value Transformation (the rescale) and Frame VOI LUT (the windows), each only
 * when the item holds that macro.
 */
export interface FrameValues {
  readonly modality?: ModalityTransform;
  readonly voi?: VoiTransform;
  readonly pixelSpacing?: readonly [number, number];
}

/**
 * One decoded frame: grayscale stored values, or colour already converted to interleaved 8-bit RGB.
 * `values`: an enhanced image's Per-frame Functional Groups for this frame, which win over the
 * image's (render-frame.ts frameImage); read as the frame is decoded, so nothing per frame is held
 * for frames not shown.
 */
export type DecodedFrame =
  | { readonly kind: 'gray'; readonly rows: number; readonly columns: number; readonly pixels: StoredPixels; readonly min: number; readonly max: number; readonly values?: FrameValues }
  | { readonly kind: 'rgb'; readonly rows: number; readonly columns: number; readonly pixels: Uint8Array; readonly values?: FrameValues };
