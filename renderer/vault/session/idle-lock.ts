/**
 * Auto-lock after idle time. Activity only stamps a time (noteActivity is called on every pointer
 * move and key press, so it must be cheap); one timer fires at the earliest possible deadline and
 * re-arms itself if there was activity since.
 */
export interface IdleClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: IdleClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export class IdleLock {
  private minutes = 0;
  private lastActivity: number;
  private timer: unknown = undefined;
  private running = false;

  constructor(
    private readonly onIdle: () => void,
    private readonly clock: IdleClock = systemClock,
  ) {
    this.lastActivity = clock.now();
  }

  /** Starts measuring (at unlock) with this many minutes; 0 = never. */
  start(minutes: number): void {
    this.running = true;
    this.lastActivity = this.clock.now();
    this.setMinutes(minutes);
  }

  setMinutes(minutes: number): void {
    this.minutes = minutes;
    this.arm();
  }

  noteActivity(): void {
    this.lastActivity = this.clock.now();
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  private clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.clear();
    if (!this.running || this.minutes <= 0) return;
    const idleMs = this.minutes * 60_000;
    const wait = Math.max(0, this.lastActivity + idleMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      if (this.clock.now() - this.lastActivity >= idleMs) {
        this.stop();
        this.onIdle();
      } else {
        this.arm();
      }
    }, wait);
  }
}
