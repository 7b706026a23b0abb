/** Where `fill` copies fragments as they arrive, until `limit`. */
interface FillTarget {
  readonly target: Buffer;
  at: number;
  readonly limit: number;
  readonly resolve: (filled: { readonly bytes: number; readonly complete: boolean }) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A C-STORE's data set as it arrives in PDV fragments, handed to its consumer (the sealer) as an
 * async iterable with bounded memory: while more than `highWaterBytes` wait unread the producer is
 * told to stop reading the socket, and told to read again once they drop below half of it. Its
 * first bytes may be gathered with `fill` instead, copied into the consumer's buffer as they
 * arrive (nothing waits in the queue for them).
 */
export class DatasetStream implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | null = null;
  private discarding = false;
  private waiter: (() => void) | null = null;
  private pressured = false;
  private receivedBytes = 0;
  private iterated = false;
  private filling: FillTarget | null = null;

  constructor(
    private readonly highWaterBytes: number,
    /** Told true when the producer should stop reading, false when it may read again. */
    private readonly onPressure: (stop: boolean) => void,
  ) {}

  /** Bytes received so far (all fragments, read or not). */
  get received(): number {
    return this.receivedBytes;
  }

  /** Bytes received and not yet read by the consumer. */
  get buffered(): number {
    return this.queued;
  }

  /** True while the producer has been told to stop (more than the high-water mark waits). */
  get paused(): boolean {
    return this.pressured;
  }

  /** True once the last fragment arrived. */
  get complete(): boolean {
    return this.ended;
  }

  /**
   * A fragment of the data set; `last` when its PDV had the last-fragment bit. `transient`: `data`
   * is read into again after this returns, so what is kept of it is copied (into the `fill`
   * target, else into a buffer of its own).
   */
  push(data: Buffer, last: boolean, transient = false): void {
    if (this.ended || this.failure !== null) return;
    this.receivedBytes += data.length;
    let rest = data;
    const fill = this.filling;
    if (fill !== null && !this.discarding) {
      const take = Math.min(fill.limit - fill.at, rest.length);
      fill.target.set(rest.subarray(0, take), fill.at);
      fill.at += take;
      rest = rest.subarray(take);
    }
    if (!this.discarding && rest.length > 0) {
      this.queue.push(transient ? Buffer.from(rest) : rest);
      this.queued += rest.length;
    }
    if (last) this.ended = true;
    if (fill !== null && (fill.at === fill.limit || this.ended)) {
      this.filling = null;
      fill.resolve({ bytes: fill.at, complete: this.ended && this.queued === 0 });
    }
    this.pressure();
    this.wake();
  }

  /**
   * Copies the data set's bytes into `target` from `offset` as they arrive (those queued first),
   * until `limit` bytes of it are written or the data set ends: resolves how far `target` is
   * written and whether that is the whole data set. What arrives past `limit` is queued for the
   * iterator as usual. Rejects if the association ends first. Before the iterator, once at a time.
   */
  fill(target: Buffer, offset: number, limit: number): Promise<{ readonly bytes: number; readonly complete: boolean }> {
    if (this.iterated || this.filling !== null) throw new Error('A data set stream is filled before it is iterated, once at a time.');
    if (this.failure !== null) return Promise.reject(this.failure);
    let at = offset;
    while (at < limit && this.queue.length > 0) {
      const next = this.queue[0]!;
      const take = Math.min(limit - at, next.length);
      target.set(next.subarray(0, take), at);
      at += take;
      this.queued -= take;
      if (take === next.length) this.queue.shift();
      else this.queue[0] = next.subarray(take);
    }
    this.pressure();
    if (at === limit || this.ended) return Promise.resolve({ bytes: at, complete: this.ended && this.queue.length === 0 });
    return new Promise((resolve, reject) => {
      this.filling = { target, at, limit, resolve, reject };
    });
  }

  /** The association ended before the last fragment: the consumer's next read throws. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.queued = 0;
    const fill = this.filling;
    this.filling = null;
    fill?.reject(error);
    this.pressure();
    this.wake();
  }

  /** The consumer wants no more: what is queued and what still comes is dropped. */
  discard(): void {
    this.discarding = true;
    this.queue.length = 0;
    this.queued = 0;
    this.pressure();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.iterated) throw new Error('A data set stream is read once.');
    this.iterated = true;
    try {
      for (;;) {
        if (this.failure !== null) throw this.failure;
        const next = this.queue.shift();
        if (next !== undefined) {
          this.queued -= next.length;
          this.pressure();
          yield next;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      // Stopped early (return or throw): the rest of the data set is not wanted.
      if (!this.ended) this.discard();
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private pressure(): void {
    const stop = this.pressured ? this.queued > this.highWaterBytes / 2 : this.queued > this.highWaterBytes;
    if (stop === this.pressured) return;
    this.pressured = stop;
    this.onPressure(stop);
  }
}
