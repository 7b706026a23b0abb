// A test-only intake worker: the real one (hl7-prepare-worker.ts), except that it ends its thread
// when a frame contains the bytes DIE-NOW, as a crash would. For hl7-prepare-pool.test.ts.
import { parentPort } from 'node:worker_threads';
import '../../../../../electron/intake/hl7/hl7-prepare-worker';
import type { WorkerRequest } from '../../../../../electron/intake/hl7/hl7-prepare-protocol';

parentPort?.on('message', (message: WorkerRequest) => {
  if (message.batch.some(({ request }) => Buffer.from(request.frame).includes('DIE-NOW'))) process.exit(3);
});
