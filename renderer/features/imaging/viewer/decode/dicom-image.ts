import dicomParser, { type DataSet } from 'dicom-parser';
import { inflateSync } from 'fflate';
import { readablePart10LongVrs } from '../../../../../shared/dicom/long-vrs';
import { namesDeflatedSyntax, part10MetaEnd, withInflatedDataSet } from '../../../../../shared/dicom/part10';
import { BARE_DATASET_SYNTAXES, PIXEL_DATA } from '../../../../../shared/dicom/dicom-elements';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../../../../shared/dicom/transfer-syntax-uids';
import { lutFromDescriptor } from '../pixels/lut-data';
import type { FrameValues, LutData, ModalityTransform, PaletteData, PixelModule, VoiFunction, VoiTransform, WindowSetting } from '../pixels/pixel-module';
import { TRANSFER_SYNTAXES, type PixelEncoding } from './transfer-syntax';

/** What the viewer reads from one instance: its image (when it has pixel data), its kind, and the data set for the tag browser. */
export interface ParsedInstance {
  readonly dataSet: DataSet;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly image: ImageInfo | null;
}

export type SpacingSource = 'patient' | 'detector' | 'magnification';

export interface ImageInfo {
  readonly pixel: PixelModule;
  readonly encoding: PixelEncoding;
  readonly frames: number;
  readonly modality: ModalityTransform;
  readonly voi: VoiTransform;
  readonly palette: PaletteData | null;
  /** Row spacing then column spacing in mm (Pixel Spacing, else Imager Pixel Spacing), or null. */
  readonly pixelSpacing: readonly [number, number] | null;
  /**
   * Where the spacing came from (PS3.3 10.7.1.3): the patient (Pixel Spacing), the detector's front
   * plane (Imager Pixel Spacing alone: lengths overstate the anatomy by the radiographic
   * magnification), or Imager Pixel Spacing divided by the Estimated Radiographic Magnification Factor.
   */
  readonly spacingSource: SpacingSource | null;
  /** Frame Time (ms) for cine, or from Cine Rate / Recommended Display Frame Rate; null when none. */
  readonly frameTimeMs: number | null;
}

export class DicomImageError extends Error {
  override readonly name = 'DicomImageError';
}

/** An instance that cannot be read in ranges (a deflated data set is one stream): too large to view. */
export class NotReadableInParts extends DicomImageError {}

// Named once with the raw view's element reader (the same tag, the same guesses for a bare data set).
export { BARE_DATASET_SYNTAXES, PIXEL_DATA } from '../../../../../shared/dicom/dicom-elements';

/** PS3.5: a data set element's tag as dicom-parser names it. */
export const tagKey = (group: number, element: number): string => `x${group.toString(16).padStart(4, '0')}${element.toString(16).padStart(4, '0')}`;

class InflateFirst extends Error {
  constructor(readonly position: number) {
    super('inflate first');
  }
}

/**
 * A deflated data set's bytes inflated: with the platform's DecompressionStream (native), else with
 * fflate. DecompressionStream refuses any byte after the end of the deflate stream, and dcmtk pads
 * an odd-length stream with one NUL byte so the file's length is even (QA2-12 Q3: such instances
 * were stored but never drawn, "Failed to fetch"); fflate stops at the stream's last block.
 */
async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    try {
      return inflateSync(bytes);
    } catch {
      throw new DicomImageError('The deflated data set cannot be inflated: it is damaged or cut short.');
    }
  }
}

/**
 * Parses an instance with dicom-parser. Deflated data sets are inflated first with the platform's
 * DecompressionStream (dicom-parser's own inflater is synchronous and needs zlib or pako); data
 * sets without File Meta Information are tried as implicit, then explicit VR little endian.
 * `untilPixelData`: stop at the top-level Pixel Data element, whose header (offset, length) is
 * read but not its value: for the first part of an instance read in ranges (ranged-instance.ts).
 */
