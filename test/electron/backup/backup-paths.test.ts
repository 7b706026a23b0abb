import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBackupPath } from '../../../electron/backup/backup-paths';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('backup paths (issue 9 §4: backup.inspect accepted any path)', () => {
  it('takes a plain file name inside <data>/backups/ and an absolute path to a regular .hdmsbak file', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'backups'));
    await writeFile(path.join(dataDir, 'backups', 'hdms-backup-1.hdmsbak'), 'x');
    await expect(resolveBackupPath(dataDir, 'hdms-backup-1.hdmsbak')).resolves.toBe(path.join(dataDir, 'backups', 'hdms-backup-1.hdmsbak'));
    const elsewhere = await tempDir();
    await writeFile(path.join(elsewhere, 'Copy.HDMSBAK'), 'x');
    await expect(resolveBackupPath(dataDir, path.join(elsewhere, 'Copy.HDMSBAK'))).resolves.toBe(path.join(elsewhere, 'Copy.HDMSBAK'));
  });

  it('refuses names that leave the backups folder, system files, folders, devices and links to other files', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'backups'));
    await mkdir(path.join(dataDir, 'vault'));
    await writeFile(path.join(dataDir, 'vault', 'keys.json'), '{}');
    await mkdir(path.join(dataDir, 'backups', 'folder.hdmsbak'));
    await symlink('/etc/passwd', path.join(dataDir, 'backups', 'link.hdmsbak'));
    for (const bad of ['../vault/keys.json', '..', 'sub/../../vault/keys.json', '/proc/self/environ', '/etc/passwd', '/dev/zero', path.join(dataDir, 'vault', 'keys.json'), 'folder.hdmsbak', 'link.hdmsbak', 'missing.hdmsbak']) {
      await expect(resolveBackupPath(dataDir, bad), bad).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    }
  });
});
