import type { PlaintextRanges } from './ranged-instance';

/** Each background read asks for this much plaintext: a few body slices, few round trips. */
export const PREFETCH_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * A ranged instance's plaintext that, once `start`ed, is read whole in the background from its
 * start, in sequential ranges of `chunk` bytes, into memory (H1b: a multi-frame of a few tens of
 * MiB read frame by frame from the body scrolled at 2-4 frames/s). Until then, and for a range the
 * background read has not reached, reads go to `source` as before; a range inside the one in
 * flight waits for it rather than reading the same bytes twice. `stop` ends the background read
 * and drops what it read. A failed background read is not an error: reads go on demand.
 */
export class PrefetchedRanges implements PlaintextRanges {
  readonly size: number;
  private buffer: Uint8Array | null = null;
  /** Bytes [0, filled) of the instance are in `buffer`. */
  private filled = 0;
  private inflight: { readonly end: number; readonly settled: Promise<unknown> } | null = null;
  private stopped = false;
  private done: Promise<void> | null = null;

  constructor(
    private readonly source: PlaintextRanges,
    private readonly chunk = PREFETCH_CHUNK_BYTES,
  ) {
    this.size = source.size;
  }

  /** Starts the background read after the current task (the first frame's answer goes out first); resolves when it ends. */
  start(): Promise<void> {
    this.done ??= new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.run());
    return this.done;
  }

  /** Resolves when the background read has ended (read all, stopped or failed); at once if never started. */
  settled(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    this.buffer = null;
    this.filled = 0;
    this.inflight = null;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    const inflight = this.inflight;
    if (inflight !== null && end > this.filled && end <= inflight.end) await inflight.settled;
    // A copy: callers (codecs) may keep or change what they are given.
    if (this.buffer !== null && end <= this.filled) return this.buffer.slice(offset, end);
    return this.source.read(offset, length);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.buffer = new Uint8Array(this.size);
    try {
      while (!this.stopped && this.filled < this.size) {
        const from = this.filled;
        const end = Math.min(this.size, from + this.chunk);
        const piece = this.source.read(from, end - from);
        this.inflight = { end, settled: piece.catch(() => undefined) };
        const bytes = await piece;
        if (this.stopped || this.buffer === null) return;
        if (bytes.length !== end - from) throw new Error('short read');
        this.buffer.set(bytes, from);
        this.filled = end;
        this.inflight = null;
      }
    } catch {
      this.stop();
    }
  }
}
