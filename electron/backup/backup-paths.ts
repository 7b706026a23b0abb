import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_EXTENSION, BackupRefusal } from './backup-format';
import { backupStartProblem, readBackupStart } from './backup-file-start';

/**
 * Which files a backup call may read (issue 9: backup.inspect read any path, `../` and `/proc`
 * included). A backup path from the mind is either
 * - a plain file name, read inside `<data>/backups/` (what Export backup writes), or
 * - an absolute path the user typed or picked, to a regular file: named `*.hdmsbak`, or of any
 *   other name if its first bytes are a backup's (magic "HDMSBAK1" and a preamble length).
 * Links are followed first and the file they end at must pass the same rule, so a link named
 * `x.hdmsbak` cannot lead to keys.json or /etc/passwd. The content is checked afterwards by the
 * backup format itself (magic, preamble); this rule keeps everything else from being read past its
 * first 12 bytes.
 */
export async function resolveBackupPath(dataDir: string, file: string): Promise<string> {
  let candidate: string;
  if (path.isAbsolute(file)) candidate = path.normalize(file);
  else {
    if (file !== path.basename(file) || file === '.' || file === '..' || file.includes('/') || file.includes('\\')) {
      throw new BackupRefusal('E_BAD_REQUEST', 'path: a backup is a file name inside the backups folder, or the full path of a .hdmsbak file.');
    }
    candidate = path.join(dataDir, 'backups', file);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new BackupRefusal('E_BAD_REQUEST', 'No backup file at that path.');
  }
  const info = await stat(real).catch(() => null);
  if (info === null || !info.isFile()) throw new BackupRefusal('E_BAD_REQUEST', 'path: a backup is a regular file.');
  // A copy renamed by a mail gateway or a USB tool (`x.bak`) is still a backup: a file of another
  // name is let through only if it begins as one, so keys.json or /etc/passwd are never read further.
  if (path.extname(real).toLowerCase() !== BACKUP_EXTENSION) {
    const problem = await beginsAsBackup(real);
    if (problem !== null) throw new BackupRefusal('E_BAD_REQUEST', problem);
  }
  return candidate;
}

async function beginsAsBackup(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    return `The backup file cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}).`;
  }
  try {
    return backupStartProblem(await readBackupStart(handle));
  } finally {
    await handle.close();
  }
}
