import type { PrepareFrameRequest, PreparedFrame } from './hl7-prepare';

/** The messages between the listener's thread and an intake worker (hl7-prepare-pool.ts ↔ hl7-prepare-worker.ts). */
export const PREPARE_WORKER_PROTOCOL = 1;

/** workerData: what a worker is started with. The intake PUBLIC key only: a worker can seal, never open. */
export interface PrepareWorkerData {
  readonly protocol: typeof PREPARE_WORKER_PROTOCOL;
  readonly intakePublicKey: Uint8Array;
}

/** Frames sent together (those that arrived in the same turn of the listener's event loop): one message each way per batch. */
export interface WorkerRequest {
  readonly batch: readonly { readonly id: number; readonly request: PrepareFrameRequest }[];
}

export type FrameAnswer = { readonly id: number; readonly frame: PreparedFrame } | { readonly id: number; readonly error: string };

export type WorkerAnswer =
  | { readonly type: 'ready' }
  /** The worker could not start (its Sealer); the error's class name only. */
  | { readonly type: 'failed'; readonly error: string }
  /** Answers to frames of a batch, in order (the worker sends each as soon as it is ready); an error carries the error's class name only. */
  | { readonly type: 'answers'; readonly answers: readonly FrameAnswer[] };
