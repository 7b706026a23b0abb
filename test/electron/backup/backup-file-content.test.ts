import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../../electron/body';
import { BACKUP_MAGIC, readBackupHead } from '../../../electron/backup/backup-format';
import { resolveBackupPath } from '../../../electron/backup/backup-paths';
import { createOpener } from '../../../shared/crypto/envelope';
import { useTempDirs } from '../../support/temp-dir';
import { call, makeTestVault, signIn } from '../vault/vault-test-support';

const tempDir = useTempDirs();

describe('a backup file is judged by its content, not its name (tester T2 S35 F7)', () => {
  it('reads a real backup copied under another name (.bak, no extension), and restores from it', async () => {
    const dataDir = await tempDir();
    const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 2, seed: 3 });
    const exported = await call(b, 'backup.export', {});
    const elsewhere = await tempDir();
    await copyFile(path.join(dataDir, 'backups', 'hdms-erasure-register.json'), path.join(elsewhere, 'hdms-erasure-register.json'));
    for (const name of ['renamed.bak', 'no-extension']) {
      const copy = path.join(elsewhere, name);
      await copyFile(exported.path, copy);
      const inspected = await call(b, 'backup.inspect', { path: copy });
      expect(inspected.keyring, name).toEqual(vault.keyring);
      expect(inspected.bytes, name).toBe(exported.bytes);
    }
    const fresh = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
    const renamed = path.join(elsewhere, 'renamed.bak');
    const inspected = await call(fresh, 'backup.inspect', { path: renamed });
    const dataKey = await createOpener(vault.keys.intakeKeyPair.privateKey).exportDataKey(Buffer.from(inspected.envelopeHeader, 'base64url'));
    await expect(call(fresh, 'backup.restore', { path: renamed, dataKey: Buffer.from(dataKey).toString('base64url') })).resolves.toMatchObject({ backupCreatedAt: inspected.createdAt });
    await expect(call(fresh, 'vault.status', {})).resolves.toEqual({ state: 'locked' });
    await fresh.stop('quit');
    await b.stop('quit');
  });

  it('refuses a file of another name whose content is not a backup, links to one included', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'vault'), { recursive: true });
    await writeFile(path.join(dataDir, 'vault', 'keys.json'), '{"version":1}');
    const elsewhere = await tempDir();
    await writeFile(path.join(elsewhere, 'notes.bak'), 'HDMSBAKX and more text after it');
    for (const bad of [path.join(dataDir, 'vault', 'keys.json'), '/etc/passwd', path.join(elsewhere, 'notes.bak')]) {
      await expect(resolveBackupPath(dataDir, bad), bad).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringContaining('not an HDMS Node backup') });
    }
    await expect(resolveBackupPath(dataDir, '/dev/zero')).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: 'path: a backup is a regular file.' });
  });

  it('calls an empty file empty and a file shorter than the header cut short, under any name', async () => {
    const dataDir = await tempDir();
    const elsewhere = await tempDir();
    const empty = path.join(elsewhere, 'empty.hdmsbak');
    const emptyRenamed = path.join(elsewhere, 'empty.bak');
    const short = path.join(elsewhere, 'short.hdmsbak');
    const shortRenamed = path.join(elsewhere, 'short.bak');
    const magicOnly = path.join(elsewhere, 'magic-only.hdmsbak');
    await writeFile(empty, '');
    await writeFile(emptyRenamed, '');
    await writeFile(short, BACKUP_MAGIC.subarray(0, 5));
    await writeFile(shortRenamed, BACKUP_MAGIC.subarray(0, 5));
    await writeFile(magicOnly, Buffer.concat([BACKUP_MAGIC, Buffer.from([0, 0])]));
    for (const file of [empty, emptyRenamed]) {
      const resolved = await resolveBackupPath(dataDir, file).catch((error: unknown) => error);
      const error = typeof resolved === 'string' ? await readBackupHead(resolved).catch((e: unknown) => e) : resolved;
      expect(error, file).toMatchObject({ code: 'E_BAD_REQUEST', message: 'The file is empty (0 bytes): it is not a backup yet; was the copy interrupted, or is it still being copied?' });
    }
    for (const [file, bytes] of [[short, 5], [shortRenamed, 5], [magicOnly, 10]] as const) {
      const resolved = await resolveBackupPath(dataDir, file).catch((error: unknown) => error);
      const error = typeof resolved === 'string' ? await readBackupHead(resolved).catch((e: unknown) => e) : resolved;
      expect(error, file).toMatchObject({ code: 'E_BAD_REQUEST', message: `The file is cut short (${bytes} bytes): it is damaged, or still being copied.` });
    }
    // A short file that does not begin like a backup is not one.
    await writeFile(short, 'hello');
    await expect(readBackupHead(short)).rejects.toMatchObject({ message: expect.stringContaining('not an HDMS Node backup') });
  });
});
