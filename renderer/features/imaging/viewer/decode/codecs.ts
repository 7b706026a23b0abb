/**
 * The compressed-pixel codecs behind one interface, so the decode worker loads the WASM builds
 * from the app's own assets and the unit tests load the same builds from node_modules.
 *
 * JPEG baseline/extended, 8-bit: @cornerstonejs/codec-libjpeg-turbo-8bit. JPEG extended, 12-bit
 * (process 4): dcmjs-codecs' build of IJG libjpeg 6b 12-bit (dcmtk's decoder, so the pixels equal
 * dcmdjpeg's). JPEG lossless: jpeg-lossless-decoder-js. JPEG-LS: @cornerstonejs/codec-charls.
 * JPEG 2000: @cornerstonejs/codec-openjpeg. HTJ2K (High-Throughput JPEG 2000):
 * @cornerstonejs/codec-openjph. The Emscripten builds share one decoder shape.
 */
import type { Context as DcmjsContext, NativeCodecs as DcmjsNativeCodecs } from 'dcmjs-codecs';

export interface CodecOutput {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitsPerSample: number;
  /** Samples, interleaved for colour; 8-bit in a Uint8Array, wider in a Uint16Array (unsigned containers). */
  readonly samples: Uint8Array | Uint16Array;
  /** The codec turned YCbCr into RGB itself (libjpeg-turbo for 3-component JPEG; OpenJPEG's MCT). */
  readonly convertedToRgb: boolean;
}

export interface FrameCodecs {
  /** JPEG baseline and extended, 8- or 12-bit (by the frame header's precision). */
  jpegBaseline(bytes: Uint8Array): Promise<CodecOutput>;
  jpegLossless(bytes: Uint8Array, bitsAllocated: number): Promise<CodecOutput>;
  jpegLs(bytes: Uint8Array): Promise<CodecOutput>;
  jpeg2000(bytes: Uint8Array): Promise<CodecOutput>;
  htj2k(bytes: Uint8Array): Promise<CodecOutput>;
}

/** The part of an Emscripten decoder class (JPEGDecoder, JpegLSDecoder, J2KDecoder) the viewer uses. */
interface EmscriptenDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

export interface EmscriptenCodecModule {
  readonly JPEGDecoder?: new () => EmscriptenDecoder;
  readonly JpegLSDecoder?: new () => EmscriptenDecoder;
  readonly J2KDecoder?: new () => EmscriptenDecoder;
  readonly HTJ2KDecoder?: new () => EmscriptenDecoder;
}

/** How to obtain each WASM module (once; the promise is kept). */
export interface CodecModuleLoaders {
  readonly libjpegTurbo: () => Promise<EmscriptenCodecModule>;
  readonly charls: () => Promise<EmscriptenCodecModule>;
  readonly openjpeg: () => Promise<EmscriptenCodecModule>;
  readonly openjph: () => Promise<EmscriptenCodecModule>;
  readonly jpegLossless: () => Promise<{ decode(bytes: Uint8Array, bitsAllocated: number): Uint8Array | Uint16Array }>;
  /** dcmjs-codecs' NativeCodecs, initialised (initializeDcmjsCodecs). */
  readonly dcmjsCodecs: () => Promise<DcmjsCodecs>;
}

export interface DcmjsCodecs {
  readonly NativeCodecs: typeof DcmjsNativeCodecs;
  readonly Context: typeof DcmjsContext;
}

/**
 * Initialises dcmjs-codecs with its .wasm bytes from `wasmBytes`. Its own loader fetches through
 * eval("fetch(…)") in a browser, which a CSP without 'unsafe-eval' forbids (and we never allow
 * it), so the bytes come from the caller instead: the worker fetches them from the app's assets,
 * the tests read them from node_modules. WebAssembly.instantiate then only needs 'wasm-unsafe-eval'.
 */
