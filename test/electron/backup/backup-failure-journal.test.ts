import { mkdir, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { failureWorthJournaling } from '../../../electron/backup/backup-journal';
import { createOpener } from '../../../shared/crypto/envelope';
import { BACKUP_KINDS } from '../../../shared/journal/journal-kinds';
import { openJson } from '../../../shared/journal/sealed-json';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, makeTestVault, readJournal, signIn, type TestVault } from '../vault/vault-test-support';
import { until } from '../../support/until';

/**
 * Tester T2 F10: a failed backup showed on Settings and the lock screen but left no journal record,
 * so no ledger entry. A failure is now a `backup.failed` record of the body (no operator, no path,
 * the reason in words sealed); a schedule retrying against the same problem journals it once, again
 * when the reason changes, and again after a backup succeeded in between.
 */

const tempDir = useTempDirs();

async function vaultBody(dataDir: string): Promise<{ b: Body; vault: TestVault }> {
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn(b, vault);
  return { b, vault };
}

/** The body's backup.failed records with their sealed meta, opened. */
async function failures(b: Body, vault: TestVault): Promise<Array<{ operator: string | null; meta: Record<string, unknown>; raw: string }>> {
  const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
  const out = [];
  for (const record of (await readJournal(b)).filter((r) => r.kind === BACKUP_KINDS.failed)) {
    const meta = (await openJson(opener, record.meta!)) as Record<string, unknown>;
    out.push({ operator: record.operator, meta, raw: JSON.stringify(record) + JSON.stringify(meta) });
  }
  return out;
}

/** A scheduled run now: a schedule change drops the pending retry, and with no scheduled backup yet one is due at once. */
async function scheduledRun(b: Body, every: number): Promise<string> {
  const before = (await call(b, 'backup.status', {})).failure?.at ?? '';
  await call(b, 'backup.updateSettings', { schedule: { kind: 'hours', every } });
  return until('a scheduled run', async () => {
    const status = await call(b, 'backup.status', {});
    if (status.last?.scheduled === true) return 'made';
    return status.failure !== null && status.failure.at !== before ? status.failure.reason : null;
  });
}

describe('backup failures in the journal (tester T2 F10)', () => {
  it('journals a backup by hand that failed: the session\'s administrator in the sealed meta, no path, the reason in words; each attempt by hand is one record', async () => {
    const dataDir = await tempDir();
    const destination = path.join(await tempDir(), 'usb-stick');
    await mkdir(destination);
    const { b, vault } = await vaultBody(dataDir);
    await call(b, 'backup.updateSettings', { destination });
    await rename(destination, `${destination}-gone`);
    const refused = await b.router.dispatch('backup.export', {}, callContext);
    expect(refused.ok).toBe(false);
    const [first, ...more] = await failures(b, vault);
    expect(more).toEqual([]);
    // No clear operator on disk; who clicked (H8) is the calling session's account, sealed.
    expect(first!.operator).toBeNull();
    expect(first!.meta).toMatchObject({ v: 1, act: 'failed', scheduled: 0, reason: expect.stringMatching(/destination folder is not available/), at: expect.stringMatching(/^\d{4}-/), operatorId: vault.operatorId });
    expect(first!.raw).not.toContain('usb-stick');
    await b.router.dispatch('backup.export', {}, callContext);
    expect(await failures(b, vault)).toHaveLength(2);
    await b.stop('quit');
  });

  it('journals a scheduled failure once while it repeats, again when its reason changes, and not again after the backup is made', async () => {
    const dataDir = await tempDir();
    const root = await tempDir();
    const mountPoint = path.join(root, 'mnt-backups');
    const away = path.join(root, 'share-while-offline');
    await mkdir(mountPoint);
    const { b, vault } = await vaultBody(dataDir);
    await call(b, 'backup.updateSettings', { destination: mountPoint });
    await rename(mountPoint, away);

    expect(await scheduledRun(b, 1)).toMatch(/not available/);
    expect(await scheduledRun(b, 2)).toMatch(/not available/);
    expect(await scheduledRun(b, 3)).toMatch(/not available/);
    const once = await failures(b, vault);
    expect(once.map((f) => f.meta['scheduled'])).toEqual([1]);
    // The schedule runs with nobody's session: no operator, although an administrator is signed in.
    expect(once[0]!.meta).not.toHaveProperty('operatorId');
    expect(once[0]!.raw).not.toContain('mnt-backups');

    // An empty folder in its place (a share not mounted): another reason, another record.
    await mkdir(mountPoint);
    expect(await scheduledRun(b, 4)).toMatch(/not mounted/);
    expect(await scheduledRun(b, 5)).toMatch(/not mounted/);
    expect((await failures(b, vault)).map((f) => f.meta['reason'])).toEqual([expect.stringMatching(/not available/), expect.stringMatching(/not mounted/)]);

    // Back: the scheduled backup is made (its own backup.scheduled record), no failure record.
    await rmdir(mountPoint);
    await rename(away, mountPoint);
    expect(await scheduledRun(b, 6)).toBe('made');
    expect(await failures(b, vault)).toHaveLength(2);
    // The status says so just before the record is appended: wait for the record.
    await until('the backup.scheduled record', async () => ((await readJournal(b)).some((r) => r.kind === BACKUP_KINDS.scheduled) ? true : null));
    expect(await failures(b, vault)).toHaveLength(2);
    await b.stop('quit');
  });
});

describe('which failures are journaled', () => {
  const failure = (reason: string) => ({ at: '2026-12-07T10:00:00.000Z', reason });
  it('a scheduled failure when none was recorded (the first, or the first since a backup was made) or when its reason differs; every failure by hand', () => {
    expect(failureWorthJournaling(null, 'The backup destination is full.', true)).toBe(true);
    expect(failureWorthJournaling(failure('The backup destination is full.'), 'The backup destination is full.', true)).toBe(false);
    expect(failureWorthJournaling(failure('The backup destination is full.'), 'This app may not write into the backup destination.', true)).toBe(true);
    expect(failureWorthJournaling(failure('The backup destination is full.'), 'The backup destination is full.', false)).toBe(true);
  });
});