export async function parseInstance(original: Uint8Array, options: { readonly untilPixelData?: boolean } = {}): Promise<ParsedInstance> {
  let dataSet: DataSet;
  let assumed: string | null = null;
  // OV, SV and UV elements (an Extended Offset Table…) as OB for dicom-parser, their VR restored after (long-vrs.ts).
  const { bytes, rewritten } = readablePart10LongVrs(original);
  const until = options.untilPixelData === true ? { untilTag: PIXEL_DATA } : {};
  const metaEnd = part10MetaEnd(bytes);
  if (metaEnd !== null && namesDeflatedSyntax(bytes)) {
    // Inflated before dicom-parser sees it: the parser looks one element past the File Meta
    // Information, and compressed bytes there can read as a broken SQ (shared/dicom/part10.ts).
    if (options.untilPixelData === true) throw new NotReadableInParts('A deflated data set cannot be read in parts: it is too large to view.');
    const full = withInflatedDataSet(bytes, metaEnd, await inflateRaw(bytes.subarray(metaEnd)));
    dataSet = dicomParser.parseDicom(full, { inflater: () => full } as dicomParser.ParseDicomOptions);
    if (rewritten.size > 0) restoreVrs(dataSet, rewritten);
    return { dataSet, transferSyntaxUid: DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, sopClassUid: dataSet.string('x00080016') ?? '', image: readImageInfo(dataSet, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) };
  }
  try {
    dataSet = dicomParser.parseDicom(bytes, {
      ...until,
      inflater: (_array: Uint8Array, position: number) => {
        throw new InflateFirst(position);
      },
    });
  } catch (error) {
    if (error instanceof InflateFirst && options.untilPixelData === true) {
      throw new NotReadableInParts('A deflated data set cannot be read in parts: it is too large to view.');
    }
    if (error instanceof InflateFirst) {
      // A file without a File Meta Information group length: the parser found the deflate stream.
      const full = withInflatedDataSet(bytes, error.position, await inflateRaw(bytes.subarray(error.position)));
      dataSet = dicomParser.parseDicom(full, { inflater: () => full } as dicomParser.ParseDicomOptions);
    } else {
      ({ dataSet, uid: assumed } = parseWithoutMeta(bytes, error, until));
    }
  }
  if (rewritten.size > 0) restoreVrs(dataSet, rewritten);
  const transferSyntaxUid = (dataSet.string('x00020010') ?? assumed ?? IMPLICIT_VR_LITTLE_ENDIAN).trim();
  return { dataSet, transferSyntaxUid, sopClassUid: dataSet.string('x00080016') ?? '', image: readImageInfo(dataSet, transferSyntaxUid) };
}

/** Gives the elements read as OB their real VR back (a long VR's bytes sit 8 before its value). */
function restoreVrs(dataSet: DataSet, rewritten: ReadonlyMap<number, string>): void {
  for (const element of Object.values(dataSet.elements)) {
    const vr = rewritten.get(element.dataOffset - 8);
    if (vr !== undefined) element.vr = vr;
    for (const item of element.items ?? []) if (item.dataSet !== undefined) restoreVrs(item.dataSet, rewritten);
  }
}

function parseWithoutMeta(bytes: Uint8Array, original: unknown, until: { readonly untilTag?: string }): { dataSet: DataSet; uid: string } {
  for (const uid of BARE_DATASET_SYNTAXES) {
    try {
      const dataSet = dicomParser.parseDicom(bytes, { TransferSyntaxUID: uid, ...until });
      if (dataSet.string('x00080016') !== undefined || dataSet.elements[PIXEL_DATA] !== undefined) return { dataSet, uid };
    } catch {
      // The next guess.
    }
  }
  throw new DicomImageError(`Not a readable DICOM data set (${typeof original === 'string' ? original : original instanceof Error ? original.message : 'parse failed'}).`);
}

function numbers(dataSet: DataSet, tag: string): number[] {
  const count = dataSet.numStringValues(tag) ?? 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = dataSet.floatString(tag, i);
    if (value !== undefined && Number.isFinite(value)) out.push(value);
  }
  return out;
}