export async function initializeDcmjsCodecs(library: DcmjsCodecs, wasmBytes: () => Promise<ArrayBuffer>): Promise<DcmjsCodecs> {
  const codecs = library.NativeCodecs as unknown as { _getWebAssemblyBytes: () => Promise<ArrayBuffer> };
  codecs._getWebAssemblyBytes = wasmBytes;
  await library.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
  return library;
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    promise ??= load().catch((error: unknown) => {
      promise = null;
      throw error;
    });
    return promise;
  };
}

function runEmscripten(Decoder: (new () => EmscriptenDecoder) | undefined, bytes: Uint8Array, convertsColour: boolean): CodecOutput {
  if (Decoder === undefined) throw new Error('The codec module has no decoder class.');
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    // Copy out of the WASM heap before the decoder is deleted.
    const bytesCopy = decoded.slice();
    // OpenJPEG's build hands 8-bit output over as a Uint8ClampedArray: viewed as the Uint8Array it is declared to be.
    const samples = info.bitsPerSample > 8 ? new Uint16Array(bytesCopy.buffer, 0, bytesCopy.byteLength >> 1) : new Uint8Array(bytesCopy.buffer, 0, bytesCopy.byteLength);
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, samples, convertedToRgb: convertsColour && info.componentCount === 3 };
  } finally {
    decoder.delete();
  }
}

export function createFrameCodecs(loaders: CodecModuleLoaders): FrameCodecs {
  const libjpegTurbo = once(loaders.libjpegTurbo);
  const charls = once(loaders.charls);
  const openjpeg = once(loaders.openjpeg);
  const openjph = once(loaders.openjph);
  const lossless = once(loaders.jpegLossless);
  // A decoding error unwinds through dcmjs-codecs' WebAssembly and leaves that instance unusable
  // (its next call fails), so a failure drops the instance and the next frame gets a new one.
  let dcmjs: Promise<DcmjsCodecs> | null = null;
  const jpeg12 = async (bytes: Uint8Array, header: ReturnType<typeof readSofHeader>) => {
    const loading = (dcmjs ??= loaders.dcmjsCodecs());
    try {
      return decodeJpeg12(await loading, bytes, header);
    } catch (error) {
      if (dcmjs === loading) dcmjs = null;
      throw error;
    }
  };
  return {
    async jpegBaseline(bytes) {
      const header = readSofHeader(bytes);
      if (header.precision > 8) return jpeg12(bytes, header);
      // libjpeg-turbo outputs RGB for 3-component JPEG (its default colour conversion from YCbCr).
      return runEmscripten((await libjpegTurbo()).JPEGDecoder, bytes, true);
    },
    async jpegLs(bytes) {
      return runEmscripten((await charls()).JpegLSDecoder, bytes, false);
    },
    async jpeg2000(bytes) {
      // OpenJPEG applies the inverse multi-component transform (YBR_ICT / YBR_RCT) itself.
      const Decoder = (await openjpeg()).J2KDecoder;
      return decodeSigned8AsUnsigned(bytes, (codestream) => runEmscripten(Decoder, codestream, true));
    },
    async htj2k(bytes) {
      // OpenJPH applies the inverse colour transform (YBR_RCT / YBR_ICT) itself, as OpenJPEG does.
      const Decoder = (await openjph()).HTJ2KDecoder;
      return decodeSigned8AsUnsigned(bytes, (codestream) => runEmscripten(Decoder, codestream, true));
    },
    async jpegLossless(bytes, bitsAllocated) {
      const samples = (await lossless()).decode(bytes, bitsAllocated);
      const header = readSofHeader(bytes);
      return { width: header.width, height: header.height, components: header.components, bitsPerSample: header.precision, samples, convertedToRgb: false };
    },
  };
}

/**
 * The WASM builds of OpenJPEG and OpenJPH write 8-bit output as unsigned bytes and clamp a signed
 * component's negative values to 0. Signedness changes nothing in a JPEG 2000 codestream but the
 * DC level shift (ISO 15444-1 G.1.2): so an 8-bit signed component is decoded as unsigned (sign bit
 * cleared in SIZ), which gives value + 128 within 0..255, and flipping the top bit turns that into
 * the value's two's complement byte, which Pixel Representation 1 then reads. Exact for lossless;
 * a lossy value clamps at the same ends a signed decoder clamps at. Other codestreams pass as they are.
 */
