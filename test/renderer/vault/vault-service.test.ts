import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { createVaultService } from '../../../renderer/vault/create-vault-service';
import { VaultError } from '../../../renderer/vault/vault-service';
import { ACCESS_WINDOW_MS } from '../../../renderer/vault/records/access-events';
import { createFakeBody, type FakeBody } from './support/fake-body';
import { dumpAllDatabasesParts } from './support/idb-dump';

const PASSPHRASE = 'violet tractor amber seventeen';
const OTHER = 'quiet harbor lantern ninety';

function setup(body: FakeBody = createFakeBody(), factory = new IDBFactory()) {
  const vault = createVaultService({
    api: body.api,
    transport: body.transport,
    host: 'shell',
    indexedDB: factory,
    IDBKeyRange,
    testOnlyPbkdf2Iterations: 1000,
  });
  return { body, vault, factory };
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

describe('VaultService: keys, unlock and operators', () => {
  it('creates a vault, locks, refuses a wrong passphrase with a growing delay, and unlocks', async () => {
    const { body, vault } = setup();
    await vault.ready();
    expect(vault.phase()).toBe('absent');
    const { recoveryKey } = await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    expect(recoveryKey).toMatch(/^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/);
    expect(vault.phase()).toBe('unlocked');
    expect(vault.currentOperator()).toMatchObject({ name: 'Ada Admin', role: 'admin', disabled: false });
    expect(JSON.stringify(body.keyring)).not.toContain(PASSPHRASE);

    vault.lock();
    expect(vault.phase()).toBe('locked');
    expect(vault.currentOperator()).toBeNull();
    const [admin] = await vault.operators();
    const wrong = await expectVaultError(vault.unlock({ operatorId: admin!.operatorId, passphrase: 'not the passphrase' }), 'E_WRONG_PASSPHRASE');
    expect(wrong.retryAfterMs).toBe(1000);
    // The window tells the body the attempt it began did not open (for the audit, at once).
    const begun = body.calls.filter((c) => c.method === 'vault.unlockBegin').length;
    expect(body.calls.filter((c) => c.method === 'vault.unlockFailed')).toHaveLength(1);
    expect(body.calls.at(-1)?.method).toBe('vault.unlockFailed');
    expect(begun).toBeGreaterThan(0);
    const throttled = await expectVaultError(vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE }), 'E_THROTTLED');
    expect(throttled.retryAfterMs).toBe(1000);
    body.now += 1000;
    const again = await expectVaultError(vault.unlock({ operatorId: admin!.operatorId, passphrase: 'still wrong' }), 'E_WRONG_PASSPHRASE');
    expect(again.retryAfterMs).toBe(2000);
    body.now += 2000;
    await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    expect(vault.phase()).toBe('unlocked');
  });

  it('remembers in memory who locked (for the unlock screen to preselect them); a lock with nobody signed in changes nothing, a new window knows nobody', async () => {
    const { body, vault, factory } = setup();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const carl = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    expect(vault.lockedBy()).toBeNull();
    vault.lock();
    const admin = (await vault.operators()).find((operator) => operator.role === 'admin')!;
    expect(vault.lockedBy()).toBe(admin.operatorId);
    await vault.unlock({ operatorId: carl.operatorId, passphrase: OTHER });
    vault.lock();
    expect(vault.lockedBy()).toBe(carl.operatorId);
    vault.lock();
    expect(vault.lockedBy()).toBe(carl.operatorId);
    const other = setup(body, factory).vault;
    await other.ready();
    expect(other.phase()).toBe('locked');
    expect(other.lockedBy()).toBeNull();
  });

  it('refuses a weak passphrase and a second vault', async () => {
    const { vault } = setup();
    await expectVaultError(vault.create({ operatorName: 'Ada', passphrase: 'short' }), 'E_WEAK_PASSPHRASE');
    await vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    await expectVaultError(vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE }), 'E_EXISTS');
  });

  it('refuses a keyring whose operator role was edited on disk', async () => {
    const { body, vault } = setup();
    await vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    vault.lock();
    const carl = body.keyring!.operators.find((o) => o.name === 'Carl Clinician')!;
    body.keyring = { ...body.keyring!, operators: body.keyring!.operators.map((o) => (o.operatorId === carl.operatorId ? { ...o, role: 'admin' as const } : o)) };
    const error = await expectVaultError(vault.unlock({ operatorId: carl.operatorId, passphrase: OTHER }), 'E_NODE');
    expect(error.message).toMatch(/integrity/);
    expect(vault.phase()).toBe('locked');
  });

  it('administers operators: only admins, each change journaled under pseudonyms', async () => {
    const { body, vault } = setup();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const carl = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: OTHER });
    expect(carl.role).toBe('clinician');
    await expectVaultError(vault.addOperator({ name: 'Carl Clinician', role: 'researcher', passphrase: OTHER }), 'E_EXISTS');
    await vault.setOperatorDisabled(carl.operatorId, true);
    vault.lock();
    await expectVaultError(vault.unlock({ operatorId: carl.operatorId, passphrase: OTHER }), 'E_OPERATOR_DISABLED');
    const admin = (await vault.operators()).find((o) => o.role === 'admin')!;
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    await vault.setOperatorDisabled(carl.operatorId, false);
    await vault.resetOperatorPassphrase(carl.operatorId, 'granite meadow copper eleven');
    vault.lock();
    await vault.unlock({ operatorId: carl.operatorId, passphrase: 'granite meadow copper eleven' });
    await expectVaultError(vault.addOperator({ name: 'Rita', role: 'researcher', passphrase: OTHER }), 'E_NOT_ALLOWED');
    await expectVaultError(vault.erasePatient('x'), 'E_NOT_ALLOWED');

    const events = body.journal.filter((r) => r.kind === 'operator.changed');
    expect(events).toHaveLength(5); // created, added, disabled, enabled, passphrase-reset
    const localIds = body.keyring!.operators.map((o) => o.operatorId);
    for (const event of events) {
      expect(event.operator).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(localIds).not.toContain(event.operator);
      expect(JSON.stringify(event)).not.toMatch(/Ada|Carl/);
    }
    expect(body.keyring!.revision).toBe(5);
  });

  it('changes a passphrase and recovers with the recovery key', async () => {
    const { vault } = setup();
    const { recoveryKey } = await vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    await expectVaultError(vault.changePassphrase({ current: 'wrong one here', next: OTHER }), 'E_WRONG_PASSPHRASE');
    await vault.changePassphrase({ current: PASSPHRASE, next: OTHER });
    vault.lock();
    const [admin] = await vault.operators();
    await expectVaultError(vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE }), 'E_WRONG_PASSPHRASE');
    await expectVaultError(vault.recover({ operatorId: admin!.operatorId, recoveryKey: 'ABCD-EFGH', newPassphrase: PASSPHRASE }), 'E_RECOVERY_KEY_FORMAT');
    await vault.recover({ operatorId: admin!.operatorId, recoveryKey: recoveryKey.toLowerCase(), newPassphrase: 'granite meadow copper eleven' });
    expect(vault.phase()).toBe('unlocked');
    vault.lock();
    await vault.unlock({ operatorId: admin!.operatorId, passphrase: 'granite meadow copper eleven' });
  });

  it('lock zeroes the master secret and refuses every read', async () => {
    const { vault } = setup();
    await vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    const fill = vi.spyOn(Uint8Array.prototype, 'fill');
    const listener = vi.fn();
    vault.subscribe(listener);
    vault.lock();
    const zeroed = fill.mock.contexts.filter((array, i) => (array as Uint8Array).length === 32 && fill.mock.calls[i]![0] === 0);
    expect(zeroed.length).toBeGreaterThan(0);
    expect((zeroed[0] as Uint8Array).every((b) => b === 0)).toBe(true);
    fill.mockRestore();
    expect(listener).toHaveBeenCalled();
    await expectVaultError(vault.search('x'), 'E_LOCKED');
    await expectVaultError(vault.patientHits(['x']), 'E_LOCKED');
    await expectVaultError(vault.sync(), 'E_LOCKED');
    await expectVaultError(vault.openPatient('x'), 'E_LOCKED');
  });

  it('auto-locks after the idle time, measured from the last activity, and keeps the setting per vault', async () => {
    let now = 0;
    const timers: { at: number; fn: () => void; id: number }[] = [];
    let nextId = 1;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        const id = nextId++;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        const index = timers.findIndex((t) => t.id === id);
        if (index >= 0) timers.splice(index, 1);
      },
    };
    const advance = (ms: number) => {
      now += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    };
    const body = createFakeBody();
    const factory = new IDBFactory();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: factory, IDBKeyRange, testOnlyPbkdf2Iterations: 1000, clock });
    await vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    expect(vault.autoLockMinutes()).toBe(15);
    await vault.setAutoLockMinutes(2);
    advance(90_000);
    vault.noteActivity();
    advance(60_000);
    expect(vault.phase()).toBe('unlocked');
    advance(61_000);
    expect(vault.phase()).toBe('locked');
    // The body is told it was the auto-lock (journaled, and so ledgered, as "locked automatically (idle)").
    expect(body.calls.filter((call) => call.method === 'vault.lock').map((call) => call.payload)).toEqual([{ idle: true }]);
    const [admin] = await vault.operators();
    // The unlock screen preselects whoever the auto-lock locked out.
    expect(vault.lockedBy()).toBe(admin!.operatorId);
    await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    expect(vault.autoLockMinutes()).toBe(2);
    await vault.setAutoLockMinutes(0);
    advance(10 * 3_600_000);
    expect(vault.phase()).toBe('unlocked');
    // A lock by hand carries no idle mark.
    vault.lock();
    expect(body.calls.filter((call) => call.method === 'vault.lock').map((call) => call.payload)).toEqual([{ idle: true }, {}]);
  });
});

