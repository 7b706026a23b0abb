/**
 * A C-STORE's data set as it arrives in PDV fragments, handed to its consumer (the sealer) as an
 * async iterable with bounded memory: while more than `highWaterBytes` wait unread the producer is
 * told to stop reading the socket, and told to read again once they drop below half of it.
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

  /** A fragment of the data set; `last` when its PDV had the last-fragment bit. */
  push(data: Buffer, last: boolean): void {
    if (this.ended || this.failure !== null) return;
    this.receivedBytes += data.length;
    if (!this.discarding && data.length > 0) {
      this.queue.push(data);
      this.queued += data.length;
    }
    if (last) this.ended = true;
    this.pressure();
    this.wake();
  }

  /** The association ended before the last fragment: the consumer's next read throws. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.queued = 0;
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
