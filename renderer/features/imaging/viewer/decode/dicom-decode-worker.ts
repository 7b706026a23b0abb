/// <reference lib="webworker" />
import type { DecodedFrame } from '../pixels/pixel-module';
import type { DecodeAnswer, DecodeRequest } from './decode-protocol';
import { describe, InstanceDecoder } from './instance-decoder';
import { workerCodecs } from './worker-codecs';

/**
 * The DICOM decode worker: parses instances and decodes their frames off the main thread. It is
 * served with its own Content-Security-Policy, the only one in the app that allows
 * 'wasm-unsafe-eval' (the codecs are WebAssembly); the document keeps its stricter policy.
 * Pixel buffers go back as transferables. Nothing here logs: data sets hold patient data.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const decoder = new InstanceDecoder(workerCodecs());

function transferablesOf(frame: DecodedFrame | null): Transferable[] {
  return frame === null ? [] : [frame.pixels.buffer as ArrayBuffer];
}

async function answer(request: DecodeRequest): Promise<{ answer: DecodeAnswer; transfer: Transferable[] }> {
  switch (request.type) {
    case 'open': {
      const { input } = request;
      const source = input.kind === 'open' ? new Uint8Array(input.bytes) : { envelope: new Uint8Array(input.envelope), dataKey: input.dataKey };
      const overview = await decoder.open(request.key, source, request.decodeFirst);
      const transfer = transferablesOf(overview.first);
      if (overview.document !== null) transfer.push(overview.document.bytes.buffer as ArrayBuffer);
      return { answer: { id: request.id, ok: true, type: 'open', overview }, transfer };
    }
    case 'frame': {
      const frame = await decoder.frame(request.key, request.frame);
      return { answer: { id: request.id, ok: true, type: 'frame', frame }, transfer: transferablesOf(frame) };
    }
    case 'tags':
      return { answer: { id: request.id, ok: true, type: 'tags', rows: decoder.tags(request.key) }, transfer: [] };
    case 'close':
      decoder.close(request.key);
      return { answer: { id: request.id, ok: true, type: 'close' }, transfer: [] };
    case 'reset':
      decoder.reset();
      return { answer: { id: request.id, ok: true, type: 'reset' }, transfer: [] };
    default: {
      const never: never = request;
      return never;
    }
  }
}

scope.addEventListener('message', (event: MessageEvent<DecodeRequest>) => {
  const request = event.data;
  answer(request).then(
    ({ answer: reply, transfer }) => scope.postMessage(reply, transfer),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, message: describe(error) } satisfies DecodeAnswer),
  );
});
