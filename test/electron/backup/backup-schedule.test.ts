import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { BackupScheduler, BackupStatusStore, nextScheduledRun, pruneScheduledBackups, scheduledBackupFileName } from '../../../electron/backup/backup-schedule';
import { checkBackupDestination } from '../../../electron/backup/backup-settings';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, heard, makeTestVault, payloadsOf, readJournal, signIn } from '../vault/vault-test-support';
import { until } from '../../support/until';

const tempDir = useTempDirs();

async function body(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
}

const local = (y: number, m: number, d: number, h: number, min: number) => new Date(y, m - 1, d, h, min, 0, 0);

describe('backup schedule: when the next one is due', () => {
  it('every N hours: right away when none was made, else N hours after the last', () => {
    const since = local(2026, 3, 1, 9, 0);
    expect(nextScheduledRun({ kind: 'hours', every: 6 }, null, since)).toEqual(since);
    expect(nextScheduledRun({ kind: 'hours', every: 6 }, local(2026, 3, 1, 10, 0), since)).toEqual(local(2026, 3, 1, 16, 0));
    expect(nextScheduledRun({ kind: 'off' }, null, since)).toBeNull();
  });

  it('daily at a local time: the first such time after the last run (or after the schedule was set), so a missed run is made up once', () => {
    const since = local(2026, 3, 1, 9, 0);
    expect(nextScheduledRun({ kind: 'daily', at: '02:30' }, null, since)).toEqual(local(2026, 3, 2, 2, 30));
    expect(nextScheduledRun({ kind: 'daily', at: '21:00' }, null, since)).toEqual(local(2026, 3, 1, 21, 0));
    // The last run was three days ago: due at the first 02:30 after it, long past, i.e. now.
    expect(nextScheduledRun({ kind: 'daily', at: '02:30' }, local(2026, 3, 1, 2, 30), local(2026, 2, 1, 0, 0))).toEqual(local(2026, 3, 2, 2, 30));
    // A run at exactly the time counts: the next is tomorrow.
    expect(nextScheduledRun({ kind: 'daily', at: '02:30' }, local(2026, 3, 2, 2, 30), since)).toEqual(local(2026, 3, 3, 2, 30));
  });

  it('runs a daily backup at its time when the schedule was set by hand (no recorded change)', async () => {
    const status = new BackupStatusStore(await tempDir());
    let now = local(2026, 3, 1, 9, 0);
    const run = vi.fn(async () => {
      await status.succeeded(now, 1, true);
      return true;
    });
    const scheduler = new BackupScheduler({ schedule: () => ({ kind: 'daily', at: '21:00' }), status, run, describe: () => '', onFailure: () => undefined, now: () => now });
    expect(scheduler.nextAt()).toEqual(local(2026, 3, 1, 21, 0));
    now = local(2026, 3, 1, 21, 0);
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(1);
    expect(scheduler.nextAt()).toEqual(local(2026, 3, 2, 21, 0));
    await scheduler.stop();
  });

  it('runs a due backup once, records failures with their reason, retries later, and runs nothing while off', async () => {
    const dataDir = await tempDir();
    const status = new BackupStatusStore(dataDir);
    let now = local(2026, 3, 1, 9, 0);
    let schedule: { kind: 'hours'; every: number } | { kind: 'off' } = { kind: 'hours', every: 4 };
    const run = vi.fn(async () => {
      await status.succeeded(now, 100, true);
      return true;
    });
    const scheduler = new BackupScheduler({ schedule: () => schedule, status, run, describe: () => 'no space', onFailure: () => undefined, now: () => now });
    await scheduler.scheduleChanged();
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(1);
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(1);
    expect(scheduler.nextAt()).toEqual(local(2026, 3, 1, 13, 0));
    now = local(2026, 3, 1, 13, 1);
    run.mockImplementationOnce(async () => {
      throw new Error('disk full');
    });
    await scheduler.tick();
    expect(status.answer(null)).toMatchObject({ last: { at: local(2026, 3, 1, 9, 0).toISOString(), scheduled: true }, failure: { reason: 'no space' } });
    // The retry waits 15 minutes.
    expect(scheduler.nextAt()).toEqual(local(2026, 3, 1, 13, 16));
    now = local(2026, 3, 1, 13, 20);
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(3);
    expect(status.answer(null).failure).toBeNull();
    schedule = { kind: 'off' };
    now = local(2026, 3, 9, 0, 0);
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(3);
    expect(scheduler.nextAt()).toBeNull();
    await scheduler.stop();
  });
});

