import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createVaultService } from '../../../../renderer/vault/create-vault-service';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { createFakeBody } from '../support/fake-body';

/**
 * Tester's defect 1: a clinician set "Lock automatically after" to Never, and the administrator
 * (and every other operator of the workstation) then had no auto-lock either, with no trace. The
 * auto-lock is the workstation's policy: only an administrator sets it, and each change is
 * journaled (`settings.autoLock`, a SETTINGS_CHANGE ledger entry) under the administrator.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const OTHER = 'quiet harbor lantern ninety';

function setup() {
  const body = createFakeBody();
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
  return { body, vault };
}

async function refusal(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

describe('auto-lock: the workstation\'s policy, an administrator\'s setting (tester defect 1)', () => {
  it('refuses a clinician\'s change, which leaves every operator\'s auto-lock as it was', async () => {
    const { body, vault } = setup();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const carl = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    const admin = vault.currentOperator()!;
    vault.lock();
    await vault.unlock({ operatorId: carl.operatorId, passphrase: OTHER });
    expect(vault.autoLockMinutes()).toBe(15);

    const refused = await refusal(vault.setAutoLockMinutes(0));
    expect(refused.code).toBe('E_NOT_ALLOWED');
    expect(refused.message).toContain('administrator');
    expect(vault.autoLockMinutes()).toBe(15);
    expect(body.journal.filter((record) => record.kind === MIND_KINDS.autoLockSetting)).toEqual([]);

    vault.lock();
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    expect(vault.autoLockMinutes()).toBe(15);
  });

  it('journals an administrator\'s change under them, and the clinician\'s next session has it', async () => {
    const { body, vault } = setup();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const carl = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    const adminActor = body.journal.find((record) => record.kind === MIND_KINDS.operatorChanged)!.operator;

    await vault.setAutoLockMinutes(5);
    const journaled = body.journal.filter((record) => record.kind === MIND_KINDS.autoLockSetting);
    expect(journaled).toHaveLength(1);
    expect(journaled[0]!.operator).toBe(adminActor);
    expect(journaled[0]!.meta).not.toBeNull();
    // Saving the value it has already changes nothing and journals nothing.
    await vault.setAutoLockMinutes(5);
    expect(body.journal.filter((record) => record.kind === MIND_KINDS.autoLockSetting)).toHaveLength(1);

    vault.lock();
    await vault.unlock({ operatorId: carl.operatorId, passphrase: OTHER });
    expect(vault.autoLockMinutes()).toBe(5);
  });
});

/**
 * The body enforces the auto-lock too (electron/vault/session-idle-lock.ts): the page reports
 * activity, throttled, with the minutes it runs under, and shows the lock screen when the body
 * locked its session (a page that was hung or throttled and missed its own timer).
 */
describe('auto-lock: the page reports activity to the body and reacts to the body\'s lock', () => {
  function withClock() {
    let now = 0;
    const clock = {
      now: () => now,
      // The mind's own timer never fires here: only the body's lock is under test.
      setTimeout: () => 0,
      clearTimeout: () => undefined,
    };
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, clock });
    const reports = () => body.calls.filter((call) => call.method === 'vault.activity').map((call) => call.payload);
    return { body, vault, reports, advance: (ms: number) => (now += ms) };
  }

  it('reports at unlock and on a change of the minutes, then at most once per 30 s of activity', async () => {
    const { vault, reports, advance } = withClock();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    expect(reports()).toEqual([{ autoLockMinutes: 15 }]);
    for (let i = 0; i < 29; i++) {
      advance(1000);
      vault.noteActivity();
    }
    expect(reports()).toHaveLength(1);
    advance(1000);
    vault.noteActivity();
    vault.noteActivity();
    expect(reports()).toEqual([{ autoLockMinutes: 15 }, { autoLockMinutes: 15 }]);
    await vault.setAutoLockMinutes(0);
    expect(reports().at(-1)).toEqual({ autoLockMinutes: 0 });
    // No activity, no report: the body's wait runs on.
    advance(10 * 60_000);
    expect(reports()).toHaveLength(3);
  });

  it('shows the lock screen when the body locked the session (as after its own auto-lock), and journals no second lock', async () => {
    const { body, vault } = withClock();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const admin = vault.currentOperator()!;
    // Another window's session ending is not this one's: it stays unlocked.
    body.emit('vault.sessionsEnded', {});
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(vault.phase()).toBe('unlocked');

    body.session = null;
    body.emit('vault.sessionsEnded', {});
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(vault.phase()).toBe('locked');
    expect(vault.lockedBy()).toBe(admin.operatorId);
    expect(body.calls.filter((call) => call.method === 'vault.lock')).toEqual([]);
  });
});