function decodeSigned8AsUnsigned(bytes: Uint8Array, decode: (codestream: Uint8Array) => CodecOutput): CodecOutput {
  const siz = signed8Components(bytes);
  if (siz === null) return decode(bytes);
  const unsigned = bytes.slice();
  for (const component of siz.signed) unsigned[SIZ_COMPONENTS_AT + component * 3] = unsigned[SIZ_COMPONENTS_AT + component * 3]! & 0x7f;
  const output = decode(unsigned);
  // Samples are interleaved by component; anything else (an unexpected shape) is left as decoded.
  if (!(output.samples instanceof Uint8Array) || output.components !== siz.count) return output;
  const samples = output.samples.slice();
  const flip = siz.signed.length === siz.count ? null : new Set(siz.signed);
  for (let i = 0; i < samples.length; i++) if (flip === null || flip.has(i % siz.count)) samples[i] = samples[i]! ^ 0x80;
  return { ...output, samples };
}

/** Ssiz of component 0 in a codestream that starts SOC, SIZ: after Lsiz, Rsiz, eight 4-byte sizes and Csiz. */
const SIZ_COMPONENTS_AT = 42;

/** The components that are signed and at most 8 bits deep, or null when none are (or it is not a bare codestream). */
function signed8Components(bytes: Uint8Array): { count: number; signed: number[] } | null {
  if (bytes.length < SIZ_COMPONENTS_AT || bytes[0] !== 0xff || bytes[1] !== 0x4f || bytes[2] !== 0xff || bytes[3] !== 0x51) return null;
  const count = (bytes[40]! << 8) | bytes[41]!;
  if (bytes.length < SIZ_COMPONENTS_AT + count * 3) return null;
  const signed: number[] = [];
  for (let c = 0; c < count; c++) {
    const ssiz = bytes[SIZ_COMPONENTS_AT + c * 3]!;
    if ((ssiz & 0x80) !== 0 && (ssiz & 0x7f) + 1 <= 8) signed.push(c);
  }
  return signed.length === 0 ? null : { count, signed };
}

/** A 12-bit JPEG frame through IJG libjpeg 12-bit: samples in 16-bit containers, colour converted to RGB. */
function decodeJpeg12(library: DcmjsCodecs, bytes: Uint8Array, header: ReturnType<typeof readSofHeader>): CodecOutput {
  if (header.precision > 12) throw new Error(`A ${header.precision}-bit lossy JPEG frame: JPEG allows 8 or 12 bits.`);
  const colour = header.components === 3;
  const context = new library.Context({
    width: header.width,
    height: header.height,
    bitsAllocated: 16,
    bitsStored: header.precision,
    samplesPerPixel: header.components,
    // The decoder's own sample handling; the data set's Pixel Representation is applied afterwards.
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: colour ? 'YBR_FULL' : 'MONOCHROME2',
    encodedBuffer: bytes,
  });
  const decoded = library.NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: colour });
  const buffer = decoded.getDecodedBuffer();
  if (buffer === undefined) throw new Error('The 12-bit JPEG decoder returned no pixels.');
  // getDecodedBuffer is a copy out of the WASM heap; align it for a Uint16Array view.
  const aligned = buffer.byteOffset % 2 === 0 ? buffer : buffer.slice();
  const samples = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
  return { width: decoded.getWidth() ?? header.width, height: decoded.getHeight() ?? header.height, components: header.components, bitsPerSample: header.precision, samples, convertedToRgb: colour };
}

/** The frame header (SOFn) of a JPEG stream: precision, size and component count. */
export function readSofHeader(bytes: Uint8Array): { precision: number; height: number; width: number; components: number; marker: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) {
      at++;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      return { marker, precision: bytes[at + 4]!, height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]!, components: bytes[at + 9]! };
    }
    at += 2 + length;
  }
  throw new Error('No JPEG frame header (SOF) in the frame.');
}
