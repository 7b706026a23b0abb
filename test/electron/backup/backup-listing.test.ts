import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, makeTestVault, signIn } from '../vault/vault-test-support';

/**
 * Tester T2 F9: on a new computer the browser shell's restore screen had only a path field. The
 * body lists the backups in a folder the user names (before any vault exists): only files that
 * begin as backups (by content, any name), with name, size and date, newest first; nothing else of
 * the folder, and a path that is no folder is refused in words.
 */

const tempDir = useTempDirs();

const body = (dataDir: string): Promise<Body> => startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });

/** A folder as a stick from the old computer holds it: two backups (one renamed), and other files. */
async function stick(): Promise<{ folder: string; older: string; newer: string }> {
  const b = await body(await tempDir());
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn(b, vault);
  const first = await call(b, 'backup.export', {});
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await call(b, 'backup.export', {});
  await b.stop('quit');
  const folder = path.join(await tempDir(), 'stick');
  await mkdir(path.join(folder, 'photos'), { recursive: true });
  const older = path.join(folder, path.basename(first.path));
  await copyFile(first.path, older);
  // Renamed on the way by a mail gateway: still a backup.
  const newer = path.join(folder, 'hdms-backup-copy.bak');
  await copyFile(second.path, newer);
  await writeFile(path.join(folder, 'notes.txt'), 'patient list, not a backup');
  await writeFile(path.join(folder, 'fake.hdmsbak'), 'not a backup despite its name');
  await writeFile(path.join(folder, 'photos', 'x.hdmsbak'), 'in a subfolder');
  return { folder, older, newer };
}

describe('backup.list in a folder the user names, before any vault (tester T2 F9)', () => {
  it('lists only the files that begin as backups, whatever their name, with size and date, newest first', async () => {
    const { folder, older, newer } = await stick();
    const fresh = await body(await tempDir());
    const listed = await call(fresh, 'backup.list', { folder });
    expect(listed.backups.map((entry) => entry.name)).toEqual(['hdms-backup-copy.bak', path.basename(older)]);
    expect(listed.backups[0]).toEqual({ path: newer, name: 'hdms-backup-copy.bak', bytes: (await stat(newer)).size, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(listed.backups[0]!.createdAt! > listed.backups[1]!.createdAt!).toBe(true);
    await fresh.stop('quit');
  });

  it('refuses a path that is not a folder, one that is not there and one that is not a full path, in words', async () => {
    const { folder, older } = await stick();
    const fresh = await body(await tempDir());
    const refusal = async (target: string) => {
      const answer = await fresh.router.dispatch('backup.list', { folder: target }, callContext);
      if (answer.ok) throw new Error('listed');
      return answer.error;
    };
    expect(await refusal(older)).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/^folder: .*is a file, not a folder/) });
    expect(await refusal(path.join(folder, 'nowhere'))).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/^folder: there is no folder at that path/) });
    expect(await refusal('stick')).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/^folder: .*full path/) });
    await fresh.stop('quit');
  });
});
