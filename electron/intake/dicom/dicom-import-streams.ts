import { randomBytes } from 'node:crypto';
import { Refusal } from '../../errors/refusal';
import { DatasetStream } from './dataset-stream';
import type { DicomFileOutcome } from './dicom-import';

/**
 * Imports of files larger than an upload holds (dicom.streamBegin / streamAppend / streamAbort):
 * each file's chunks go straight into the intake as they arrive, through a DatasetStream as a
 * C-STORE's data set does, so the body holds at most `highWaterBytes` plus one chunk per import
 * whatever the file's size. An append is answered once the sealer has caught up below the
 * high-water mark (the mind sends the next chunk only then), or once the file's outcome is known.
 */

/** A streamed file's outcome; `reprocessed` when it was a quarantined instance sent again. */
export type StreamOutcome = DicomFileOutcome & { readonly reprocessed?: { readonly seq: number; readonly resolved: boolean } };

/** Starts one file's intake on its chunks; resolves to its outcome (never rejects). */
export type StartImport = (source: AsyncIterable<Buffer>) => Promise<StreamOutcome>;

export interface DicomImportStreamsOptions {
  /** Imports open at once. Default 2. */
  readonly maxOpen?: number;
  /** Bytes waiting for the sealer before appends wait. Default 4 MiB. */
  readonly highWaterBytes?: number;
  /** Largest file. Default DICOM_STREAM_MAX_BYTES. */
  readonly maxBytes: number;
  /** An import untouched this long is dropped (nothing stored). Default 10 minutes. */
  readonly idleMs?: number;
  readonly now?: () => number;
}

interface Session {
  readonly stream: DatasetStream;
  readonly outcome: Promise<StreamOutcome>;
  settled: StreamOutcome | null;
  /** Resolves when the producer may send again. */
  resumed: Promise<void>;
  resume: () => void;
  bytes: number;
  touched: number;
}

export class DicomImportStreams {
  private readonly sessions = new Map<string, Session>();
  private readonly maxOpen: number;
  private readonly highWaterBytes: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private peak = 0;
  /** Sweeps idle imports while any is open, so an abandoned one (a closed page) frees its memory and its act. */
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: DicomImportStreamsOptions) {
    this.maxOpen = options.maxOpen ?? 2;
    this.highWaterBytes = options.highWaterBytes ?? 4 * 1024 * 1024;
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  begin(start: StartImport): string {
    this.expire();
    if (this.sessions.size >= this.maxOpen) throw new Refusal('E_CONFLICT', `${this.sessions.size} large imports are open already; finish or abort one first.`);
    const handle = randomBytes(16).toString('hex');
    const stream = new DatasetStream(this.highWaterBytes, (stop) => {
      if (stop) session.resumed = new Promise<void>((resolve) => (session.resume = resolve));
      else session.resume();
    });
    const outcome = start(stream).then((result) => {
      session.settled = result;
      // Whatever still comes is not wanted: appends are answered at once.
      stream.discard();
      session.resume();
      return result;
    });
    const session: Session = { stream, outcome, settled: null, resumed: Promise.resolve(), resume: () => undefined, bytes: 0, touched: this.now() };
    this.sessions.set(handle, session);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(60_000, this.idleMs));
    this.sweeper.unref?.();
    return handle;
  }

  /**
   * Appends the next chunk; `last` ends the file and answers its outcome. Before that, `result` is
   * present once the outcome is known early (not DICOM, a DICOMDIR, storage failing): the rest
   * need not be sent, and the import is closed.
   */
  async append(handle: string, chunk: Uint8Array, last: boolean): Promise<{ bytes: number; result?: StreamOutcome }> {
    const session = this.get(handle);
    session.touched = this.now();
    if (session.settled === null) {
      if (session.bytes + chunk.length > this.options.maxBytes) {
        this.abort(handle);
        throw new Refusal('E_BAD_REQUEST', `The file is larger than ${this.options.maxBytes} bytes; the import was dropped (nothing stored).`);
      }
      session.bytes += chunk.length;
      session.stream.push(Buffer.from(chunk), last);
      this.peak = Math.max(this.peak, session.stream.buffered);
    }
    if (last || session.settled !== null) {
      const result = await session.outcome;
      this.sessions.delete(handle);
      return { bytes: session.bytes, result };
    }
    // Backpressure: answered once the sealer has read below the mark (or the outcome is known).
    await Promise.race([session.resumed, session.outcome]);
    return session.settled !== null ? (this.sessions.delete(handle), { bytes: session.bytes, result: session.settled }) : { bytes: session.bytes };
  }

  /** Drops an import: its intake fails (nothing stored). */
  abort(handle: string): void {
    const session = this.sessions.get(handle);
    if (session === undefined) return;
    this.sessions.delete(handle);
    session.stream.fail(new Error('The import was aborted.'));
  }

  /** The most bytes of one import that waited for the sealer at once, since start (the memory bound, checked by tests). */
  get peakBuffered(): number {
    return this.peak;
  }

  /** Every import dropped (the vault closing, the node stopping). */
  clear(): void {
    for (const handle of [...this.sessions.keys()]) this.abort(handle);
    this.sweep();
  }

  /** Drops the imports idle longer than idleMs (their intake fails, nothing stored); stops sweeping once none is open. */
  sweep(): void {
    this.expire();
    if (this.sessions.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  get open(): number {
    return this.sessions.size;
  }

  private get(handle: string): Session {
    this.expire();
    const session = this.sessions.get(handle);
    if (session === undefined) throw new Refusal('E_CONFLICT', 'No such import (it finished, was aborted, or was dropped after 10 minutes unused); start again.');
    return session;
  }

  private expire(): void {
    const horizon = this.now() - this.idleMs;
    for (const [handle, session] of this.sessions) if (session.touched < horizon) this.abort(handle);
  }
}