describe('VaultService: views, search, audit, erasure', () => {
  async function withData(patients = 12) {
    const ctx = setup();
    await ctx.vault.create({ operatorName: 'Ada', passphrase: PASSPHRASE });
    const progress: number[] = [];
    const imported = await ctx.vault.importDemoData(patients, (done) => progress.push(done));
    expect(imported.patients).toBe(patients);
    await ctx.vault.sync();
    return ctx;
  }

  it('indexes demo data and finds patients by name (with or without diacritics), prefix, MRN, birth date and LOINC code', async () => {
    const { vault, body } = await withData();
    const all = await vault.search('');
    expect(all.patientIds.length).toBe(12);
    const hits = await vault.patientHits(all.patientIds);
    const accented = hits.find((h) => h.name.normalize('NFKD') !== h.name) ?? hits[0]!;
    const family = accented.name.split(',')[0]!;
    const folded = family.normalize('NFKD').replace(/\p{M}/gu, '');
    const withAccents = await vault.search(family);
    expect(withAccents.patientIds).toContain(accented.patientId);
    expect((await vault.search(folded.toUpperCase())).patientIds).toEqual(withAccents.patientIds);
    expect((await vault.search(folded.slice(0, 3))).patientIds).toContain(accented.patientId);
    const mrn = accented.identifier.split(' ')[0]!;
    expect((await vault.search(mrn)).patientIds).toEqual([accented.patientId]);
    expect((await vault.search(accented.birthDate)).patientIds).toContain(accented.patientId);
    const detail = await vault.openPatient(accented.patientId);
    const lab = detail.records.find((r) => r.record.type === 'observation' && r.record.category === 'laboratory')!;
    const code = lab.record.type === 'observation' ? lab.record.code.code : '';
    const byCode = await vault.search(code);
    expect(byCode.patientIds).toContain(accented.patientId);
    expect((await vault.search(`${folded} ${code}`)).patientIds).toContain(accented.patientId);
    expect((await vault.search('zzzznotaword')).patientIds).toEqual([]);
    // records newest first
    const times = detail.records.map((r) => r.time);
    expect([...times].sort().reverse()).toEqual(times);
    // the access is journaled, sealed, under the operator pseudonym
    const access = body.journal.filter((r) => r.kind === 'view.access');
    expect(access).toHaveLength(1);
    expect(access[0]!.operator).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(access[0]!.meta).not.toContain(accented.patientId);
    const record = await vault.openRecord(lab.recordId);
    expect(record.recordId).toBe(lab.recordId);
    // The same patient again within the session window: one access stands for both views.
    expect(body.journal.filter((r) => r.kind === 'view.access')).toHaveLength(1);
  });

  it('coalesces repeated views of one patient: one access per patient per session window, a new one after the window and after a lock', async () => {
    const { vault, body } = await withData(3);
    const [first, second] = (await vault.search('')).patientIds;
    const accesses = () => body.journal.filter((r) => r.kind === 'view.access').length;
    const start = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(start);
    try {
      const detail = await vault.openPatient(first!);
      await Promise.all([vault.openPatient(first!), vault.openRecord(detail.records[0]!.recordId)]);
      expect(accesses()).toBe(1);
      await vault.openPatient(second!);
      expect(accesses()).toBe(2);
      clock.mockReturnValue(start + ACCESS_WINDOW_MS - 1);
      await vault.openPatient(first!);
      expect(accesses()).toBe(2);
      clock.mockReturnValue(start + ACCESS_WINDOW_MS + 1);
      await vault.openPatient(first!);
      expect(accesses()).toBe(3);
      const [admin] = await vault.operators();
      vault.lock();
      await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
      await vault.openPatient(first!);
      expect(accesses()).toBe(4);
    } finally {
      clock.mockRestore();
    }
  });

  it('stores no name, MRN or birth date in any IndexedDB row', async () => {
    const { vault, factory } = await withData(8);
    const hits = await vault.patientHits((await vault.search('')).patientIds);
    const { text, bytes } = await dumpAllDatabasesParts(factory);
    expect(text.length).toBeGreaterThan(1000);
    expect(bytes.length).toBeGreaterThan(1000);
    for (const hit of hits) {
      const family = hit.name.split(',')[0]!;
      for (const secret of [family, family.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase(), hit.identifier.split(' ')[0]!, hit.birthDate]) {
        expect(text.includes(secret), `leaked ${secret.length}-character value`).toBe(false);
        // In sealed bytes only a secret of 6 bytes or more is meaningful (idb-dump.ts): a shorter one turns up by chance.
        if (Buffer.byteLength(secret, 'latin1') >= 6) expect(bytes.includes(secret), `leaked ${secret.length}-character value in a byte array`).toBe(false);
      }
    }
  });

  it('rebuilds the index with identical results', async () => {
    const { vault } = await withData(10);
    const snapshot = async () => {
      const ids = (await vault.search('')).patientIds;
      const hits = await vault.patientHits(ids);
      const details = [];
      for (const id of ids) details.push(await vault.openPatient(id));
      return { ids, hits, details };
    };
    const before = await snapshot();
    const progress: number[] = [];
    const rebuilt = await vault.rebuildIndex((p) => progress.push(p.applied));
    expect(rebuilt.done).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('erases a patient: gone from search, journal content tombstoned, ERASURE event without PHI', async () => {
    const { vault, body } = await withData(6);
    const ids = (await vault.search('')).patientIds;
    const [hit] = await vault.patientHits([ids[0]!]);
    const mrn = hit!.identifier.split(' ')[0]!;
    await vault.erasePatient(hit!.patientId);
    expect((await vault.search(mrn)).patientIds).toEqual([]);
    expect((await vault.search('')).patientIds).not.toContain(hit!.patientId);
    expect(body.journal.some((r) => r.kind === 'erased')).toBe(true);
    const erasure = body.journal.filter((r) => r.kind === 'erasure.patient');
    expect(erasure).toHaveLength(1);
    await vault.rebuildIndex();
    expect((await vault.search(mrn)).patientIds).toEqual([]);
    expect((await vault.search('')).patientIds).toHaveLength(5);
  });
});
