/**
 * What dcmjs-codecs gets for `require('dcmjs')` in the decode worker's build (electron.vite.config.ts).
 * Its UMD bundle requires dcmjs at load for its Transcoder (whole-file transcoding), which reads
 * `dcmjs.data` and `dcmjs.log` only when constructed; the worker uses NativeCodecs and Context
 * alone (one frame at a time), which never touch dcmjs. This keeps about 700 KB of dcmjs out of
 * the worker's 12-bit JPEG chunk. The e2e test decodes a 12-bit JPEG through the built worker.
 */
export const data = {};
export const log = {};
