// A test-only intake worker: the real one (hl7-prepare-worker.ts), except that a frame containing
// the bytes SPIN-FOREVER keeps its thread busy for good, as a message with a pathological cost
// would. For hl7-budget-worker.test.ts.
import { parentPort } from 'node:worker_threads';
import '../../../../../electron/intake/hl7/hl7-prepare-worker';
import type { WorkerRequest } from '../../../../../electron/intake/hl7/hl7-prepare-protocol';

parentPort?.on('message', (message: WorkerRequest) => {
  if (!message.batch.some(({ request }) => Buffer.from(request.frame).includes('SPIN-FOREVER'))) return;
  for (;;) {
    // Busy: never yields to the event loop, never answers.
  }
});
