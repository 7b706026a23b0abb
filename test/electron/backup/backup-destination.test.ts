import { mkdir, readdir, readFile, rename, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { DESTINATION_MARKER } from '../../../electron/backup/backup-destination';
import { ERASURE_REGISTER_COPY, readErasureRegister } from '../../../electron/backup/erasure-register';
import { createSealer } from '../../../shared/crypto/envelope';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, makeTestVault, readJournal, signIn, type TestVault } from '../vault/vault-test-support';
import { until } from '../../support/until';

const tempDir = useTempDirs();

async function body(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
}

/** What the mind does for an erasure: journals the erasure record, then asks the body to erase. */
async function erase(b: Body, vault: TestVault, seqs: number[], objects: string[]): Promise<void> {
  const sealer = await createSealer(vault.keys.intakeKeyPair.publicKeyRaw);
  const meta = Buffer.from(await sealer.seal('journalMetadata', new TextEncoder().encode('{}'))).toString('base64url');
  const { seq } = await call(b, 'journal.append', { kind: 'erasure.patient', operator: null, objects: [], meta });
  await call(b, 'vault.erase', { erasureSeq: seq, seqs, objects });
}

/**
 * A network share mounted at `mountPoint`: unmounting it leaves the mount point as an empty local
 * folder (what Linux and macOS do), mounting it again brings its files back.
 */
async function share(root: string): Promise<{ mountPoint: string; unmount(): Promise<void>; mount(): Promise<void> }> {
  const mountPoint = path.join(root, 'mnt-backups');
  const offline = path.join(root, 'share-while-offline');
  await mkdir(mountPoint);
  return {
    mountPoint,
    unmount: async () => {
      await rename(mountPoint, offline);
      await mkdir(mountPoint);
    },
    mount: async () => {
      await rmdir(mountPoint);
      await rename(offline, mountPoint);
    },
  };
}

async function vaultBody(dataDir: string): Promise<{ b: Body; vault: TestVault }> {
  const b = await body(dataDir);
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn(b, vault);
  return { b, vault };
}

