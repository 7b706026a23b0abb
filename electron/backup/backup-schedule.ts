import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { BackupSchedule, BackupStatus } from '../../shared/ipc/vault-contract';
import { readTextIfExists, syncDir, writeFileAtomic } from '../storage/durable-files';
import { BACKUP_EXTENSION } from './backup-format';

const HOUR_MS = 3_600_000;
/** The timer wakes at least this often and recomputes (a clock change, a machine that slept). */
const MAX_TIMER_MS = 5 * 60_000;
/** After a failed scheduled backup (a share offline, a full disk), the next try. */
const RETRY_AFTER_FAILURE_MS = 15 * 60_000;

/** The local-time occurrence of `HH:MM` on the day of `day`. */
function atLocalTime(day: Date, at: string): Date {
  const [hours, minutes] = at.split(':').map(Number) as [number, number];
  const out = new Date(day);
  out.setHours(hours, minutes, 0, 0);
  return out;
}

/**
 * When the schedule next makes a backup, or null when it is off. A run missed while the app was
 * not running (or the vault absent) is made up once, as soon as possible:
 *  - every N hours: N hours after the last scheduled backup; right away when there was none;
 *  - daily at HH:MM (this computer's local time): the first HH:MM after the last scheduled
 *    backup, or after the schedule was set when there was none.
 */
export function nextScheduledRun(schedule: BackupSchedule, last: Date | null, since: Date): Date | null {
  switch (schedule.kind) {
    case 'off':
      return null;
    case 'hours':
      return last === null ? since : new Date(last.getTime() + schedule.every * HOUR_MS);
    case 'daily': {
      const base = last === null || last < since ? since : last;
      let candidate = atLocalTime(base, schedule.at);
      if (candidate <= base) {
        const tomorrow = new Date(base);
        tomorrow.setDate(tomorrow.getDate() + 1);
        candidate = atLocalTime(tomorrow, schedule.at);
      }
      return candidate;
    }
  }
}

/** `hdms-scheduled-20250102T030405Z.hdmsbak`: scheduled backups, the only files retention deletes. */
export function scheduledBackupFileName(at: Date, suffix = 0): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `hdms-scheduled-${stamp}${suffix === 0 ? '' : `-${suffix}`}${BACKUP_EXTENSION}`;
}

const SCHEDULED_NAME = /^hdms-scheduled-(\d{8}T\d{6}Z)(?:-(\d{1,6}))?\.hdmsbak$/;

/**
 * Retention: keeps the newest `keep` scheduled backups in `folder` and deletes the older ones.
 * Only files named as the schedule names them are considered: manual exports, other programs'
 * files and anything else in the folder are never touched. Returns the names deleted.
 */