/** A LUT item (Modality LUT, VOI LUT, palette): descriptor US/SS ×3 and the data as 8 or 16-bit words. */
function readLut(dataSet: DataSet, descriptorTag: string, dataTag: string, firstMappedSigned: boolean): LutData | null {
  const descriptorElement = dataSet.elements[descriptorTag];
  const dataElement = dataSet.elements[dataTag];
  if (descriptorElement === undefined || dataElement === undefined || descriptorElement.length < 6) return null;
  const descriptor = [dataSet.uint16(descriptorTag, 0) ?? 0, dataSet.uint16(descriptorTag, 1) ?? 0, dataSet.uint16(descriptorTag, 2) ?? 16];
  const entries = descriptor[0] === 0 ? 65536 : descriptor[0]!;
  const bits = descriptor[2]!;
  const data: number[] = [];
  // Entries are 16-bit words unless the data holds exactly one byte per entry (8-bit LUTs in OB).
  const byteEntries = bits <= 8 && dataElement.length === entries;
  for (let i = 0; i < entries; i++) {
    if (byteEntries) data.push(dataSet.byteArray[dataElement.dataOffset + i] ?? 0);
    else data.push(dataSet.uint16(dataTag, i) ?? 0);
  }
  return lutFromDescriptor(descriptor, data, firstMappedSigned);
}

/** Two positive numbers of a multi-valued DS (a spacing), or null. */
function pairOf(dataSet: DataSet, tag: string): readonly [number, number] | null {
  const values = numbers(dataSet, tag);
  return values.length >= 2 && values[0]! > 0 && values[1]! > 0 ? [values[0]!, values[1]!] : null;
}

/** Rescale Slope and Intercept, or a Modality LUT Sequence (PS3.3 C.11.1), when the data set holds any. */
function modalityOf(dataSet: DataSet, signed: boolean): ModalityTransform | null {
  const lutItem = dataSet.elements['x00283000']?.items?.[0]?.dataSet;
  const slope = dataSet.floatString('x00281053');
  const intercept = dataSet.floatString('x00281052');
  const lut = lutItem === undefined ? null : readLut(lutItem, 'x00283002', 'x00283006', signed);
  if (lut === null && slope === undefined && intercept === undefined) return null;
  return { slope: slope !== undefined && Number.isFinite(slope) ? slope : 1, intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0, lut };
}

/** Window Centers and Widths with their explanations and function, and VOI LUTs (PS3.3 C.11.2), when the data set holds any. */
function voiOf(dataSet: DataSet): VoiTransform | null {
  const centers = numbers(dataSet, 'x00281050');
  const widths = numbers(dataSet, 'x00281051');
  const explanations = dataSet.string('x00281055')?.split('\\') ?? [];
  const windows: WindowSetting[] = [];
  centers.forEach((center, i) => {
    const width = widths[i] ?? widths[0];
    if (width !== undefined && width > 0) windows.push({ center, width, label: (explanations[i] ?? '').trim() || `Window ${i + 1}` });
  });
  const funcText = (dataSet.string('x00281056') ?? 'LINEAR').trim().toUpperCase();
  const func: VoiFunction = funcText === 'LINEAR_EXACT' || funcText === 'SIGMOID' ? funcText : 'LINEAR';
  const luts = (dataSet.elements['x00283010']?.items ?? [])
    .map((item) => (item.dataSet === undefined ? null : readLut(item.dataSet, 'x00283002', 'x00283006', false)))
    .filter((lut): lut is LutData => lut !== null);
  // The function alone still says how a window the user chooses is applied.
  return windows.length > 0 || luts.length > 0 || dataSet.elements['x00281056'] !== undefined ? { windows, func, luts } : null;
}

/** Shared Functional Groups Sequence and Per-frame Functional Groups Sequence (PS3.3 C.7.6.16). */
const SHARED_FUNCTIONAL_GROUPS = 'x52009229';
const PER_FRAME_FUNCTIONAL_GROUPS = 'x52009230';

