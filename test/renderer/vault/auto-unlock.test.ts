import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createOpener } from '../../../shared/crypto/envelope';
import { parseRecoveryKey } from '../../../shared/crypto/recovery-key';
import { unwrapSlot } from '../../../shared/crypto/key-slots';
import { deriveVaultKeys } from '../../../shared/crypto/vault-keys';
import { toBase64Url, randomBytes } from '../../../shared/crypto/bytes';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { createVaultService } from '../../../renderer/vault/create-vault-service';
import { VaultError } from '../../../renderer/vault/vault-service';
import { openJson } from '../../../shared/journal/sealed-json';
import { createFakeBody, type FakeBody } from './support/fake-body';

const PASSPHRASE = 'violet tractor amber seventeen';
const OTHER = 'quiet harbor lantern ninety';

/** A mind on the body: a fresh IndexedDB and a fresh instance each time, as after a restart. */
function mind(body: FakeBody) {
  return createVaultService({
    api: body.api,
    transport: body.transport,
    host: 'electron',
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    testOnlyPbkdf2Iterations: 1000,
  });
}

async function expectVaultError(promise: Promise<unknown>, code: string): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  expect((error as VaultError).code).toBe(code);
  return error as VaultError;
}

/** Opens a mind event's sealed meta with the vault's keys (reached through the recovery slot). */
async function openMeta(body: FakeBody, recoveryKey: string, record: JournalRecord): Promise<unknown> {
  const slot = body.keyring!.slots.find((s) => s.kind === 'recovery')!;
  const master = await unwrapSlot(slot, await parseRecoveryKey(recoveryKey));
  const keys = await deriveVaultKeys(master);
  return openJson(createOpener(keys.intakeKeyPair.privateKey), record.meta!);
}

const keychainSlots = (body: FakeBody) => body.keyring!.slots.filter((s) => s.kind === 'keychain');
const ofKind = (body: FakeBody, kind: string) => body.journal.filter((r) => r.kind === kind);

