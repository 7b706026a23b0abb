/// <reference lib="webworker" />
import type { DecodedFrame } from '../pixels/pixel-module';
import { concatBytes } from '../../../../../shared/crypto/bytes';
import { envelopeRangeReader } from '../../../../../shared/crypto/envelope';
import type { DecodeAnswer, DecodeRequest, InstanceInput, ReadReply, ReadRequest } from './decode-protocol';
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

/** Sealed reads asked of the page, by id. */
const reads = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
let nextReadId = 1;

function readFromPage(key: string, offset: number, length: number): Promise<Uint8Array> {
  const readId = nextReadId++;
  return new Promise((resolve, reject) => {
    reads.set(readId, { resolve, reject });
    scope.postMessage({ kind: 'read', readId, key, offset, length } satisfies ReadRequest);
  });
}

/** A ranged instance's plaintext: its envelope's chunks, read from the page as needed (the head it came with first). */
function rangedSource(key: string, input: Extract<InstanceInput, { kind: 'ranged' }>) {
  const head = new Uint8Array(input.head);
  const reader = envelopeRangeReader(head, input.sealedSize, input.dataKey, async (offset, length) => {
    if (offset + length <= head.length) return head.subarray(offset, offset + length);
    // A range that starts in the head (a large single frame, a whole read): only the rest is asked for.
    if (offset >= head.length) return readFromPage(key, offset, length);
    return concatBytes(head.subarray(offset), await readFromPage(key, head.length, offset + length - head.length));
  });
  return { size: reader.plaintextLength, read: (offset: number, length: number) => reader.read(offset, length) };
}

function transferablesOf(frame: DecodedFrame | null): Transferable[] {
  return frame === null ? [] : [frame.pixels.buffer as ArrayBuffer];
}

async function answer(request: DecodeRequest): Promise<{ answer: DecodeAnswer; transfer: Transferable[] }> {
  switch (request.type) {
    case 'open': {
      const { input } = request;
      const overview =
        input.kind === 'ranged'
          ? await decoder.openRanged(request.key, rangedSource(request.key, input), request.decodeFirst, { readWholeUpTo: input.readWholeUpTo })
          : await decoder.open(request.key, input.kind === 'open' ? new Uint8Array(input.bytes) : { envelope: new Uint8Array(input.envelope), dataKey: input.dataKey }, request.decodeFirst);
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

scope.addEventListener('message', (event: MessageEvent<DecodeRequest | ReadReply>) => {
  if ('kind' in event.data) {
    const reply = event.data;
    const pending = reads.get(reply.readId);
    reads.delete(reply.readId);
    if ('bytes' in reply) pending?.resolve(new Uint8Array(reply.bytes));
    else pending?.reject(new Error(reply.message));
    return;
  }
  const request = event.data;
  answer(request).then(
    ({ answer: reply, transfer }) => scope.postMessage(reply, transfer),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, message: describe(error) } satisfies DecodeAnswer),
  );
});