/**
 * What one functional group item holds of the viewer's concern (PS3.3 C.7.6.16.2): Pixel Measures
 * (0028,9110) Pixel Spacing, Pixel Value Transformation (0028,9145) Rescale Slope and Intercept,
 * Frame VOI LUT (0028,9132) windows or VOI LUTs. Undefined when it holds none of these.
 */
export function functionalGroupValues(group: DataSet | undefined, signed: boolean): FrameValues | undefined {
  if (group === undefined) return undefined;
  const itemOf = (tag: string) => group.elements[tag]?.items?.[0]?.dataSet;
  const measures = itemOf('x00289110');
  const transformation = itemOf('x00289145');
  const voiItem = itemOf('x00289132');
  const pixelSpacing = measures === undefined ? null : pairOf(measures, 'x00280030');
  const modality = transformation === undefined ? null : modalityOf(transformation, signed);
  const voi = voiItem === undefined ? null : voiOf(voiItem);
  if (pixelSpacing === null && modality === null && voi === null) return undefined;
  return { ...(modality !== null && { modality }), ...(voi !== null && { voi }), ...(pixelSpacing !== null && { pixelSpacing }) };
}

/**
 * A frame's own values from the Per-frame Functional Groups Sequence (5200,9230), item `frame`:
 * read when the frame is decoded, from the data set already parsed (the sequence precedes Pixel
 * Data), so no per-frame table is built for thousands of frames.
 */
export function frameGroupValues(dataSet: DataSet, image: ImageInfo, frame: number): FrameValues | undefined {
  return functionalGroupValues(dataSet.elements[PER_FRAME_FUNCTIONAL_GROUPS]?.items?.[frame]?.dataSet, image.pixel.pixelRepresentation === 1);
}

