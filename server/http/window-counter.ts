/**
 * Counts events per key (a client IP) in fixed windows, with bounded memory: the counts are
 * forgotten at each window's end, and at most `maxKeys` keys are counted in one window — a flood
 * from more addresses than that is refused as a whole until the window ends (fail closed). Used
 * where Fastify's rate limit does not reach: WebSocket upgrades, which never enter its routing.
 */
export class WindowCounter {
  #counts = new Map<string, number>();
  #windowEnds = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event for `key`; false when the key (or the table) is over its limit in this window. */
  take(key: string): boolean {
    const now = this.now();
    if (now >= this.#windowEnds) {
      this.#counts = new Map();
      this.#windowEnds = now + this.windowMs;
    }
    const count = this.#counts.get(key);
    if (count === undefined && this.#counts.size >= this.maxKeys) return false;
    if ((count ?? 0) >= this.max) return false;
    this.#counts.set(key, (count ?? 0) + 1);
    return true;
  }
}
