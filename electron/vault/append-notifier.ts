/**
 * Coalesces "records became durable" into at most one `journal.appended` per interval (leading
 * and trailing edge), so a 10k-message import wakes the mind a few times a second, not 10k times.
 */
export class AppendNotifier {
  private pendingSeq = 0;
  private emittedSeq = 0;
  private lastEmit = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (lastSeq: number) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A record with this seq is durable. */
  note(seq: number): void {
    if (seq <= this.pendingSeq) return;
    this.pendingSeq = seq;
    if (this.timer !== null) return;
    const wait = this.lastEmit + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Emits what is pending now (also at stop, so the mind hears the last records). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pendingSeq <= this.emittedSeq) return;
    this.emittedSeq = this.pendingSeq;
    this.lastEmit = this.now();
    this.emit(this.emittedSeq);
  }

  /** Starts over (a vault restored into this folder has its own seqs). */
  reset(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pendingSeq = 0;
    this.emittedSeq = 0;
  }
}
