import { Worker } from 'node:worker_threads';

/**
 * Threads of our own for the blocking flushes (fdatasync of an open file, fsync of a folder), so
 * they do not sit in libuv's thread pool. That pool has 4 threads unless UV_THREADPOOL_SIZE is set
 * before the process starts (Node and Electron start the pool before any of our code runs, so the
 * app cannot raise it), and every file open, write, rename and WebCrypto digest of the process
 * queues for the same 4. A flush holds its thread for a whole device flush (≈3.3 ms per fdatasync
 * and again per folder fsync on the 2-core CI machine); with 8 DICOM associations storing at once,
 * each instance takes two of them (its object file, its fan-out folder), the pool was full of
 * waiting flushes and the writes queued behind them. Measured with the dicom-store bench: the
 * receiver with UV_THREADPOOL_SIZE=16 stored 20–30 % more instances/s on 8 associations than with
 * the default 4, at the same CPU per instance.
 *
 * A flush is one synchronous call on one of these threads, answered by message. The file
 * descriptor is the process's, so the thread flushes the very file the caller has open; the caller
 * keeps it open until the answer comes. Threads start on first use, grow to `maxThreads` while all
 * are busy, and are unref'd: they never keep the process alive.
 */
export interface FlushThreads {
  /** fdatasync(fd) (on macOS libuv issues F_FULLFSYNC, as the pool's does). */
  datasync(fd: number): Promise<void>;
  /** Opens `dir` read-only, fsyncs it and closes it: makes a rename or create inside it durable (POSIX). */
  syncDir(dir: string): Promise<void>;
  /** How many threads are running now. */
  readonly running: number;
  /** Stops the threads; flushes still waiting are refused. */
  close(): Promise<void>;
}

/** The worker's program: CommonJS text run with `eval`, so the built app needs no extra entry file. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (job) => {
  try {
    if (job.op === 'datasync') fs.fdatasyncSync(job.fd);
    else {
      const fd = fs.openSync(job.dir, 'r');
      try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    }
    parentPort.postMessage({ id: job.id });
  } catch (error) {
    parentPort.postMessage({ id: job.id, code: error && error.code, syscall: error && error.syscall, message: String(error && error.message) });
  }
});
`;

type JobBody = { readonly op: 'datasync'; readonly fd: number } | { readonly op: 'syncDir'; readonly dir: string };
type Job = JobBody & { readonly id: number };
interface Answer {
  readonly id: number;
  readonly code?: string;
  readonly syscall?: string;
  readonly message?: string;
}
interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}
interface FlushThread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** An Error shaped as node:fs throws them (code, syscall), so callers' errno handling is unchanged. */
function fsError(answer: Answer): Error {
  return Object.assign(new Error(answer.message ?? 'The flush failed.'), { code: answer.code, syscall: answer.syscall });
}

export function createFlushThreads(maxThreads: number): FlushThreads {
  const threads: FlushThread[] = [];
  let nextId = 0;
  let closed = false;

  const retire = (thread: FlushThread, error: Error): void => {
    const index = threads.indexOf(thread);
    if (index !== -1) threads.splice(index, 1);
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
  };

  const start = (): FlushThread => {
    // A few MiB of heap: the thread holds nothing but the job in hand.
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    const thread: FlushThread = { worker, pending: new Map() };
    worker.on('message', (answer: Answer) => {
      const pending = thread.pending.get(answer.id);
      if (pending === undefined) return;
      thread.pending.delete(answer.id);
      if (answer.code === undefined && answer.message === undefined) pending.resolve();
      else pending.reject(fsError(answer));
    });
    worker.on('error', (error) => retire(thread, Object.assign(new Error(`A flush thread failed: ${error.message}`), { code: 'EIO' })));
    worker.on('exit', () => retire(thread, Object.assign(new Error('A flush thread stopped.'), { code: 'EIO' })));
    worker.unref();
    threads.push(thread);
    return thread;
  };

  /** The idle thread, or a new one while under the limit, or the least busy. */
  const pick = (): FlushThread => {
    let best: FlushThread | undefined;
    for (const thread of threads) if (best === undefined || thread.pending.size < best.pending.size) best = thread;
    if (best !== undefined && (best.pending.size === 0 || threads.length >= maxThreads)) return best;
    return start();
  };

  const run = (job: JobBody): Promise<void> => {
    if (closed) return Promise.reject(Object.assign(new Error('The flush threads are closed.'), { code: 'EIO' }));
    const thread = pick();
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // A waiting flush keeps the process alive as the pool's would; an idle thread does not.
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ ...job, id } as Job);
    }).finally(() => {
      if (thread.pending.size === 0) thread.worker.unref();
    });
  };

  return {
    datasync: (fd) => run({ op: 'datasync', fd }),
    syncDir: (dir) => run({ op: 'syncDir', dir }),
    get running() {
      return threads.length;
    },
    async close() {
      closed = true;
      await Promise.all(threads.slice().map((thread) => thread.worker.terminate()));
    },
  };
}

/** Up to 4 flushes at once beside the pool's 4 threads: enough for 8 associations' flushes to overlap. */
export const FLUSH_THREADS = 4;

let shared: FlushThreads | null = null;

/** The process's flush threads (started on first use). */
export function sharedFlushThreads(): FlushThreads {
  shared ??= createFlushThreads(FLUSH_THREADS);
  return shared;
}
