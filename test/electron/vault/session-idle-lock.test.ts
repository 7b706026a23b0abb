import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { IDLE_GRACE_MS, SessionIdleLock } from '../../../electron/vault/session-idle-lock';
import { createOpener } from '../../../shared/crypto/envelope';
import { SessionAuditMetaSchema } from '../../../shared/journal/audit-meta';
import { AUDIT_KINDS } from '../../../shared/journal/journal-kinds';
import { openJson } from '../../../shared/journal/sealed-json';
import { useTempDirs } from '../../support/temp-dir';
import { until } from '../../support/until';
import { CLEO, callAs, refused, withAdaAndCleo } from './two-operators';
import { call, heard, makeTestVault, payloadsOf, readJournal, signIn, type TestVault } from './vault-test-support';

/**
 * Auto-lock ran only in the mind: a hung, throttled or crashed page (or one that stopped its
 * timer) left the body's session unlocked for good. The body now locks a session whose window
 * reported no activity for the auto-lock minutes plus a grace minute.
 */

const MINUTE = 60_000;
const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const b of bodies.splice(0)) await b.stop('quit');
});

/** A body whose admin is signed in on the test connection; only the idle timers are fake (set before the sign-in). */
async function signedInBody(): Promise<{ b: Body; vault: TestVault }> {
  const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0 });
  bodies.push(b);
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
  await signIn(b, vault);
  return { b, vault };
}

async function session(b: Body) {
  return (await call(b, 'vault.session', {})).session;
}

/** The audit.session lock records (read after signing in again: journal.read needs a session). */
async function locks(b: Body, vault: TestVault) {
  const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
  const records = (await readJournal(b)).filter((record) => record.kind === AUDIT_KINDS.session);
  const metas = await Promise.all(records.map(async (record) => SessionAuditMetaSchema.parse(await openJson(opener, record.meta!))));
  return metas.filter((meta) => meta.event === 'locked');
}

