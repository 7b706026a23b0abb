import { randomBytes } from 'node:crypto';
import { open, realpath, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BackupSettingsSchema, DEFAULT_BACKUP_SETTINGS, type BackupSettings } from '../../shared/ipc/vault-contract';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import { destinationNeedsMarking, markDestination } from './backup-destination';
import { BackupRefusal } from './backup-format';

/** `<data>/backup-settings.json`: where backups go and when the body makes them (no PHI: a folder path, a time, a count). */
export const BACKUP_SETTINGS_FILE = 'backup-settings.json';

interface Logger {
  warn(object: object, message: string): void;
}

/** Where backups go when no destination is set. */
export function defaultBackupFolder(dataDir: string): string {
  return path.join(dataDir, 'backups');
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Checks a destination folder as IT gives it: an absolute path to an existing folder this process
 * can write into (a probe file is created and removed), not inside the vault folder (a backup
 * there would be copied into the next backup and erased with nothing). Returns the normalized path.
 * The refusal names the field and the rule, never the path itself.
 */
export async function checkBackupDestination(dataDir: string, destination: string): Promise<string> {
  const refuse = (why: string): never => {
    throw new BackupRefusal('E_BAD_REQUEST', `destination: ${why}`);
  };
  if (!path.isAbsolute(destination) || destination.includes('\0')) refuse('give the full path of a folder (for example D:\\Backups\\HDMS or /srv/backups/hdms).');
  const normalized = path.normalize(destination);
  let real: string;
  try {
    real = await realpath(normalized);
  } catch {
    return refuse('there is no folder at that path; create it first.');
  }
  const info = await stat(real);
  if (!info.isDirectory()) refuse('that path is a file, not a folder.');
  const vaultDir = await realpath(path.join(dataDir, 'vault')).catch(() => path.join(dataDir, 'vault'));
  if (isInside(real, vaultDir)) refuse('a folder inside the vault folder cannot hold backups of it.');
  const probe = path.join(real, `.hdms-write-check-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await unlink(probe);
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    refuse(`this app cannot write into that folder: ${whyNotWritable((error as NodeJS.ErrnoException).code)}.`);
  }
  return normalized;
}

/** Why a folder refused the write probe, in words (no errno codes in a field's message). */
function whyNotWritable(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'the account running HDMS Node has no permission to create files there';
    case 'EROFS':
      return 'the disk is read-only';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk (or this account’s quota) is full';
    default:
      return 'it does not accept new files (a system or special folder?); choose a folder on a data disk or network share';
  }
}

/** Loads and saves the backup settings (atomic replace: a crash leaves the old or the new file). */
export class BackupSettingsStore {
  private current: BackupSettings = DEFAULT_BACKUP_SETTINGS;
  readonly file: string;

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dataDir, BACKUP_SETTINGS_FILE);
  }

  /** A missing file means the defaults; an unreadable one the defaults with a warning. */
  async load(): Promise<BackupSettings> {
    const text = await readTextIfExists(this.file);
    if (text === null) {
      this.current = DEFAULT_BACKUP_SETTINGS;
      return this.current;
    }
    try {
      const parsed = BackupSettingsSchema.safeParse({ ...DEFAULT_BACKUP_SETTINGS, ...(JSON.parse(text) as object) });
      if (!parsed.success) throw new Error('invalid');
      this.current = parsed.data;
    } catch {
      this.log.warn({ file: BACKUP_SETTINGS_FILE }, 'backup settings file is not valid; using the defaults (no schedule, <data>/backups)');
      this.current = DEFAULT_BACKUP_SETTINGS;
    }
    return this.current;
  }

  get(): BackupSettings {
    return this.current;
  }

  /** The folder backups go to now. */
  folder(): string {
    return this.current.destination ?? defaultBackupFolder(this.dataDir);
  }

  /**
   * Merges, checks (the destination on disk), marks the destination as `vaultId`'s (see
   * backup-destination.ts: a new one, or one saved before markers that has none), saves; throws
   * BackupRefusal (E_BAD_REQUEST) naming the field when refused.
   */
  async update(change: Partial<BackupSettings>, vaultId: string): Promise<BackupSettings> {
    const merged = BackupSettingsSchema.safeParse({ ...this.current, ...change });
    if (!merged.success) {
      const issue = merged.error.issues[0];
      throw new BackupRefusal('E_BAD_REQUEST', `${issue?.path.map(String).join('.') || 'settings'}: ${issue?.message ?? 'not valid'}.`);
    }
    let next = merged.data;
    if (next.destination !== null && (next.destination !== this.current.destination || (await destinationNeedsMarking(this.dataDir, next.destination, vaultId)))) {
      const destination = await checkBackupDestination(this.dataDir, next.destination);
      await markDestination(this.dataDir, destination, vaultId);
      next = { ...next, destination };
    }
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.current = next;
    return next;
  }
}
