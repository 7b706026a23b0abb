import type { PrepareFrameRequest, PreparedFrame } from './hl7-prepare';

/** The messages between the listener's thread and an intake worker (hl7-prepare-pool.ts ↔ hl7-prepare-worker.ts). */
export const PREPARE_WORKER_PROTOCOL = 1;

/** workerData: what a worker is started with. The intake PUBLIC key only: a worker can seal, never open. */
export interface PrepareWorkerData {
  readonly protocol: typeof PREPARE_WORKER_PROTOCOL;
  readonly intakePublicKey: Uint8Array;
}

export interface WorkerRequest {
  readonly id: number;
  readonly request: PrepareFrameRequest;
}

export type WorkerAnswer =
  | { readonly type: 'ready' }
  /** The worker could not start (its Sealer); the error's class name only. */
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'prepared'; readonly id: number; readonly frame: PreparedFrame }
  | { readonly type: 'error'; readonly id: number; readonly error: string };
