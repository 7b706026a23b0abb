import type { PlaintextRanges } from './ranged-instance';

/** Each background read asks for this much plaintext: one body slice (objects.readBinary's largest). */
export const PREFETCH_CHUNK_BYTES = 4 * 1024 * 1024;
/** Background reads in flight at once: the body's round trips and the decryption overlap. */
export const PREFETCH_PARALLEL = 3;

/**
 * A ranged instance's plaintext that, once `start`ed, is read whole in the background from its
 * start, in sequential ranges of `chunk` bytes (`parallel` at a time), into memory (H1b: a
 * multi-frame of a few tens of MiB read frame by frame from the body scrolled at 2-4 frames/s).
 * Until then, and for a range the background read has not reached, reads go to `source` as
 * before; a range inside ranges in flight waits for them rather than reading the same bytes twice.
 * `stop` ends the background read and drops what it read. A failed background read is not an
 * error: reads go on demand.
 */
export class PrefetchedRanges implements PlaintextRanges {
  readonly size: number;
  private buffer: Uint8Array | null = null;
  /** Per chunk: read into `buffer`, or its read in flight. */
  private readonly done: boolean[];
  private readonly inflight = new Map<number, Promise<unknown>>();
  private next = 0;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly source: PlaintextRanges,
    private readonly chunk = PREFETCH_CHUNK_BYTES,
    private readonly parallel = PREFETCH_PARALLEL,
  ) {
    this.size = source.size;
    this.done = new Array<boolean>(Math.ceil(source.size / chunk)).fill(false);
  }

  /** Starts the background read after the current task (the first frame's answer goes out first); resolves when it ends. */
  start(): Promise<void> {
    this.running ??= new Promise((resolve) => setTimeout(resolve, 0)).then(async () => {
      if (this.stopped) return;
      this.buffer = new Uint8Array(this.size);
      await Promise.all(Array.from({ length: this.parallel }, () => this.reader()));
    });
    return this.running;
  }

  /** Resolves when the background read has ended (read all, stopped or failed); at once if never started. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    this.buffer = null;
    this.inflight.clear();
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end > offset) {
      const chunks = this.chunksOf(offset, end);
      const waiting = chunks.filter((i) => !this.done[i]).map((i) => this.inflight.get(i));
      if (waiting.length > 0 && waiting.every((p) => p !== undefined)) await Promise.all(waiting);
      // A copy: callers (codecs) may keep or change what they are given.
      if (this.buffer !== null && chunks.every((i) => this.done[i])) return this.buffer.slice(offset, end);
    }
    return this.source.read(offset, length);
  }

  private chunksOf(offset: number, end: number): number[] {
    const first = Math.floor(offset / this.chunk);
    const last = Math.floor((end - 1) / this.chunk);
    return Array.from({ length: last - first + 1 }, (_, n) => first + n);
  }

  /** Takes the next chunk not yet asked for, in order, until all are read or the read is stopped. */
  private async reader(): Promise<void> {
    try {
      while (!this.stopped && this.next < this.done.length) {
        const index = this.next++;
        const from = index * this.chunk;
        const end = Math.min(this.size, from + this.chunk);
        const piece = this.source.read(from, end - from);
        this.inflight.set(index, piece.catch(() => undefined));
        const bytes = await piece;
        if (this.stopped || this.buffer === null) return;
        if (bytes.length !== end - from) throw new Error('short read');
        this.buffer.set(bytes, from);
        this.done[index] = true;
        this.inflight.delete(index);
      }
    } catch {
      this.stop();
    }
  }
}