describe('backup destination marker: an unmounted share is not the destination', () => {
  it('marks a destination when it is saved (the vault id and when, no path), and writes no marker into <data>/backups', async () => {
    const dataDir = await tempDir();
    const { mountPoint } = await share(await tempDir());
    const { b, vault } = await vaultBody(dataDir);
    await call(b, 'backup.export', {});
    expect(await readdir(path.join(dataDir, 'backups'))).not.toContain(DESTINATION_MARKER);
    await call(b, 'backup.updateSettings', { destination: mountPoint });
    const text = await readFile(path.join(mountPoint, DESTINATION_MARKER), 'utf8');
    expect(JSON.parse(text)).toEqual({ format: 'hdms-backup-destination', version: 1, vaultId: vault.keyring.vaultId, chosenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(text).not.toContain(path.sep + 'mnt-backups');
    await b.stop('quit');
  });

  it('refuses a backup by hand into the empty mount point of an unmounted share, says the share may not be mounted, and writes nothing there', async () => {
    const dataDir = await tempDir();
    const destination = await share(await tempDir());
    const { b } = await vaultBody(dataDir);
    await call(b, 'demo.import', { patients: 1, seed: 21 });
    await call(b, 'backup.updateSettings', { destination: destination.mountPoint });
    await call(b, 'backup.export', {});
    await destination.unmount();
    const refused = await b.router.dispatch('backup.export', {}, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringMatching(/not mounted/) } });
    expect(await readdir(destination.mountPoint)).toEqual([]);
    const status = await call(b, 'backup.status', {});
    expect(status.failure?.reason).toMatch(/not mounted/);
    expect(status.failure?.reason).not.toContain('mnt-backups');
    // Saving other settings while it is unmounted does not mark the empty mount point.
    await call(b, 'backup.updateSettings', { destination: destination.mountPoint, keep: 4 });
    expect(await readdir(destination.mountPoint)).toEqual([]);
    // Mounted again: the backup goes there.
    await destination.mount();
    const made = await call(b, 'backup.export', {});
    expect(path.dirname(made.path)).toBe(destination.mountPoint);
    expect((await call(b, 'backup.status', {})).failure).toBeNull();
    await b.stop('quit');
  });

  it('makes no scheduled backup into an unmounted share: the failure is recorded and the mount point stays empty', async () => {
    const dataDir = await tempDir();
    const destination = await share(await tempDir());
    const { b } = await vaultBody(dataDir);
    await call(b, 'backup.updateSettings', { destination: destination.mountPoint });
    await destination.unmount();
    await call(b, 'backup.updateSettings', { schedule: { kind: 'hours', every: 1 } });
    const status = await until('a scheduled failure', async () => {
      const answer = await call(b, 'backup.status', {});
      return answer.failure === null ? null : answer;
    });
    expect(status.last).toBeNull();
    expect(status.failure?.reason).toMatch(/not mounted/);
    expect(await readdir(destination.mountPoint)).toEqual([]);
    await b.stop('quit');
  });

  it('erases while the share is unmounted but copies no register onto the local mount point; the status says so, and the copy is made once the share is back', async () => {
    const dataDir = await tempDir();
    const destination = await share(await tempDir());
    const { b, vault } = await vaultBody(dataDir);
    await call(b, 'backup.updateSettings', { destination: destination.mountPoint });
    await call(b, 'demo.import', { patients: 2, seed: 22 });
    await destination.unmount();
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    expect((await readJournal(b)).find((record) => record.seq === victim.seq)).toMatchObject({ kind: 'erased' });
    expect(await readdir(destination.mountPoint)).toEqual([]);
    const status = await call(b, 'backup.status', {});
    expect(status.erasureRecord?.reason).toMatch(/could not be copied beside the backups: .*not mounted/);
    expect(status.erasureRecord!.reason).not.toContain('mnt-backups');
    expect(status.erasureRecord!.reason).toMatch(/\(tried every 5 minutes\)\.$/);
    await destination.mount();
    await call(b, 'backup.export', {});
    expect((await readErasureRegister(path.join(destination.mountPoint, ERASURE_REGISTER_COPY))).erasures).toHaveLength(1);
    expect((await call(b, 'backup.status', {})).erasureRecord).toBeNull();
    await b.stop('quit');
  });

  it('refuses a folder another vault has marked: no backup into it, and it is not saved as the destination', async () => {
    const { mountPoint } = await share(await tempDir());
    const { b, vault } = await vaultBody(await tempDir());
    await call(b, 'backup.updateSettings', { destination: mountPoint });
    // Another installation's marker (the share mounted at this point is now another node's).
    const other = JSON.stringify({ format: 'hdms-backup-destination', version: 1, vaultId: 'vault_other_0002', chosenAt: new Date().toISOString() });
    await writeFile(path.join(mountPoint, DESTINATION_MARKER), other);
    const refused = await b.router.dispatch('backup.export', {}, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringMatching(/another HDMS Node/) } });
    const elsewhere = await tempDir();
    await call(b, 'backup.updateSettings', { destination: elsewhere });
    const notSaved = await b.router.dispatch('backup.updateSettings', { destination: mountPoint }, callContext);
    expect(notSaved).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST', message: expect.stringMatching(/^destination: .*another HDMS Node/) } });
    expect((await call(b, 'backup.getSettings', {})).settings.destination).toBe(elsewhere);
    expect(await readFile(path.join(mountPoint, DESTINATION_MARKER), 'utf8')).toBe(other);
    expect(vault.keyring.vaultId).not.toBe('vault_other_0002');
    await b.stop('quit');
  });
});

describe('backup.checkDestination: "Check again" checks the destination now (QA s32 #6)', () => {
  it('says an unmounted share is not available and, once it is mounted again, that it is, writing nothing into the folder', async () => {
    const dataDir = await tempDir();
    const destination = await share(await tempDir());
    const { b } = await vaultBody(dataDir);
    await call(b, 'backup.updateSettings', { destination: destination.mountPoint });
    await destination.unmount();
    const off = await call(b, 'backup.checkDestination', {});
    expect(off).toEqual({ available: false, reason: expect.stringMatching(/not mounted/), checkedAt: expect.stringMatching(/^\d{4}-/) });
    expect(off.reason).not.toContain('mnt-backups');
    expect(await readdir(destination.mountPoint)).toEqual([]);
    await destination.mount();
    const before = await readdir(destination.mountPoint);
    expect(await call(b, 'backup.checkDestination', {})).toMatchObject({ available: true, reason: null });
    expect(await readdir(destination.mountPoint)).toEqual(before);
    await b.stop('quit');
  });

  it('is for administrators: a connection without an administrator\'s session is refused', async () => {
    const dataDir = await tempDir();
    const { b } = await vaultBody(dataDir);
    const answer = await b.router.dispatch('backup.checkDestination', {}, { ...callContext, connectionId: 'nobody' });
    expect(answer.ok).toBe(false);
    await b.stop('quit');
  });
});

