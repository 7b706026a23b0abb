/** What a summary line says about the lines it stands for. */
export interface RepeatSummary<S> {
  /** The first line's fields that made up its key (level, message, method, …). */
  readonly sample: S;
  /** Lines not written in the window. */
  readonly suppressed: number;
  readonly windowMs: number;
}

interface Window<S> {
  start: number;
  written: number;
  suppressed: number;
  readonly sample: S;
}

/**
 * Lets through at most `perWindow` lines of one kind (a key: level, message and the fields that
 * name the failure) per window, counts the rest and hands back one summary per kind when its window
 * ends ("… and 67,795 more like this in the last minute"), so a flood of the same failure cannot
 * fill the disk. At most `maxKinds` kinds are tracked; the oldest is summarised early beyond that.
 */
export class RepeatLimit<S> {
  private readonly windows = new Map<string, Window<S>>();

  constructor(
    private readonly options: { readonly perWindow: number; readonly windowMs: number; readonly maxKinds: number },
    private readonly summarise: (summary: RepeatSummary<S>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to write this line; a line not written is counted for its kind's summary. */
  admit(key: string, sample: () => S): boolean {
    const now = this.now();
    let window = this.windows.get(key);
    if (window !== undefined && now - window.start >= this.options.windowMs) {
      this.end(key, window);
      window = undefined;
    }
    if (window === undefined) {
      if (this.windows.size >= this.options.maxKinds) {
        const [oldestKey, oldest] = this.windows.entries().next().value as [string, Window<S>];
        this.end(oldestKey, oldest);
      }
      window = { start: now, written: 0, suppressed: 0, sample: sample() };
      this.windows.set(key, window);
    }
    if (window.written < this.options.perWindow) {
      window.written += 1;
      return true;
    }
    window.suppressed += 1;
    return false;
  }

  /** Summarises every window that has ended (or all, at close). */
  sweep(all = false): void {
    const now = this.now();
    for (const [key, window] of [...this.windows]) if (all || now - window.start >= this.options.windowMs) this.end(key, window);
  }

  private end(key: string, window: Window<S>): void {
    this.windows.delete(key);
    if (window.suppressed > 0) this.summarise({ sample: window.sample, suppressed: window.suppressed, windowMs: this.options.windowMs });
  }
}
