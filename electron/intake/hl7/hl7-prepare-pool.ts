import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Hl7Logger } from './hl7-intake';
import type { PrepareFrameRequest, PreparedFrame } from './hl7-prepare';
import { PREPARE_WORKER_PROTOCOL, type PrepareWorkerData, type WorkerAnswer, type WorkerRequest } from './hl7-prepare-protocol';

/**
 * The intake worker threads: MLLP frames are parsed, mapped and sealed there (hl7-prepare.ts), so
 * the listener's thread only frames, checks duplicates, appends to the journal and writes ACKs.
 * Measured on a 2-core machine this is what lets the listener keep up with several busy senders
 * (see the hl7-mllp benchmark). Frames go to the least busy thread; a thread that dies fails its
 * frames (the listener then handles them itself, nothing is lost) and is started again after a
 * pause; while none runs, `prepare` rejects at once.
 */
/** The worker's file name in the build output (out/main, beside main.js and shell.js: electron.vite.config.ts). */
export const BUILT_WORKER_FILE = 'hl7-prepare-worker.js';

export interface PreparePoolOptions {
  /**
   * The worker script: out/main/hl7-prepare-worker.js in the built app. A `.ts` path (tests and
   * tsx-run tools, never the app) is loaded through tsx's require hook, a dev dependency.
   */
  readonly script: string;
  /** The vault's intake public key (uncompressed P-256 point): each thread seals with its own Sealer. */
  readonly intakePublicKey: Uint8Array;
  /** Default: `defaultPrepareThreads()`, at least 1. */
  readonly threads?: number;
  readonly log: Hl7Logger;
  /** How long a thread may take to start (load the code, create its Sealer). Default 15 s. */
  readonly startTimeoutMs?: number;
  /** First pause before a dead thread is started again (doubles up to 60 s). Default 1 s. */
  readonly restartDelayMs?: number;
}

interface Slot {
  worker: Worker | null;
  readonly pending: Map<number, { resolve: (frame: PreparedFrame) => void; reject: (error: Error) => void }>;
  /** Frames not yet posted: sent as one batch at the end of this turn of the event loop. */
  outbox: { id: number; request: PrepareFrameRequest }[];
  restarts: number;
  timer: NodeJS.Timeout | null;
}

/**
 * How many intake worker threads suit this machine: one per CPU beyond the first, at most 4 (the
 * listener's thread needs a core too), and none on 2 CPUs or fewer. Measured on 2 CPUs (the
 * hl7-mllp benchmark, senders on the same machine): the listener's thread alone took 5–10 % more
 * messages/s than with one worker, whose hand-offs cost about as much CPU as they moved off it.
 */
export function defaultPrepareThreads(): number {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cpus <= 2 ? 0 : Math.min(4, cpus - 1);
}

function spawnWorker(script: string, data: PrepareWorkerData): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData: data });
  const bootstrap = `const { createRequire } = require('node:module'); const load = createRequire(${JSON.stringify(script)}); load('tsx/cjs/api').register(); load(${JSON.stringify(script)});`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** Starts a worker and resolves once it said ready; rejects (and stops it) if it failed, died or took too long. */
export function startWorker(script: string, data: PrepareWorkerData, timeoutMs: number): Promise<Worker> {
  const worker = spawnWorker(script, data);
  return new Promise<Worker>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      void worker.terminate();
      reject(new Error(`The HL7 intake worker did not start (${reason}).`));
    };
    const onMessage = (answer: WorkerAnswer): void => {
      if (answer.type === 'ready') {
        cleanup();
        resolve(worker);
      } else if (answer.type === 'failed') {
        fail(answer.error);
      }
    };
    const onError = (error: Error): void => fail(error.name);
    const onExit = (code: number): void => fail(`exit code ${code}`);
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    }
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
}

