import libjpegTurboWasm from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import charlsWasm from '@cornerstonejs/codec-charls/decodewasm?url';
import openjpegWasm from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import { createFrameCodecs, type FrameCodecs } from './codecs';

/**
 * The codecs as the decode worker loads them: each Emscripten module's JavaScript on first use
 * (a separate chunk), its .wasm from the app's own assets (fetched and compiled under the
 * worker's CSP, the only one with 'wasm-unsafe-eval').
 */
const wasmAt = (url: string) => ({ locateFile: (path: string) => (path.endsWith('.wasm') ? new URL(url, self.location.href).href : path) });

export function workerCodecs(): FrameCodecs {
  return createFrameCodecs({
    libjpegTurbo: async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(wasmAt(libjpegTurboWasm)),
    charls: async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(wasmAt(charlsWasm)),
    openjpeg: async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(wasmAt(openjpegWasm)),
    jpegLossless: async () => {
      const { Decoder } = await import('jpeg-lossless-decoder-js');
      return {
        decode(bytes, bitsAllocated) {
          const copy = bytes.slice();
          return new Decoder().decode(copy.buffer, 0, copy.length, bitsAllocated > 8 ? 2 : 1);
        },
      };
    },
  });
}
