/**
 * The body's half of the auto-lock: each operator session locks when its window reported no
 * keyboard or mouse use for the auto-lock minutes plus a grace minute. The mind's own timer
 * normally locks first (at the minutes exactly); this one catches a page that stopped running
 * its timer: hung, throttled in the background, crashed, or simply not counting.
 *
 * The minutes come with each activity report, as the vault feature decides them from the
 * session's role (auto-lock-policy.ts: an operator other than an administrator cannot lengthen
 * them past the workstation's). Until the first report a session runs under the workstation's.
 */

/** The mind's auto-lock default (renderer/vault/session/auto-lock.ts). */
export const DEFAULT_IDLE_MINUTES = 15;
/** After the minutes, before the body locks: the mind's timer and its last report have time to arrive. */
export const IDLE_GRACE_MS = 60_000;

export interface IdleTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: IdleTimers = {
  setTimeout: (callback, ms) => {
    const handle = globalThis.setTimeout(callback, ms);
    // A pending idle lock must not keep a stopping process alive.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

interface Watched {
  minutes: number;
  timer: unknown;
}

export class SessionIdleLock {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;

  constructor(
    private readonly onIdle: (connectionId: string) => void,
    private readonly timers: IdleTimers = systemTimers,
  ) {}

  /** A session opened on this connection: it is idle from now on until its first report. */
  begin(connectionId: string, minutes: number = DEFAULT_IDLE_MINUTES): void {
    this.end(connectionId);
    if (this.stopped) return;
    const entry: Watched = { minutes, timer: undefined };
    this.watched.set(connectionId, entry);
    this.arm(connectionId, entry);
  }

  /** Activity on the session's window, with the minutes it runs under (0 = never): the wait starts again. */
  activity(connectionId: string, minutes: number): void {
    const entry = this.watched.get(connectionId);
    if (entry === undefined) return;
    entry.minutes = minutes;
    this.arm(connectionId, entry);
  }

  /** The session ended (locked, closed, revalidated away): nothing left to lock. */
  end(connectionId: string): void {
    const entry = this.watched.get(connectionId);
    if (entry === undefined) return;
    this.watched.delete(connectionId);
    this.clear(entry);
  }

  stop(): void {
    this.stopped = true;
    for (const connectionId of [...this.watched.keys()]) this.end(connectionId);
  }

  private clear(entry: Watched): void {
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private arm(connectionId: string, entry: Watched): void {
    this.clear(entry);
    if (entry.minutes <= 0) return;
    entry.timer = this.timers.setTimeout(() => {
      entry.timer = undefined;
      if (this.watched.get(connectionId) !== entry) return;
      this.watched.delete(connectionId);
      this.onIdle(connectionId);
    }, entry.minutes * 60_000 + IDLE_GRACE_MS);
  }
}
