import libjpegTurboWasm from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import charlsWasm from '@cornerstonejs/codec-charls/decodewasm?url';
import openjpegWasm from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import openjphWasm from '@cornerstonejs/codec-openjph/wasm?url';
import dcmjsCodecsWasm from 'dcmjs-codecs/build/dcmjs-native-codecs.wasm?url';
import { createFrameCodecs, initializeDcmjsCodecs, type DcmjsCodecs, type FrameCodecs } from './codecs';

/**
 * The codecs as the decode worker loads them: each Emscripten module's JavaScript on first use
 * (a separate chunk), its .wasm from the app's own assets (fetched and compiled under the
 * worker's CSP, the only one with 'wasm-unsafe-eval').
 */
const wasmAt = (url: string) => ({ locateFile: (path: string) => (path.endsWith('.wasm') ? new URL(url, self.location.href).href : path) });

/** dcmjs-codecs' .wasm (12-bit JPEG), fetched once: a decoding error makes the codecs start a new instance from it. */
let dcmjsWasmBytes: Promise<ArrayBuffer> | null = null;
function dcmjsWasm(): Promise<ArrayBuffer> {
  dcmjsWasmBytes ??= fetch(new URL(dcmjsCodecsWasm, self.location.href)).then((response) => {
    if (!response.ok) throw new Error(`The 12-bit JPEG codec could not be loaded (${response.status}).`);
    return response.arrayBuffer();
  });
  dcmjsWasmBytes.catch(() => (dcmjsWasmBytes = null));
  return dcmjsWasmBytes;
}

export function workerCodecs(): FrameCodecs {
  return createFrameCodecs({
    libjpegTurbo: async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(wasmAt(libjpegTurboWasm)),
    charls: async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(wasmAt(charlsWasm)),
    openjpeg: async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(wasmAt(openjpegWasm)),
    openjph: async () => (await import('@cornerstonejs/codec-openjph/wasmjs')).default(wasmAt(openjphWasm)),
    dcmjsCodecs: async () => {
      // A CommonJS (UMD) build: its exports arrive as the namespace's default.
      const imported = (await import('dcmjs-codecs')) as DcmjsCodecs & { readonly default?: DcmjsCodecs };
      return initializeDcmjsCodecs(imported.default ?? imported, dcmjsWasm);
    },
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
