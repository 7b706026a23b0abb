import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_EXTENSION, BackupRefusal } from './backup-format';

/**
 * Which files a backup call may read (issue 9: backup.inspect read any path, `../` and `/proc`
 * included). A backup path from the mind is either
 * - a plain file name, read inside `<data>/backups/` (what Export backup writes), or
 * - an absolute path the user typed or picked, to a regular file named `*.hdmsbak`.
 * Links are followed first and the file they end at must pass the same rule, so a link named
 * `x.hdmsbak` cannot lead to keys.json or /etc/passwd. The content is checked afterwards by the
 * backup format itself (magic, preamble); this rule keeps everything else from being opened.
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
  if (path.extname(real).toLowerCase() !== BACKUP_EXTENSION) {
    throw new BackupRefusal('E_BAD_REQUEST', `path: only ${BACKUP_EXTENSION} files are read as backups.`);
  }
  const info = await stat(real).catch(() => null);
  if (info === null || !info.isFile()) throw new BackupRefusal('E_BAD_REQUEST', 'path: a backup is a regular file.');
  return candidate;
}
