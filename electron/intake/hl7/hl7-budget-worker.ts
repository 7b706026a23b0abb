import type { Worker } from 'node:worker_threads';
import type { Hl7Logger } from './hl7-intake';
import type { PrepareFrameRequest, PreparedFrame } from './hl7-prepare';
import type { Hl7PreparePool } from './hl7-prepare-pool';
import { startWorker } from './hl7-prepare-pool';
import { PREPARE_WORKER_PROTOCOL, type PrepareWorkerData, type WorkerAnswer, type WorkerRequest } from './hl7-prepare-protocol';

/**
 * The per-message CPU budget (issue 9 §3: one message's parse and map stalled every sender for
 * minutes). Large frames are prepared (parse, map, seal: hl7-prepare.ts) on this one worker thread,
 * one frame at a time, off the listener's event loop. A frame not answered within `budgetMs` of
 * being handed over ends the thread: `terminate()` is the only way to stop a busy thread, so the
 * frame resolves `over-budget` (the intake quarantines it and answers AE with ERR 207) and a fresh
 * thread takes the next frames. Frames queue meanwhile; the budget runs only while a frame is on
 * the thread, so a queue never eats a later frame's budget.
 *
 * Small frames stay on the listener's thread (`budgetedPrepare`): since field access is linear
 * their cost is bounded by their size, and on 2 CPUs a hand-off costs about what it saves.
 */

export interface BudgetWorkerOptions {
  /** The intake worker script (hl7-prepare-worker: built .js in the app, .ts in tests). */
  readonly script: string;
  /** The vault's intake public key: the thread seals, never opens. */
  readonly intakePublicKey: Uint8Array;
  /** Time one frame may take on the thread. Default 5 s. */
  readonly budgetMs?: number;
  readonly log: Hl7Logger;
  /** How long a thread may take to start. Default 15 s. */
  readonly startTimeoutMs?: number;
}

/** Frames at least this long go to the budget worker by default (64 KiB). */
export const DEFAULT_BUDGET_THRESHOLD_BYTES = 64 * 1024;
export const DEFAULT_BUDGET_MS = 5_000;

interface Job {
  readonly request: PrepareFrameRequest;
  readonly resolve: (frame: PreparedFrame) => void;
  readonly reject: (error: Error) => void;
}

export class Hl7BudgetWorker {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private current: { readonly job: Job; readonly id: number; readonly timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  /** Threads ended because a frame overran its budget. */
  replacements = 0;

  private constructor(
    private readonly options: BudgetWorkerOptions,
    worker: Worker,
  ) {
    this.adopt(worker);
  }

  static async start(options: BudgetWorkerOptions): Promise<Hl7BudgetWorker> {
    return new Hl7BudgetWorker(options, await startWorker(options.script, Hl7BudgetWorker.data(options), options.startTimeoutMs ?? 15_000));
  }

  private static data(options: BudgetWorkerOptions): PrepareWorkerData {
    return { protocol: PREPARE_WORKER_PROTOCOL, intakePublicKey: new Uint8Array(options.intakePublicKey) };
  }

  get budgetMs(): number {
    return this.options.budgetMs ?? DEFAULT_BUDGET_MS;
  }

