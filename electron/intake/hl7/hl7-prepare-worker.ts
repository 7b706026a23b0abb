// An intake worker thread (started by hl7-prepare-pool.ts): prepares MLLP frames (hl7-prepare.ts)
// with its own Sealer for the vault's intake public key. It holds no vault secret (the public key
// only seals), no storage and no sockets; every answer is plain data.
import { parentPort, workerData } from 'node:worker_threads';
import type { Sealer } from '../../../shared/crypto/envelope';
import { createBodySealer } from '../../crypto/node-sealer';
import { prepareHl7Frame, type PrepareFrameRequest, type PreparedFrame } from './hl7-prepare';
import { PREPARE_WORKER_PROTOCOL, type FrameAnswer, type PrepareWorkerData, type WorkerAnswer, type WorkerRequest } from './hl7-prepare-protocol';

/** Exact-size copies, so transferring them moves only their own bytes (not a pooled buffer's). */
function transferable(frame: PreparedFrame, transfer: ArrayBuffer[]): PreparedFrame {
  if (frame.kind !== 'prepared') return frame;
  const inline = new Uint8Array(frame.message.sealed.inline);
  const meta = new Uint8Array(frame.message.sealed.meta);
  transfer.push(inline.buffer, meta.buffer);
  return { kind: 'prepared', message: { ...frame.message, sealed: { ...frame.message.sealed, inline, meta } } };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('hl7-prepare-worker runs as a worker thread.');
  const data = workerData as PrepareWorkerData;
  let sealer: Sealer;
  try {
    if (data?.protocol !== PREPARE_WORKER_PROTOCOL) throw new TypeError('protocol');
    sealer = await createBodySealer(new Uint8Array(data.intakePublicKey));
  } catch (error) {
    port.postMessage({ type: 'failed', error: errorName(error) } satisfies WorkerAnswer);
    return;
  }
  port.on('message', (message: WorkerRequest) => {
    void (async () => {
      // Each answer goes back as soon as it is ready, so the listener's thread can commit the first
      // frames of a batch (and their journal fsync can start) while this thread prepares the rest.
      for (const { id, request } of message.batch) {
        const transfer: ArrayBuffer[] = [];
        let answer: FrameAnswer;
        try {
          answer = { id, frame: transferable(await prepareHl7Frame(sealer, request satisfies PrepareFrameRequest), transfer) };
        } catch (error) {
          // Only the error's class crosses: a message could quote what was received.
          answer = { id, error: errorName(error) };
        }
        port.postMessage({ type: 'answers', answers: [answer] } satisfies WorkerAnswer, transfer);
      }
    })();
  });
  port.postMessage({ type: 'ready' } satisfies WorkerAnswer);
}

void main();
