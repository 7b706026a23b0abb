import { VaultError } from '../vault-service';
import type { VaultDb } from '../views/vault-db';
import { IdleLock, type IdleClock } from './idle-lock';

export const DEFAULT_AUTO_LOCK_MINUTES = 15;
const AUTO_LOCK_KEY = 'autoLockMinutes';

/**
 * Auto-lock after idle minutes. The minutes are stored in the views' `meta` table of the vault
 * (not secret; per vault and per browser profile, so the Electron window and the shell each keep
 * their own). The value survives "Rebuild index" (carried over by carryOver()) but not the loss of
 * the browser profile, where it falls back to 15 minutes. The body's prefs would be the other
 * home, but the contract has no field for it, and the setting is read only after unlock anyway.
 */
export class AutoLock {
  private minutesNow = DEFAULT_AUTO_LOCK_MINUTES;
  private readonly idle: IdleLock;

  constructor(onIdle: () => void, clock?: IdleClock) {
    this.idle = new IdleLock(onIdle, clock);
  }

  get minutes(): number {
    return this.minutesNow;
  }

  /** A session opens: its vault's setting (arm() starts the timer once the session is in place). */
  async load(db: VaultDb): Promise<void> {
    this.minutesNow = await loadMinutes(db);
  }

  arm(): void {
    this.idle.start(this.minutesNow);
  }

  stop(): void {
    this.idle.stop();
    this.minutesNow = DEFAULT_AUTO_LOCK_MINUTES;
  }

  async set(db: VaultDb, minutes: number): Promise<void> {
    if (!Number.isFinite(minutes) || minutes < 0 || minutes > 24 * 60) throw new VaultError('E_NOT_ALLOWED', 'Auto-lock is 0 (never) to 1440 minutes.');
    await db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
    this.minutesNow = minutes;
    this.idle.setMinutes(minutes);
  }

  /** Writes a setting read before a rebuild into the fresh views ("Rebuild index" keeps it). */
  async carryOver(db: VaultDb, minutes: number): Promise<void> {
    await db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
  }

  noteActivity(): void {
    this.idle.noteActivity();
  }
}

async function loadMinutes(db: VaultDb): Promise<number> {
  const row = await db.meta.get(AUTO_LOCK_KEY);
  return typeof row?.value === 'number' && Number.isFinite(row.value) && row.value >= 0 ? row.value : DEFAULT_AUTO_LOCK_MINUTES;
}
