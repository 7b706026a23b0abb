/** The codec packages ship no TypeScript types; these say what the decode worker uses of them. */

interface EmscriptenFactoryOptions {
  locateFile?: (path: string, scriptDirectory: string) => string;
}

interface EmscriptenCodecDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

interface EmscriptenCodecExports {
  readonly JPEGDecoder?: new () => EmscriptenCodecDecoder;
  readonly JpegLSDecoder?: new () => EmscriptenCodecDecoder;
  readonly J2KDecoder?: new () => EmscriptenCodecDecoder;
  readonly HTJ2KDecoder?: new () => EmscriptenCodecDecoder;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecExports>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecExports>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecExports>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (options?: EmscriptenFactoryOptions) => Promise<EmscriptenCodecExports>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