describe('VaultService: unlock automatically on this computer', () => {
  it('is unavailable without an OS keychain (the shell): nothing offered, nothing stored', async () => {
    const body = createFakeBody();
    const vault = mind(body);
    await vault.ready();
    expect(await vault.autoUnlockAvailable()).toBe(false);
    const created = await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE, autoUnlock: true });
    expect(created.autoUnlock).toBe(false);
    expect(vault.phase()).toBe('unlocked');
    expect(vault.autoUnlockEnabled()).toBe(false);
    expect(keychainSlots(body)).toEqual([]);
    await expectVaultError(vault.setAutoUnlock(true), 'E_NODE');
    expect(body.keyring!.revision).toBe(1);

    // A restart stays locked and asks for nothing it does not have.
    vault.lock();
    const next = mind(body);
    await next.ready();
    expect(next.phase()).toBe('locked');
    expect(body.calls.some((c) => c.method === 'vault.keychainLoad')).toBe(false);
  });

  it('create with auto-unlock → a restart opens as the admin; switched off → a restart stays locked', async () => {
    const body = createFakeBody({ keychain: true });
    const vault = mind(body);
    await vault.ready();
    expect(await vault.autoUnlockAvailable()).toBe(true);
    const { recoveryKey, autoUnlock } = await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE, autoUnlock: true });
    expect(autoUnlock).toBe(true);
    expect(vault.autoUnlockEnabled()).toBe(true);
    const admin = vault.currentOperator()!;

    // One keychain slot for the admin, revision 2, the key in the keychain (not in the keyring).
    expect(body.keyring!.revision).toBe(2);
    expect(keychainSlots(body)).toEqual([expect.objectContaining({ kind: 'keychain', operatorId: admin.operatorId })]);
    expect(body.keychainEntry).toEqual({ operatorId: admin.operatorId, key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(JSON.stringify(body.keyring)).not.toContain(body.keychainEntry!.key);
    const [setting] = ofKind(body, 'settings.autoUnlock');
    expect(setting!.operator).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await openMeta(body, recoveryKey, setting!)).toEqual({ v: 1, enabled: true, auth: expect.any(String) as unknown });

    // Restart: a new mind instance on the same body opens by itself, as the admin, and says so.
    vault.lock();
    const restarted = mind(body);
    await restarted.ready();
    expect(restarted.phase()).toBe('unlocked');
    expect(restarted.currentOperator()).toEqual(admin);
    expect(restarted.autoUnlockEnabled()).toBe(true);
    const [event] = ofKind(body, 'vault.autoUnlock');
    expect(event!.operator).toBe(setting!.operator);
    const meta = (await openMeta(body, recoveryKey, event!)) as { v: number; at: string };
    expect(meta).toEqual({ v: 1, at: expect.any(String) as unknown, auth: expect.any(String) as unknown });
    expect(Number.isNaN(Date.parse(meta.at))).toBe(false);
    // The session works: its keys open the vault's data.
    await restarted.importDemoData(3);
    expect((await restarted.search('')).patientIds).toHaveLength(3);

    // Off: slot gone (revision + 1), keychain cleared, journaled; the next restart stays locked.
    await restarted.setAutoUnlock(false);
    expect(restarted.autoUnlockEnabled()).toBe(false);
    expect(body.keyring!.revision).toBe(3);
    expect(keychainSlots(body)).toEqual([]);
    expect(body.keychainEntry).toBeNull();
    expect(await openMeta(body, recoveryKey, ofKind(body, 'settings.autoUnlock').at(-1)!)).toEqual({ v: 1, enabled: false, auth: expect.any(String) as unknown });
    restarted.lock();
    const again = mind(body);
    await again.ready();
    expect(again.phase()).toBe('locked');
    expect(ofKind(body, 'vault.autoUnlock')).toHaveLength(1);
  });

  it('admins only; switching it on again replaces the slot (one per vault, as the latest admin)', async () => {
    const body = createFakeBody({ keychain: true });
    const vault = mind(body);
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    expect(vault.autoUnlockEnabled()).toBe(false);
    const clinician = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    const bob = await vault.addOperator({ name: 'Bob Admin', role: 'admin', passphrase: 'granite meadow copper eleven' });
    await vault.setAutoUnlock(true);
    const adaKey = body.keychainEntry!.key;
    vault.lock();

    await vault.unlock({ operatorId: clinician.operatorId, passphrase: OTHER });
    expect(vault.autoUnlockEnabled()).toBe(false);
    await expectVaultError(vault.setAutoUnlock(true), 'E_NOT_ALLOWED');
    await expectVaultError(vault.setAutoUnlock(false), 'E_NOT_ALLOWED');
    vault.lock();

    await vault.unlock({ operatorId: bob.operatorId, passphrase: 'granite meadow copper eleven' });
    expect(vault.autoUnlockEnabled()).toBe(false);
    await vault.setAutoUnlock(true);
    expect(keychainSlots(body)).toEqual([expect.objectContaining({ operatorId: bob.operatorId })]);
    expect(body.keychainEntry).toEqual({ operatorId: bob.operatorId, key: expect.any(String) });
    expect(body.keychainEntry!.key).not.toBe(adaKey);
    vault.lock();

    const restarted = mind(body);
    await restarted.ready();
    expect(restarted.currentOperator()?.name).toBe('Bob Admin');
  });

  it('a keychain entry with the wrong key stays locked and is cleared', async () => {
    const body = createFakeBody({ keychain: true });
    const vault = mind(body);
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE, autoUnlock: true });
    vault.lock();
    body.keychainEntry = { ...body.keychainEntry!, key: toBase64Url(randomBytes(32)) };

    const restarted = mind(body);
    await restarted.ready();
    expect(restarted.phase()).toBe('locked');
    expect(body.keychainEntry).toBeNull();
    expect(ofKind(body, 'vault.autoUnlock')).toEqual([]);
    // The keychain attempt is counted on its own: the passphrase's delay is untouched.
    await expect(body.api.vault.unlockBegin({ operatorId: body.keyring!.operators[0]!.operatorId, kind: 'passphrase' })).resolves.toMatchObject({ state: 'ready' });
  });

  it('an entry whose slot was moved to another operator, or a keyring edited on disk, stays locked', async () => {
    const body = createFakeBody({ keychain: true });
    const vault = mind(body);
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE, autoUnlock: true });
    const other = await vault.addOperator({ name: 'Rita Researcher', role: 'researcher', passphrase: OTHER });
    vault.lock();
    const good = structuredClone(body.keyring!);
    const entry = { ...body.keychainEntry! };

    // The keyring edited outside the app (a role raised): the slot opens, the integrity check does not.
    body.keyring = { ...good, operators: good.operators.map((o) => (o.operatorId === other.operatorId ? { ...o, role: 'admin' as const } : o)) };
    const first = mind(body);
    await first.ready();
    expect(first.phase()).toBe('locked');
    expect(body.keychainEntry).toEqual(entry);

    // The entry pointed at another operator: no keychain slot of theirs, so it is useless and goes.
    body.keyring = good;
    body.keychainEntry = { ...entry, operatorId: other.operatorId };
    const second = mind(body);
    await second.ready();
    expect(second.phase()).toBe('locked');
    expect(body.keychainEntry).toBeNull();
    expect(ofKind(body, 'vault.autoUnlock')).toEqual([]);
  });

  it('a keychain that refuses to store leaves no keychain slot behind, and create still returns the recovery key', async () => {
    const body = createFakeBody({ keychain: true });
    body.keychainStoreFails = true;
    const vault = mind(body);
    await vault.ready();
    const created = await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE, autoUnlock: true });
    expect(created.recoveryKey).toMatch(/^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/);
    expect(created.autoUnlock).toBe(false);
    expect(vault.phase()).toBe('unlocked');
    expect(vault.autoUnlockEnabled()).toBe(false);
    expect(keychainSlots(body)).toEqual([]);
    await expectVaultError(vault.setAutoUnlock(true), 'E_NODE');
    expect(keychainSlots(body)).toEqual([]);
    expect(ofKind(body, 'settings.autoUnlock')).toEqual([]);
  });
});