export async function pruneScheduledBackups(folder: string, keep: number): Promise<string[]> {
  const found: { name: string; stamp: string; suffix: number }[] = [];
  for (const name of await readdir(folder)) {
    const match = SCHEDULED_NAME.exec(name);
    if (match !== null) found.push({ name, stamp: match[1]!, suffix: Number(match[2] ?? 0) });
  }
  found.sort((a, b) => (a.stamp === b.stamp ? b.suffix - a.suffix : a.stamp < b.stamp ? 1 : -1));
  const deleted: string[] = [];
  for (const old of found.slice(keep)) {
    await unlink(path.join(folder, old.name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    deleted.push(old.name);
  }
  if (deleted.length > 0) await syncDir(folder).catch(() => undefined);
  return deleted;
}

/** `<data>/backup-status.json`: the last backup, the last failure, the last scheduled run. Times, sizes and a reason; no path, no PHI. */
export const BACKUP_STATUS_FILE = 'backup-status.json';

const StoredStatusSchema = z.strictObject({
  last: z.strictObject({ at: z.iso.datetime(), bytes: z.number().int().nonnegative(), scheduled: z.boolean() }).nullable(),
  failure: z.strictObject({ at: z.iso.datetime(), reason: z.string().max(500) }).nullable(),
  lastScheduledAt: z.iso.datetime().nullable(),
  /** When the schedule was last changed (a daily schedule counts its first run from here). */
  scheduleSince: z.iso.datetime().nullable(),
  /** The first erasure whose register copy beside the backups failed, until a copy succeeds (absent in older files). */
  erasureRecord: z.strictObject({ at: z.iso.datetime(), reason: z.string().max(500) }).nullable().default(null),
});
type StoredStatus = z.output<typeof StoredStatusSchema>;
const EMPTY_STATUS: StoredStatus = { last: null, failure: null, lastScheduledAt: null, scheduleSince: null, erasureRecord: null };

export class BackupStatusStore {
  private current: StoredStatus = EMPTY_STATUS;
  readonly file: string;

  /** `onChange` is told after every change is saved (the body pushes the new status to the windows). */
  constructor(
    dataDir: string,
    private readonly onChange: () => void = () => undefined,
  ) {
    this.file = path.join(dataDir, BACKUP_STATUS_FILE);
  }

  async load(): Promise<void> {
    const text = await readTextIfExists(this.file);
    if (text === null) return;
    try {
      const parsed = StoredStatusSchema.safeParse(JSON.parse(text));
      if (parsed.success) this.current = parsed.data;
    } catch {
      // An unreadable status is a missing one: the next backup writes it anew.
    }
  }

  get stored(): Readonly<StoredStatus> {
    return this.current;
  }

  async succeeded(at: Date, bytes: number, scheduled: boolean): Promise<void> {
    await this.save({
      ...this.current,
      last: { at: at.toISOString(), bytes, scheduled },
      failure: null,
      lastScheduledAt: scheduled ? at.toISOString() : this.current.lastScheduledAt,
    });
  }

  async failed(at: Date, reason: string): Promise<void> {
    await this.save({ ...this.current, failure: { at: at.toISOString(), reason: reason.slice(0, 500) } });
  }

  /** The register could not be copied beside the backups; the first such time is kept until a copy succeeds. */
  async erasureRecordNotCopied(at: Date, reason: string): Promise<void> {
    await this.save({ ...this.current, erasureRecord: { at: this.current.erasureRecord?.at ?? at.toISOString(), reason: reason.slice(0, 500) } });
  }

  /** The register is beside the backups again. */
  async erasureRecordCopied(): Promise<void> {
    if (this.current.erasureRecord === null) return;
    await this.save({ ...this.current, erasureRecord: null });
  }

  async scheduleChanged(at: Date): Promise<void> {
    await this.save({ ...this.current, scheduleSince: at.toISOString() });
  }

  /** What the contract answers. */
  answer(nextAt: Date | null): BackupStatus {
    return { last: this.current.last, failure: this.current.failure, nextAt: nextAt?.toISOString() ?? null, erasureRecord: this.current.erasureRecord };
  }

  private async save(next: StoredStatus): Promise<void> {
    this.current = next;
    try {
      await writeFileAtomic(this.file, `${JSON.stringify(next, null, 1)}\n`);
    } finally {
      // What the windows show is what the body now answers, saved or not.
      this.onChange();
    }
  }
}

export interface BackupSchedulerOptions {
  readonly schedule: () => BackupSchedule;
  readonly status: BackupStatusStore;
  /** Makes one scheduled backup; false when there is no vault to back up (nothing is recorded then). */
  readonly run: () => Promise<boolean>;
  /** A PHI-free reason for a failure (the log gets the details). */
  readonly describe: (error: unknown) => string;
  readonly onFailure: (error: unknown) => void;
  readonly now?: () => Date;
}

/**
 * Runs the schedule in the body: one timer, re-armed after every run, every settings change and
 * at least every five minutes. The backup itself needs no key that opens the vault (see
 * backup-export.ts: it is sealed to the vault's public key), so it runs while the vault is
 * locked, with no one signed in.
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private retryAt: Date | null = null;
  private stopped = false;
  /** When no schedule change was recorded (a settings file written by hand): this process's first look, fixed. */
  private firstLook: Date | null = null;
  private readonly now: () => Date;

  constructor(private readonly options: BackupSchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** When the next scheduled backup is due (a failure's retry when one is pending), or null. */
  nextAt(): Date | null {
    const { stored } = this.options.status;
    const since = stored.scheduleSince === null ? (this.firstLook ??= this.now()) : new Date(stored.scheduleSince);
    const due = nextScheduledRun(this.options.schedule(), stored.lastScheduledAt === null ? null : new Date(stored.lastScheduledAt), since);
    if (due === null) return null;
    return this.retryAt !== null && this.retryAt > due ? this.retryAt : due;
  }

  /** (Re)arms the timer for the current schedule. */
  arm(): void {
    if (this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const next = this.nextAt();
    if (next === null) return;
    const delay = Math.max(0, Math.min(MAX_TIMER_MS, next.getTime() - this.now().getTime()));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delay);
    this.timer.unref();
  }

  /** Runs a due backup now (if one is due and none is running), then re-arms. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.running !== null) return this.running;
    const next = this.nextAt();
    if (next === null || next > this.now()) {
      this.arm();
      return;
    }
    this.running = (async () => {
      try {
        const made = await this.options.run();
        this.retryAt = made ? null : new Date(this.now().getTime() + MAX_TIMER_MS);
      } catch (error) {
        this.options.onFailure(error);
        this.retryAt = new Date(this.now().getTime() + RETRY_AFTER_FAILURE_MS);
        await this.options.status.failed(this.now(), this.options.describe(error)).catch(() => undefined);
      } finally {
        this.running = null;
      }
    })();
    await this.running;
    this.arm();
  }

  /** The schedule changed: a daily schedule counts from now, a pending retry is dropped. */
  async scheduleChanged(): Promise<void> {
    this.retryAt = null;
    await this.options.status.scheduleChanged(this.now());
    this.arm();
  }

  /** Stops the timer and waits for a backup under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
