import path from 'node:path';
import { z } from 'zod';
import type { OperatorRoleName } from '../../shared/ipc/vault-contract';
import { AUTO_LOCK_MAX_MINUTES } from '../../shared/journal/mind-meta';
import type { Logger } from '../logging/logger';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import { DEFAULT_IDLE_MINUTES } from './session-idle-lock';

const PolicyFileSchema = z.strictObject({ v: z.literal(1), minutes: z.number().int().min(0).max(AUTO_LOCK_MAX_MINUTES) });

/**
 * The workstation's auto-lock minutes as the body enforces them, in `<data>/vault/auto-lock.json`
 * (a number, no PHI). The administrator's choice is journaled as `settings.autoLock`, but its meta
 * is sealed to the intake key, which the body never holds (design §3), so the body cannot read it.
 * What it can check is who reports: only an administrator may change the setting (the mind's
 * AutoLock.set; the body refuses that record from other roles), and an administrator's session
 * runs under, and reports, the setting. So an administrator's session's minutes are the
 * workstation's; every other operator's session runs under those or its own, whichever locks
 * sooner, and cannot switch its idle lock off or stretch it. Until an administrator has reported,
 * the default holds.
 */
export class AutoLockPolicy {
  private readonly file: string;
  private current: Promise<number> | null = null;

  constructor(
    dataDir: string,
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    this.file = path.join(dataDir, 'vault', 'auto-lock.json');
  }

  /** The session's minutes (0 = never): an administrator's as reported; anyone else's only ever sooner than the workstation's. */
  static effective(role: OperatorRoleName, reported: number, workstation: number): number {
    if (role === 'admin') return reported;
    if (workstation === 0) return reported;
    if (reported === 0) return workstation;
    return Math.min(reported, workstation);
  }

  minutes(): Promise<number> {
    this.current ??= this.load();
    return this.current;
  }

  /** An administrator's session reported these minutes: they are the workstation's from now on. */
  async set(minutes: number): Promise<void> {
    if ((await this.minutes()) === minutes) return;
    this.current = Promise.resolve(minutes);
    await writeFileAtomic(this.file, JSON.stringify({ v: 1, minutes }));
  }

  private async load(): Promise<number> {
    try {
      const text = await readTextIfExists(this.file);
      if (text === null) return DEFAULT_IDLE_MINUTES;
      const parsed = PolicyFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.minutes;
    } catch {
      // Unreadable or not JSON: as damaged.
    }
    // A damaged file must not mean "never": the default holds until an administrator reports again.
    this.log.warn({ file: 'vault/auto-lock.json' }, 'auto-lock file unreadable; the default minutes hold');
    return DEFAULT_IDLE_MINUTES;
  }
}
