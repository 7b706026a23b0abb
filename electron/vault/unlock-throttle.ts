import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { SerialQueue } from '../async/serial-queue';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';

export const THROTTLE_BASE_MS = 1000;
export const THROTTLE_MAX_MS = 5 * 60 * 1000;
/** An operator's failures are forgotten a day after the last one (the delay has long passed by then). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;

const ThrottleFileSchema = z.strictObject({
  version: z.literal(1),
  operators: z.array(
    z.strictObject({
      operatorId: z.string().min(1).max(256),
      failures: z.number().int().positive(),
      lastFailureAt: z.number().int().nonnegative(),
    }),
  ),
});

interface Entry {
  readonly failures: number;
  readonly lastFailureAt: number;
}

/** The delay after `failures` consecutive failures: 1 s, 2 s, 4 s … capped at 5 min. */
export function throttleDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(THROTTLE_MAX_MS, THROTTLE_BASE_MS * 2 ** Math.min(failures - 1, 30));
}

/**
 * The growing delay after wrong passphrases, per operator (issue: "a wrong passphrase gets a clear
 * error and a growing delay"). Kept in `<data>/vault/unlock-throttle.json`, so a reload of the
 * window or a restart of the node does not reset it; the delay runs from the last failure. The
 * mind reports every attempt and asks before the next one. It slows guessing through the UI; the
 * real defence against an offline attack on a stolen keys.json is the slot KDF.
 */
export class UnlockThrottle {
  private entries = new Map<string, Entry>();
  private loaded = false;
  private readonly queue = new SerialQueue();
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dataDir, 'vault', 'unlock-throttle.json');
  }

  retryAfterMs(operatorId: string): Promise<{ retryAfterMs: number }> {
    return this.queue.run(async () => {
      await this.load();
      return { retryAfterMs: this.remaining(this.entries.get(operatorId)) };
    });
  }

  /** `cleared`: on success, how many failures were counted before it (the audit trail records them). */
  report(operatorId: string, ok: boolean): Promise<{ retryAfterMs: number; failures: number; cleared?: number }> {
    return this.queue.run(async () => {
      await this.load();
      if (ok) {
        const cleared = this.entries.get(operatorId)?.failures ?? 0;
        if (this.entries.delete(operatorId)) await this.save();
        return { retryAfterMs: 0, failures: 0, cleared };
      }
      const failures = (this.entries.get(operatorId)?.failures ?? 0) + 1;
      const entry = { failures, lastFailureAt: this.now() };
      this.entries.set(operatorId, entry);
      await this.save();
      // Measured from this failure, which just happened.
      return { retryAfterMs: throttleDelayMs(failures), failures };
    });
  }

  private remaining(entry: Entry | undefined): number {
    if (entry === undefined) return 0;
    const elapsed = Math.max(0, this.now() - entry.lastFailureAt);
    return Math.max(0, throttleDelayMs(entry.failures) - elapsed);
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const text = await readTextIfExists(this.file);
    if (text === null) return;
    try {
      const parsed = ThrottleFileSchema.parse(JSON.parse(text));
      for (const { operatorId, failures, lastFailureAt } of parsed.operators) this.entries.set(operatorId, { failures, lastFailureAt });
    } catch {
      // A damaged file must not lock anyone out for good: it is logged and replaced at the next
      // report (the key slot KDF still makes every guess expensive).
      this.log.warn({ file: 'vault/unlock-throttle.json' }, 'unlock throttle file unreadable; starting afresh');
    }
  }

  private async save(): Promise<void> {
    const cutoff = this.now() - FORGET_AFTER_MS;
    const operators = [...this.entries]
      .filter(([, entry]) => entry.lastFailureAt >= cutoff || this.remaining(entry) > 0)
      .map(([operatorId, entry]) => ({ operatorId, ...entry }));
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, operators })}\n`);
  }
}
