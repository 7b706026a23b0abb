import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackupListing } from '../../shared/ipc/vault-contract';
import { backupStartProblem, readBackupStart } from './backup-file-start';
import { BackupRefusal, readBackupHead } from './backup-format';

/** Backups listed at most (the contract's cap), and directory entries looked at at most per folder. */
export const MAX_LISTED = 1000;
const MAX_ENTRIES_READ = 5000;

/** Whether a regular file begins as a backup (its first 12 bytes); unreadable is not. */
async function beginsAsBackup(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return false;
  try {
    return backupStartProblem(await readBackupStart(handle)) === null;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * The backups directly in `folder`, known by their content (tester T2 F9, as a restore knows them:
 * backup-file-start.ts), whatever their names: name, full path, size and the date in their clear
 * preamble (null when the rest of it is damaged). Nothing else of the folder is answered: no other
 * file's name, no subfolder. A folder that cannot be read lists nothing.
 */
export async function backupsIn(folder: string, room = MAX_LISTED): Promise<BackupListing[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const found: BackupListing[] = [];
  for (const name of names.slice(0, MAX_ENTRIES_READ)) {
    if (found.length >= room) break;
    if (name.startsWith('.')) continue;
    const full = path.join(folder, name);
    const info = await stat(full).catch(() => null);
    if (info === null || !info.isFile() || !(await beginsAsBackup(full))) continue;
    const createdAt = await readBackupHead(full).then(
      (head) => head.preamble.createdAt,
      () => null,
    );
    found.push({ path: full, name, bytes: info.size, createdAt });
  }
  return found;
}

/**
 * A folder the user typed for a restore to pick from (before any vault exists, so this answers no
 * more than the path field already could): a full path to a folder, else a refusal in words.
 */
export async function backupFolderToList(folder: string): Promise<string> {
  if (!path.isAbsolute(folder)) throw new BackupRefusal('E_BAD_REQUEST', 'folder: give the full path of the folder that holds the backups.');
  const info = await stat(folder).catch(() => null);
  if (info === null) throw new BackupRefusal('E_BAD_REQUEST', 'folder: there is no folder at that path (a drive not connected, a share offline?).');
  if (!info.isDirectory()) throw new BackupRefusal('E_BAD_REQUEST', 'folder: that path is a file, not a folder; give the folder that holds the backups (or the file’s path as the backup file).');
  return path.normalize(folder);
}

/** Newest first by the date in the preamble; damaged ones (no date) last, then by name. */
export function newestFirst(backups: BackupListing[]): BackupListing[] {
  return backups.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.name.localeCompare(a.name));
}