describe('backup retention and destination', () => {
  it('keeps the newest N scheduled backups and never touches manual exports or other files', async () => {
    const folder = await tempDir();
    const times = [1, 2, 3, 4, 5].map((day) => new Date(Date.UTC(2026, 2, day, 2, 30)));
    for (const at of times) await writeFile(path.join(folder, scheduledBackupFileName(at)), 'x');
    await writeFile(path.join(folder, scheduledBackupFileName(times[4]!, 1)), 'x');
    await writeFile(path.join(folder, 'hdms-backup-20200101T000000Z.hdmsbak'), 'manual');
    await writeFile(path.join(folder, 'notes.txt'), 'other');
    const deleted = await pruneScheduledBackups(folder, 3);
    expect(deleted.sort()).toEqual([scheduledBackupFileName(times[0]!), scheduledBackupFileName(times[1]!), scheduledBackupFileName(times[2]!)].sort());
    expect((await readdir(folder)).sort()).toEqual(['hdms-backup-20200101T000000Z.hdmsbak', 'notes.txt', scheduledBackupFileName(times[3]!), scheduledBackupFileName(times[4]!), scheduledBackupFileName(times[4]!, 1)].sort());
  });

  it('takes an existing writable folder by its full path and refuses the rest without quoting the path', async () => {
    const dataDir = await tempDir();
    const folder = await tempDir();
    await expect(checkBackupDestination(dataDir, folder)).resolves.toBe(folder);
    await mkdir(path.join(dataDir, 'vault', 'backups'), { recursive: true });
    await writeFile(path.join(folder, 'file.txt'), 'x');
    const cases: Array<[string, RegExp]> = [
      ['relative/folder', /full path/],
      [path.join(folder, 'missing-secret-name'), /no folder at that path/],
      [path.join(folder, 'file.txt'), /a file, not a folder/],
      [path.join(dataDir, 'vault', 'backups'), /inside the vault folder/],
    ];
    for (const [destination, why] of cases) {
      const refused = await checkBackupDestination(dataDir, destination).then(() => null, (error: Error) => error);
      expect(refused?.message).toMatch(why);
      expect(refused?.message).toMatch(/^destination: /);
      expect(refused?.message).not.toContain('missing-secret-name');
    }
    expect((await readdir(folder)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // A folder that takes no new files (/proc here; QA: "cannot write into that folder (ENOENT)") says so in words, no errno code.
    if (process.platform === 'linux') {
      const refused = await checkBackupDestination(dataDir, '/proc').then(() => null, (error: Error) => error);
      expect(refused?.message).toMatch(/^destination: this app cannot write into that folder: /);
      expect(refused?.message).not.toMatch(/\bE[A-Z]{2,}\b/);
    }
  });
});

describe('backup: scheduled by the body', () => {
  it('saves a destination and schedule (admin only), makes the first scheduled backup there with no session open, journals it and reports it to anyone', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    // No session yet: settings are the admin's.
    await expect(b.router.dispatch('backup.updateSettings', { destination }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    await expect(call(b, 'backup.status', {})).resolves.toEqual({ last: null, failure: null, nextAt: null, erasureRecord: null });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 2, seed: 5 });
    await expect(b.router.dispatch('backup.updateSettings', { destination: 'backups' }, callContext)).resolves.toMatchObject({
      ok: false,
      error: { code: 'E_BAD_REQUEST', message: expect.stringMatching(/^destination: give the full path/) },
    });
    const saved = await call(b, 'backup.updateSettings', { destination, keep: 3 });
    expect(saved).toEqual({ settings: { destination, schedule: { kind: 'off' }, keep: 3 }, folder: destination, defaultFolder: path.join(dataDir, 'backups'), dialogs: false });
    await expect(b.router.dispatch('backup.choose', { what: 'folder' }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    await b.stop('quit');

    // A new body with nobody signed in: the schedule alone makes the backup (every 24 hours, none yet: now).
    const settingsFile = path.join(dataDir, 'backup-settings.json');
    const settings = JSON.parse(await readFile(settingsFile, 'utf8')) as object;
    await writeFile(settingsFile, JSON.stringify({ ...settings, schedule: { kind: 'hours', every: 24 } }));
    const next = await body(dataDir);
    const made = await until('a scheduled backup', async () => (await readdir(destination)).find((name) => /^hdms-scheduled-\d{8}T\d{6}Z\.hdmsbak$/.test(name)) ?? null);
    const status = await until('the status', async () => {
      const answer = await call(next, 'backup.status', {});
      return answer.last === null ? null : answer;
    });
    expect(status.last).toMatchObject({ scheduled: true, bytes: (await stat(path.join(destination, made))).size });
    expect(status.failure).toBeNull();
    expect(new Date(status.nextAt!).getTime() - new Date(status.last!.at).getTime()).toBe(24 * 3_600_000);
    if (process.platform !== 'win32') expect((await stat(path.join(destination, made))).mode & 0o777).toBe(0o600);
    // It is a real backup: its preamble reads, and the listing a restore picks from shows it.
    await signIn(next, vault);
    const inspected = await call(next, 'backup.inspect', { path: path.join(destination, made) });
    expect(inspected.keyring).toEqual(vault.keyring);
    const listed = await call(next, 'backup.list', {});
    expect(listed.backups.map((entry) => entry.path)).toContain(path.join(destination, made));
    const records = await readJournal(next);
    expect(records.filter((record) => record.kind === 'backup.scheduled')).toHaveLength(1);
    await next.stop('quit');
  });

  it('tells every window when the status changes: a backup made, a failed export, a scheduled backup (QA11 D2)', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'backup.updateSettings', { destination });
    const events = heard(b);
    await call(b, 'backup.export', {});
    await until('a pushed success', async () => (payloadsOf(events, 'backup.statusChanged').some((s) => s.last !== null && s.failure === null) ? true : null));
    // The share goes offline, folder and all.
    const offline = `${destination}-offline`;
    await rename(destination, offline);
    const refused = await b.router.dispatch('backup.export', {}, callContext);
    expect(refused.ok).toBe(false);
    const failed = await until('a pushed failure', async () => payloadsOf(events, 'backup.statusChanged').find((s) => s.failure !== null) ?? null);
    expect(failed.failure?.reason).not.toContain(destination);
    expect(failed).toEqual(await call(b, 'backup.status', {}));
    await rename(offline, destination);
    const before = payloadsOf(events, 'backup.statusChanged').length;
    await call(b, 'backup.updateSettings', { schedule: { kind: 'hours', every: 1 } });
    const scheduled = await until('a pushed scheduled backup', async () =>
      payloadsOf(events, 'backup.statusChanged')
        .slice(before)
        .find((s) => s.last?.scheduled === true && s.failure === null) ?? null,
    );
    expect(scheduled.nextAt).not.toBeNull();
    await b.stop('quit');
  });

  it('records a failure with a PHI-free reason when the destination is gone, and keeps the schedule', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await b.stop('quit');
    const gone = path.join(await tempDir(), 'unplugged-share');
    await writeFile(path.join(dataDir, 'backup-settings.json'), JSON.stringify({ destination: gone, schedule: { kind: 'hours', every: 1 }, keep: 2 }));
    const next = await body(dataDir);
    const status = await until('a failure', async () => {
      const answer = await call(next, 'backup.status', {});
      return answer.failure === null ? null : answer;
    });
    expect(status.last).toBeNull();
    expect(status.failure?.reason).toMatch(/destination folder is not available/);
    expect(status.failure?.reason).not.toContain('unplugged-share');
    // Never created on the local disk in its place.
    await expect(stat(gone)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(status.nextAt).not.toBeNull();
    await next.stop('quit');
  });
});
