import { VaultError } from '../vault-service';
import type { VaultDb } from '../views/vault-db';
import { IdleLock, systemClock, type IdleClock } from './idle-lock';
import type { OperatorRoleName } from '../../../shared/ipc/vault-contract';
import { AUTO_LOCK_MAX_MINUTES, type AutoLockSettingMeta } from '../../../shared/journal/mind-meta';

export const DEFAULT_AUTO_LOCK_MINUTES = 15;
/**
 * At most one activity report to the body per interval while the operator is active: the body
 * locks only after the minutes plus a grace minute (electron/vault/session-idle-lock.ts), so half
 * a minute of slack costs nothing, and a busy operator does not cost a call per keystroke.
 */
export const BODY_REPORT_INTERVAL_MS = 30_000;
const AUTO_LOCK_KEY = 'autoLockMinutes';

/**
 * Who may set the auto-lock. It is the workstation's policy, not a personal preference: one value
 * per vault and browser profile that every operator's session on it runs under, so only an
 * administrator sets it (tester's defect 1: a clinician's "Never" switched it off for everyone).
 */
export function mayChangeAutoLock(role: OperatorRoleName): boolean {
  return role === 'admin';
}

/**
 * Auto-lock after idle minutes. The minutes are stored in the views' `meta` table of the vault
 * (not secret; per vault and per browser profile, so the Electron window and the shell each keep
 * their own). The value survives "Rebuild index" (carried over by carryOver()) but not the loss of
 * the browser profile, where it falls back to 15 minutes. The body's prefs would be the other
 * home, but the contract has no field for it, and the setting is read only after unlock anyway.
 *
 * Only an administrator changes it (mayChangeAutoLock), and each change is journaled first as
 * `settings.autoLock` (minutes and the value before; a SETTINGS_CHANGE ledger entry under the
 * administrator); the body refuses that record from any other role's session.
 */
export class AutoLock {
  private minutesNow = DEFAULT_AUTO_LOCK_MINUTES;
  private readonly idle: IdleLock;
  private lastReport = Number.NEGATIVE_INFINITY;

  /**
   * `reportToBody`: tells the body the operator is active and the minutes this session runs under
   * (vault.activity); the body locks the session itself when no report came for the minutes and a
   * grace minute, so a hung or crashed page does not leave it unlocked.
   */
  constructor(
    onIdle: () => void,
    private readonly reportToBody: (minutes: number) => void,
    private readonly clock: IdleClock = systemClock,
  ) {
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
    this.report();
  }

  stop(): void {
    this.idle.stop();
    this.minutesNow = DEFAULT_AUTO_LOCK_MINUTES;
    this.lastReport = Number.NEGATIVE_INFINITY;
  }

  /**
   * An administrator's change: refused for any other role; journaled (`journal`, before the value
   * is stored, so no change goes unrecorded); a value equal to the current one changes nothing.
   */
  async set(db: VaultDb, minutes: number, role: OperatorRoleName, journal: (meta: AutoLockSettingMeta) => Promise<unknown>): Promise<void> {
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > AUTO_LOCK_MAX_MINUTES) throw new VaultError('E_NOT_ALLOWED', `Auto-lock is 0 (never) to ${AUTO_LOCK_MAX_MINUTES} whole minutes.`);
    if (!mayChangeAutoLock(role)) {
      throw new VaultError('E_NOT_ALLOWED', 'Only an administrator sets the auto-lock: it applies to every operator of this workstation.');
    }
    const before = await loadMinutes(db);
    if (before === minutes) return;
    await journal({ v: 1, minutes, before });
    await db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
    this.minutesNow = minutes;
    this.idle.setMinutes(minutes);
    this.report();
  }

  /** Writes a setting read before a rebuild into the fresh views ("Rebuild index" keeps it). */
  async carryOver(db: VaultDb, minutes: number): Promise<void> {
    await db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
  }

  noteActivity(): void {
    this.idle.noteActivity();
    if (this.clock.now() - this.lastReport >= BODY_REPORT_INTERVAL_MS) this.report();
  }

  private report(): void {
    this.lastReport = this.clock.now();
    this.reportToBody(this.minutesNow);
  }
}

async function loadMinutes(db: VaultDb): Promise<number> {
  const row = await db.meta.get(AUTO_LOCK_KEY);
  return typeof row?.value === 'number' && Number.isFinite(row.value) && row.value >= 0 ? row.value : DEFAULT_AUTO_LOCK_MINUTES;
}