  /** Prepares one frame within the budget; rejects when no thread can run (the caller then takes the full path). */
  prepare(request: PrepareFrameRequest): Promise<PreparedFrame> {
    if (this.closed) return Promise.reject(new Error('The HL7 budget worker is stopped.'));
    return new Promise<PreparedFrame>((resolve, reject) => {
      // An exact-size copy: the frame may be a view into a larger socket buffer, and it is transferred.
      this.queue.push({ request: { ...request, frame: new Uint8Array(request.frame) }, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.fail('The HL7 budget worker is stopping.');
    if (worker !== null) await worker.terminate();
  }

  private next(): void {
    const worker = this.worker;
    if (this.current !== null || worker === null || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    const id = this.nextId++;
    const timer = setTimeout(() => this.overBudget(id), this.budgetMs);
    this.current = { job, id, timer };
    worker.postMessage({ batch: [{ id, request: job.request }] } satisfies WorkerRequest, [job.request.frame.buffer as ArrayBuffer]);
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    worker.unref();
    worker.on('message', (message: WorkerAnswer) => {
      const current = this.current;
      if (message.type !== 'answers' || current === null || this.worker !== worker) return;
      const answer = message.answers.find((candidate) => candidate.id === current.id);
      if (answer === undefined) return;
      clearTimeout(current.timer);
      this.current = null;
      if ('frame' in answer) current.job.resolve(answer.frame);
      else current.job.reject(new Error(`The HL7 budget worker failed on a frame (${answer.error}).`));
      this.next();
    });
    worker.once('error', (error) => this.lost(worker, error.name));
    worker.once('exit', (code) => this.lost(worker, `exit code ${code}`));
  }

  /** The frame on the thread overran its budget: end the thread, answer the frame, start another. */
  private overBudget(id: number): void {
    const current = this.current;
    const worker = this.worker;
    if (current === null || current.id !== id || worker === null) return;
    this.current = null;
    this.worker = null;
    this.replacements++;
    void worker.terminate();
    this.options.log.warn({ budgetMs: this.budgetMs, bytes: current.job.request.frame.byteLength }, 'HL7 message over its processing budget; its worker thread is replaced and the message quarantined');
    current.job.resolve({ kind: 'over-budget', budgetMs: this.budgetMs });
    this.restart();
  }

  /** The thread died on its own (a crash): its frame fails (the caller takes the full path) and a new thread starts. */
  private lost(worker: Worker, reason: string): void {
    if (this.worker !== worker || this.closed) return;
    this.worker = null;
    const current = this.current;
    this.current = null;
    if (current !== null) {
      clearTimeout(current.timer);
      current.job.reject(new Error('The HL7 budget worker stopped.'));
    }
    this.options.log.warn({ reason }, 'HL7 budget worker stopped; starting another');
    this.restart();
  }

  private restart(): void {
    if (this.closed) return;
    startWorker(this.options.script, Hl7BudgetWorker.data(this.options), this.options.startTimeoutMs ?? 15_000).then(
      (worker) => {
        if (this.closed) {
          void worker.terminate();
          return;
        }
        this.restarts = 0;
        this.adopt(worker);
        this.next();
      },
      (error: unknown) => {
        // Frames waiting now take the full path on the listener's thread; try again after a pause.
        this.fail('The HL7 budget worker could not start.');
        this.options.log.warn({ error: error instanceof Error ? error.name : typeof error }, 'HL7 budget worker could not start; large frames are handled on the listener thread until it does');
        const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.restarts++, 6));
        setTimeout(() => this.restart(), delay).unref();
      },
    );
  }

  private fail(message: string): void {
    for (const job of this.queue.splice(0)) job.reject(new Error(message));
  }
}

export interface BudgetRouting {
  readonly budget: Hl7BudgetWorker | null;
  /** The regular intake worker threads (machines with more than 2 CPUs), or null. */
  readonly pool: Pick<Hl7PreparePool, 'prepare'> | null;
  /** Frames at least this long go to the budget worker. Default 64 KiB. */
  readonly thresholdBytes?: number;
}

const FAST_PATH: PreparedFrame = { kind: 'in-thread', reason: 'fast-path' };

/**
 * The intake's `offload.prepare`: large frames on the budget worker, others on the regular worker
 * threads when there are some, else on the listener's thread (answered `in-thread` at once).
 */
export function budgetedPrepare(routing: BudgetRouting): (request: PrepareFrameRequest) => Promise<PreparedFrame> {
  const threshold = routing.thresholdBytes ?? DEFAULT_BUDGET_THRESHOLD_BYTES;
  const { budget, pool } = routing;
  return (request) => {
    if (budget !== null && request.frame.byteLength >= threshold) return budget.prepare(request);
    if (pool !== null) return pool.prepare(request);
    return Promise.resolve(FAST_PATH);
  };
}