/** Until the body's background lock (its journal write and event) has settled. */
async function settled(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('body: the auto-lock is enforced by the body too', () => {
  it('locks a session with no activity after the default minutes plus the grace, journals it as an idle lock, tells the windows, and intake goes on', async () => {
    const { b, vault } = await signedInBody();
    const events = heard(b);
    const intakeBefore = await call(b, 'intake.status', {});
    await vi.advanceTimersByTimeAsync(15 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await session(b)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    await settled();
    expect(await session(b)).toBeNull();
    await until('the windows told', async () => (payloadsOf(events, 'vault.sessionsEnded').length > 0 ? true : null));
    expect(payloadsOf(events, 'vault.sessionsEnded')).toEqual([{}]);
    // What lock means for intake: nothing; the listeners stay as they were.
    expect(await call(b, 'intake.status', {})).toEqual(intakeBefore);
    await signIn(b, vault);
    expect(await locks(b, vault)).toEqual([expect.objectContaining({ event: 'locked', idle: true, operatorId: vault.operatorId, role: 'admin' })]);
  });

  it('activity postpones the lock, under the minutes the session reports', async () => {
    const { b } = await signedInBody();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    await call(b, 'vault.activity', { autoLockMinutes: 5 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await session(b)).not.toBeNull();
    await call(b, 'vault.activity', { autoLockMinutes: 5 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await session(b)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    await settled();
    expect(await session(b)).toBeNull();
  });

  it('"never" (0 minutes) never locks', async () => {
    const { b } = await signedInBody();
    await call(b, 'vault.activity', { autoLockMinutes: 0 });
    await vi.advanceTimersByTimeAsync(48 * 60 * MINUTE);
    await settled();
    expect(await session(b)).not.toBeNull();
  });

  it('a connection without a session cannot postpone another\'s lock, nor report at all', async () => {
    const { b } = await signedInBody();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect((await refused(callAs(b, CLEO, 'vault.activity', { autoLockMinutes: 0 }))).code).toBe('E_FORBIDDEN');
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS);
    await settled();
    expect(await session(b)).toBeNull();
  });

  it('refuses minutes outside 0 to 24 hours', async () => {
    const { b } = await signedInBody();
    await expect(b.router.dispatch('vault.activity', { autoLockMinutes: 24 * 60 + 1 }, { transport: 'in-process', connectionId: 'test' })).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    await expect(b.router.dispatch('vault.activity', { autoLockMinutes: 1.5 }, { transport: 'in-process', connectionId: 'test' })).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
  });

  it('journals one lock when the mind\'s own auto-lock came first', async () => {
    const { b, vault } = await signedInBody();
    await vi.advanceTimersByTimeAsync(15 * MINUTE);
    await call(b, 'vault.lock', { idle: true });
    await vi.advanceTimersByTimeAsync(2 * IDLE_GRACE_MS);
    await settled();
    await signIn(b, vault);
    expect(await locks(b, vault)).toEqual([expect.objectContaining({ event: 'locked', idle: true })]);
  });
});

/**
 * The minutes came from each session's own report, so any operator could send 0 (or a day) and
 * switch off or stretch their own idle lock, whatever the administrator chose. The administrator's
 * `settings.autoLock` record is sealed to the intake key, which the body never holds; so an
 * administrator's session's minutes are the workstation's (kept by the body), and anyone else's
 * report can only make their own lock sooner.
 */
describe('body: the administrator\'s auto-lock minutes hold for every other operator', () => {
  async function adaAndCleo() {
    const dataDir = await tempDir();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    return withAdaAndCleo(dataDir, bodies);
  }
  const cleoSession = async (b: Body) => (await callAs(b, CLEO, 'vault.session', {})).session;

  it('a clinician reporting 0 (never) is still locked after the default minutes when no administrator chose any', async () => {
    const { b } = await adaAndCleo();
    await callAs(b, CLEO, 'vault.activity', { autoLockMinutes: 0 });
    await vi.advanceTimersByTimeAsync(15 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await cleoSession(b)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    await settled();
    expect(await cleoSession(b)).toBeNull();
  });

  it('a clinician reporting 0 or a day is locked after the administrator\'s minutes', async () => {
    const { b } = await adaAndCleo();
    await call(b, 'vault.activity', { autoLockMinutes: 5 });
    await callAs(b, CLEO, 'vault.activity', { autoLockMinutes: 0 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await cleoSession(b)).not.toBeNull();
    await callAs(b, CLEO, 'vault.activity', { autoLockMinutes: 24 * 60 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS - 1000);
    expect(await cleoSession(b)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    await settled();
    expect(await cleoSession(b)).toBeNull();
  });

  it('a clinician\'s own shorter minutes hold for their session', async () => {
    const { b } = await adaAndCleo();
    await call(b, 'vault.activity', { autoLockMinutes: 30 });
    await callAs(b, CLEO, 'vault.activity', { autoLockMinutes: 5 });
    await vi.advanceTimersByTimeAsync(5 * MINUTE + IDLE_GRACE_MS);
    await settled();
    expect(await cleoSession(b)).toBeNull();
    expect(await session(b)).not.toBeNull();
  });
});

describe('SessionIdleLock', () => {
  it('forgets an ended session, and a new session on the connection starts afresh', () => {
    vi.useFakeTimers();
    const locked: string[] = [];
    const idle = new SessionIdleLock((connectionId) => locked.push(connectionId));
    idle.begin('a');
    idle.begin('b');
    idle.activity('b', 30);
    idle.end('a');
    vi.advanceTimersByTime(29 * MINUTE);
    idle.begin('b');
    vi.advanceTimersByTime(16 * MINUTE);
    expect(locked).toEqual(['b']);
    idle.activity('b', 5);
    idle.stop();
    vi.advanceTimersByTime(60 * MINUTE);
    expect(locked).toEqual(['b']);
  });
});
