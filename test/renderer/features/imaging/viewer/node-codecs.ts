import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createFrameCodecs, initializeDcmjsCodecs, type DcmjsCodecs, type EmscriptenCodecModule, type FrameCodecs } from '../../../../../renderer/features/imaging/viewer/decode/codecs';

/**
 * The same codec builds the decode worker uses, loaded under Node: Emscripten finds its .wasm
 * beside its script; jpeg-lossless-decoder-js from its CommonJS build; dcmjs-codecs with its
 * .wasm bytes handed over the way the worker hands them (initializeDcmjsCodecs).
 */
const require = createRequire(import.meta.url);
type Factory = () => Promise<EmscriptenCodecModule>;

export function nodeCodecs(): FrameCodecs {
  return createFrameCodecs({
    libjpegTurbo: () => (require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as Factory)(),
    charls: () => (require('@cornerstonejs/codec-charls/decodewasmjs') as Factory)(),
    openjpeg: () => (require('@cornerstonejs/codec-openjpeg/decodewasmjs') as Factory)(),
    openjph: () => (require('@cornerstonejs/codec-openjph/wasmjs') as Factory)(),
    dcmjsCodecs: () =>
      initializeDcmjsCodecs(require('dcmjs-codecs') as DcmjsCodecs, async () => {
        const bytes = await readFile(require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm'));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }),
    jpegLossless: async () => {
      const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => { decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array } };
      return {
        decode(bytes: Uint8Array, bitsAllocated: number) {
          const copy = bytes.slice();
          return new Decoder().decode(copy.buffer, 0, copy.length, bitsAllocated > 8 ? 2 : 1);
        },
      };
    },
  });
}