function readImageInfo(dataSet: DataSet, transferSyntaxUid: string): ImageInfo | null {
  const pixelData = dataSet.elements[PIXEL_DATA];
  const rows = dataSet.uint16('x00280010');
  const columns = dataSet.uint16('x00280011');
  if (pixelData === undefined || rows === undefined || columns === undefined) return null;
  const syntax = TRANSFER_SYNTAXES[transferSyntaxUid];
  if (syntax === undefined) throw new DicomImageError(`The transfer syntax ${transferSyntaxUid} is not one the viewer decodes.`);
  const bitsAllocated = dataSet.uint16('x00280100') ?? 16;
  const pixelRepresentation = dataSet.uint16('x00280103') ?? 0;
  const pixel: PixelModule = {
    rows,
    columns,
    samplesPerPixel: dataSet.uint16('x00280002') ?? 1,
    photometric: (dataSet.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase(),
    bitsAllocated,
    bitsStored: dataSet.uint16('x00280101') ?? bitsAllocated,
    highBit: dataSet.uint16('x00280102') ?? (dataSet.uint16('x00280101') ?? bitsAllocated) - 1,
    pixelRepresentation,
    planarConfiguration: dataSet.uint16('x00280006') ?? 0,
  };
  const signed = pixelRepresentation === 1;
  // An enhanced image keeps these in its Shared Functional Groups (PS3.3 C.7.6.16); a frame's
  // Per-frame item, read as the frame is decoded (frameGroupValues), wins over both.
  const shared = functionalGroupValues(dataSet.elements[SHARED_FUNCTIONAL_GROUPS]?.items?.[0]?.dataSet, signed);
  const modality = shared?.modality ?? modalityOf(dataSet, signed) ?? { slope: 1, intercept: 0, lut: null };
  const voi = shared?.voi ?? voiOf(dataSet) ?? { windows: [], func: 'LINEAR', luts: [] };

  let palette: PaletteData | null = null;
  if (pixel.photometric === 'PALETTE COLOR') {
    const red = readLut(dataSet, 'x00281101', 'x00281201', false);
    const green = readLut(dataSet, 'x00281102', 'x00281202', false);
    const blue = readLut(dataSet, 'x00281103', 'x00281203', false);
    if (red === null || green === null || blue === null) throw new DicomImageError('A PALETTE COLOR image without its red, green and blue palettes.');
    palette = { red, green, blue };
  }

  const spacing = shared?.pixelSpacing ?? pairOf(dataSet, 'x00280030');
  const imagerSpacing = pairOf(dataSet, 'x00181164');
  const magnification = dataSet.floatString('x00181114');
  const corrected = imagerSpacing !== null && magnification !== undefined && magnification > 0 ? ([imagerSpacing[0] / magnification, imagerSpacing[1] / magnification] as const) : null;
  const frameTime = dataSet.floatString('x00181063');
  const cineRate = dataSet.intString('x00180040') ?? dataSet.intString('x00082144');

  return {
    pixel,
    encoding: syntax.encoding,
    frames: Math.max(1, dataSet.intString('x00280008') ?? 1),
    modality,
    voi,
    palette,
    pixelSpacing: spacing ?? corrected ?? imagerSpacing,
    spacingSource: spacing !== null ? 'patient' : corrected !== null ? 'magnification' : imagerSpacing !== null ? 'detector' : null,
    frameTimeMs: frameTime !== undefined && frameTime > 0 ? frameTime : cineRate !== undefined && cineRate > 0 ? 1000 / cineRate : null,
  };
}

/**
 * Where one native frame lies in the pixel data's value, in bytes from its start (PS3.5 8.1.1;
 * YBR_FULL_422 holds two samples per pixel; 1-bit frames are bit-packed and follow each other bit
 * by bit, so the span starts at the byte holding the frame's first bit: the decoder unpacks from
 * bit (frame × samples) mod 8).
 */
export function nativeFrameSpan(image: ImageInfo, frame: number): { readonly start: number; readonly end: number } {
  const { rows, columns, samplesPerPixel, bitsAllocated, photometric } = image.pixel;
  const samples = photometric === 'YBR_FULL_422' ? rows * columns * 2 : rows * columns * samplesPerPixel;
  if (bitsAllocated === 1) {
    const startBit = frame * samples;
    return { start: Math.floor(startBit / 8), end: Math.ceil((startBit + samples) / 8) };
  }
  const frameBytes = (samples * bitsAllocated) / 8;
  return { start: frame * frameBytes, end: (frame + 1) * frameBytes };
}

/** Bytes of one native frame (see nativeFrameSpan). */
export function nativeFrameBytes(dataSet: DataSet, image: ImageInfo, frame: number): Uint8Array {
  const element = dataSet.elements[PIXEL_DATA]!;
  const span = nativeFrameSpan(image, frame);
  const start = element.dataOffset + span.start;
  const end = element.dataOffset + span.end;
  if (image.pixel.bitsAllocated !== 1 && (end > element.dataOffset + element.length || end > dataSet.byteArray.length)) {
    throw new DicomImageError(`Frame ${frame + 1} lies beyond the end of the pixel data.`);
  }
  // A copy: the typed views built on it must start at an aligned offset.
  return dataSet.byteArray.slice(start, end);
}

/** Bytes of one compressed frame from encapsulated pixel data (PS3.5 A.4). */
export function encapsulatedFrameBytes(dataSet: DataSet, image: ImageInfo, frame: number): Uint8Array {
  const element = dataSet.elements[PIXEL_DATA]!;
  const fragments = element.fragments ?? [];
  if (!element.encapsulatedPixelData || fragments.length === 0) throw new DicomImageError('The pixel data of a compressed transfer syntax is not encapsulated.');
  if (image.frames === 1) return Uint8Array.from(dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, fragments.length));
  const table = element.basicOffsetTable ?? [];
  if (table.length > 0) return Uint8Array.from(dicomParser.readEncapsulatedImageFrame(dataSet, element, frame));
  if (fragments.length === image.frames) return Uint8Array.from(dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, frame, 1));
  if (image.encoding === 'jpeg-baseline' || image.encoding === 'jpeg-lossless') {
    return Uint8Array.from(dicomParser.readEncapsulatedImageFrame(dataSet, element, frame, dicomParser.createJPEGBasicOffsetTable(dataSet, element)));
  }
  throw new DicomImageError('The frames of this multi-frame image cannot be told apart (no offset table, and fragments do not match frames).');
}