describe('backup destination marker: destinations saved before the marker', () => {
  /** A destination in the settings file as an earlier version left it (no marker written). */
  async function savedBefore(dataDir: string, destination: string): Promise<void> {
    await writeFile(path.join(dataDir, 'backup-settings.json'), JSON.stringify({ destination, schedule: { kind: 'off' }, keep: 7 }));
  }

  it('adopts one that holds this vault’s backups (the marker is written and the backup made)', async () => {
    const dataDir = await tempDir();
    const { mountPoint } = await share(await tempDir());
    const started = await vaultBody(dataDir);
    const vault = started.vault;
    let b = started.b;
    const old = await call(b, 'backup.export', {});
    await b.stop('quit');
    await rename(old.path, path.join(mountPoint, path.basename(old.path)));
    await savedBefore(dataDir, mountPoint);
    b = await body(dataDir);
    await signIn(b, vault);
    const made = await call(b, 'backup.export', {});
    expect(path.dirname(made.path)).toBe(mountPoint);
    expect(JSON.parse(await readFile(path.join(mountPoint, DESTINATION_MARKER), 'utf8'))).toMatchObject({ vaultId: vault.keyring.vaultId });
    await b.stop('quit');
  });

  it('adopts one that holds only this vault’s erasure register copy', async () => {
    const dataDir = await tempDir();
    const { mountPoint } = await share(await tempDir());
    const started = await vaultBody(dataDir);
    const vault = started.vault;
    let b = started.b;
    await call(b, 'demo.import', { patients: 1, seed: 23 });
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    await b.stop('quit');
    // What an earlier version's erasure copied beside the backups.
    await writeFile(path.join(mountPoint, ERASURE_REGISTER_COPY), await readFile(path.join(dataDir, 'erasure-register.json')));
    await savedBefore(dataDir, mountPoint);
    b = await body(dataDir);
    await signIn(b, vault);
    const made = await call(b, 'backup.export', {});
    expect(path.dirname(made.path)).toBe(mountPoint);
    expect(JSON.parse(await readFile(path.join(mountPoint, DESTINATION_MARKER), 'utf8'))).toMatchObject({ vaultId: vault.keyring.vaultId });
    await b.stop('quit');
  });

  it('refuses one that is empty and unmarked, asking to save the destination again in Settings; saving it again marks it', async () => {
    const dataDir = await tempDir();
    const { mountPoint } = await share(await tempDir());
    const started = await vaultBody(dataDir);
    const vault = started.vault;
    let b = started.b;
    await b.stop('quit');
    await savedBefore(dataDir, mountPoint);
    b = await body(dataDir);
    await signIn(b, vault);
    const refused = await b.router.dispatch('backup.export', {}, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringMatching(/save the destination again in Settings/) } });
    expect(await readdir(mountPoint)).toEqual([]);
    // An erasure meanwhile: not copied there; the status says why, in whole (not cut at its 500 characters).
    await call(b, 'demo.import', { patients: 1, seed: 24 });
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    expect(await readdir(mountPoint)).toEqual([]);
    const reason = (await call(b, 'backup.status', {})).erasureRecord?.reason;
    expect(reason).toMatch(/save it again in Settings/);
    expect(reason).toMatch(/\(tried every 5 minutes\)\.$/);
    // Saved again: marked, and the erasure's record copied there at once.
    await call(b, 'backup.updateSettings', { destination: mountPoint });
    expect((await readdir(mountPoint)).sort()).toEqual([ERASURE_REGISTER_COPY, DESTINATION_MARKER].sort());
    expect((await call(b, 'backup.status', {})).erasureRecord).toBeNull();
    const made = await call(b, 'backup.export', {});
    expect(path.dirname(made.path)).toBe(mountPoint);
    await b.stop('quit');
  });
});