export class Hl7PreparePool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly options: PreparePoolOptions,
    workers: readonly Worker[],
  ) {
    this.slots = workers.map(() => ({ worker: null, pending: new Map(), outbox: [], restarts: 0, timer: null }));
    workers.forEach((worker, index) => this.adopt(this.slots[index]!, worker));
  }

  /** Starts every thread; rejects (stopping those that started) when any cannot start. */
  static async start(options: PreparePoolOptions): Promise<Hl7PreparePool> {
    const count = options.threads ?? Math.max(1, defaultPrepareThreads());
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError('An intake worker pool has 1 to 64 threads.');
    const data = Hl7PreparePool.workerData(options);
    const started = await Promise.allSettled(Array.from({ length: count }, () => startWorker(options.script, data, options.startTimeoutMs ?? 15_000)));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure !== undefined) {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.terminate() : undefined)));
      throw (failure as PromiseRejectedResult).reason;
    }
    return new Hl7PreparePool(
      options,
      started.map((result) => (result as PromiseFulfilledResult<Worker>).value),
    );
  }

  private static workerData(options: PreparePoolOptions): PrepareWorkerData {
    return { protocol: PREPARE_WORKER_PROTOCOL, intakePublicKey: new Uint8Array(options.intakePublicKey) };
  }

  /** Threads running now. */
  get running(): number {
    return this.slots.filter((slot) => slot.worker !== null).length;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Prepares one frame on the least busy running thread. */
  prepare(request: PrepareFrameRequest): Promise<PreparedFrame> {
    if (this.closed) return Promise.reject(new Error('The HL7 intake workers are stopped.'));
    let chosen: Slot | null = null;
    for (const slot of this.slots) {
      if (slot.worker !== null && (chosen === null || slot.pending.size < chosen.pending.size)) chosen = slot;
    }
    if (chosen === null) return Promise.reject(new Error('No HL7 intake worker is running.'));
    const slot = chosen;
    const id = this.nextId++;
    // An exact-size copy: the frame may be a view into a larger socket buffer, and only its own bytes should cross.
    const frame = new Uint8Array(request.frame);
    return new Promise<PreparedFrame>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.outbox.push({ id, request: { ...request, frame } });
      // Frames from several connections that arrive in the same turn cross together: one message
      // (and one wake-up of each thread) per batch instead of per frame.
      if (slot.outbox.length === 1) setImmediate(() => this.flush(slot));
    });
  }

  private flush(slot: Slot): void {
    const batch = slot.outbox;
    slot.outbox = [];
    if (batch.length === 0) return;
    const worker = slot.worker;
    if (worker === null) return; // lost meanwhile: its pending frames were failed already
    worker.postMessage({ batch } satisfies WorkerRequest, batch.map((item) => item.request.frame.buffer as ArrayBuffer));
  }

  /** Stops every thread; frames still being prepared are failed (their senders get the full path or no ACK). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.timer !== null) clearTimeout(slot.timer);
        const worker = slot.worker;
        slot.worker = null;
        this.failPending(slot, 'The HL7 intake workers are stopping.');
        if (worker !== null) await worker.terminate();
      }),
    );
  }

  private adopt(slot: Slot, worker: Worker): void {
    slot.worker = worker;
    worker.unref();
    worker.on('message', (message: WorkerAnswer) => {
      if (message.type !== 'answers') return;
      for (const answer of message.answers) {
        const waiter = slot.pending.get(answer.id);
        if (waiter === undefined) continue;
        slot.pending.delete(answer.id);
        if ('frame' in answer) waiter.resolve(answer.frame);
        else waiter.reject(new Error(`The HL7 intake worker failed on a frame (${answer.error}).`));
      }
    });
    worker.once('error', (error) => this.lost(slot, worker, error.name));
    worker.once('exit', (code) => this.lost(slot, worker, `exit code ${code}`));
  }

  private lost(slot: Slot, worker: Worker, reason: string): void {
    if (slot.worker !== worker || this.closed) return;
    slot.worker = null;
    void worker.terminate();
    this.failPending(slot, 'The HL7 intake worker stopped.');
    this.scheduleRestart(slot, reason);
  }

  private scheduleRestart(slot: Slot, reason: string): void {
    const delay = Math.min(60_000, (this.options.restartDelayMs ?? 1000) * 2 ** Math.min(slot.restarts, 16));
    slot.restarts++;
    this.options.log.warn({ reason, restartInMs: delay }, 'HL7 intake worker stopped; frames are handled on the listener thread until it is back');
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.closed) return;
      startWorker(this.options.script, Hl7PreparePool.workerData(this.options), this.options.startTimeoutMs ?? 15_000).then(
        (restarted) => {
          if (this.closed) {
            void restarted.terminate();
            return;
          }
          this.adopt(slot, restarted);
          this.options.log.info({ restarts: slot.restarts }, 'HL7 intake worker started again');
        },
        (error: unknown) => {
          if (!this.closed) this.scheduleRestart(slot, error instanceof Error ? error.message : 'restart failed');
        },
      );
    }, delay);
    slot.timer.unref();
  }

  private failPending(slot: Slot, message: string): void {
    const waiters = [...slot.pending.values()];
    slot.pending.clear();
    slot.outbox = [];
    for (const waiter of waiters) waiter.reject(new Error(message));
  }
}
