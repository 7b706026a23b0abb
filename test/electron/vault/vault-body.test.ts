import { appendFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body, type BodyConfig } from '../../../electron/body';
import { checkVault } from '../../../electron/storage/vault-check';
import type { KeychainEntry, KeychainPort } from '../../../electron/vault/keychain';
import { createOpener, createSealer } from '../../../shared/crypto/envelope';
import { randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import type { IntakeMetadataV1 } from '../../../electron/intake/intake-pipeline';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, heard, makeTestVault, payloadsOf, signIn, type Heard, type TestVault } from './vault-test-support';

const tempDir = useTempDirs();

async function body(dataDir: string, extra: Partial<BodyConfig> = {}): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0, ...extra });
}

async function created(): Promise<{ dataDir: string; b: Body; vault: TestVault; events: Heard }> {
  const dataDir = await tempDir();
  const b = await body(dataDir);
  const events = heard(b);
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn(b, vault);
  return { dataDir, b, vault, events };
}

async function sealedMeta(vault: TestVault, value: unknown): Promise<string> {
  const sealer = await createSealer(vault.keys.intakeKeyPair.publicKeyRaw);
  return Buffer.from(await sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(value)))).toString('base64url');
}

describe('body: vault lifecycle', () => {
  it('creates a vault: stores the keyring, opens storage, journals vault.created as a system event (the mind journals who created it, pseudonymously), and tells the mind', async () => {
    const { dataDir, b, vault, events } = await created();
    await expect(call(b, 'vault.status', {})).resolves.toEqual({ state: 'locked' });
    await expect(call(b, 'vault.keyring', {})).resolves.toEqual({ keyring: vault.keyring });
    expect(events.map(([name]) => name)).toEqual(expect.arrayContaining(['vault.changed', 'intake.statusChanged', 'journal.appended']));
    expect(events.find(([name]) => name === 'vault.changed')?.[1]).toEqual({ state: 'locked' });
    const intake = await call(b, 'intake.status', {});
    // These bodies run with --mllp-port 0 and --dicom-port 0 (hl7-body and dicom-body tests open real listeners).
    expect(intake.listeners).toEqual([
      { channel: 'hl7-mllp', state: 'closed', off: 'command-line', reason: expect.stringMatching(/--mllp-port 0/) },
      { channel: 'dicom', state: 'closed', reason: expect.stringMatching(/--dicom-port 0/) },
      // No serial port given and no TCP port: the manager waits for ports opened from the Devices area.
      expect.objectContaining({ channel: 'devices', state: 'listening' }),
      { channel: 'file-import', state: 'listening' },
    ]);
    const { records } = await call(b, 'journal.read', { after: 0, limit: 10 });
    // The admin's sign-in is the body's audit record (sealed; the mind signs a SESSION entry for it).
    expect(records).toEqual([
      { seq: 1, kind: 'vault.created', at: expect.any(String), operator: null, objects: [], meta: null },
      { seq: 2, kind: 'audit.session', at: expect.any(String), operator: null, objects: [], meta: expect.any(String) },
    ]);
    await expect(b.router.dispatch('vault.create', { keyring: (await makeTestVault()).keyring }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    await b.stop('quit');
    expect((await checkVault(dataDir)).errors).toEqual([]);
  });

  it('answers clear errors without a vault', async () => {
    const b = await body(await tempDir());
    await expect(call(b, 'vault.directory', {})).resolves.toEqual({ directory: null });
    for (const [method, payload] of [
      ['vault.keyring', {}],
      ['demo.import', { patients: 1 }],
      ['journal.read', { after: 0, limit: 1 }],
      ['objects.read', { id: 'a'.repeat(64), offset: 0, length: 1 }],
      ['backup.export', {}],
      ['vault.erase', { erasureSeq: 1, seqs: [1], objects: [] }],
    ] as const) {
      await expect(b.router.dispatch(method, payload, callContext)).resolves.toEqual({ ok: false, error: { code: 'E_CONFLICT', message: 'No vault exists in this data folder yet; create one first.' } });
    }
    await b.stop('quit');
  });

  it('refuses a keyring whose intake key is not a P-256 point, and writes nothing', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const { keyring } = await makeTestVault();
    const bad = { ...keyring, intakePublicKey: Buffer.alloc(65, 7).toString('base64url') };
    await expect(b.router.dispatch('vault.create', { keyring: bad }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    await expect(call(b, 'vault.status', {})).resolves.toEqual({ state: 'absent' });
    await b.stop('quit');
  });

  it('updates the keyring by revision and refuses a stale one', async () => {
    const { b, vault } = await created();
    await expect(call(b, 'vault.updateKeyring', { keyring: { ...vault.keyring, revision: 2, integrity: toBase64Url(randomBytes(32)) }, expectedRevision: 1 })).resolves.toEqual({ revision: 2 });
    await expect(b.router.dispatch('vault.updateKeyring', { keyring: { ...vault.keyring, revision: 2 }, expectedRevision: 1 }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    await b.stop('quit');
  });

  it('reopens the vault at the next start, repairing a torn journal tail without failing', async () => {
    const { dataDir, b, vault } = await created();
    await call(b, 'demo.import', { patients: 2, seed: 1 });
    const { records } = await call(b, 'journal.read', { after: 0, limit: 100 });
    await b.stop('quit');
    await appendFile(path.join(dataDir, 'vault', 'journal', 'journal.hdj'), Buffer.from([0, 0, 1, 0, 1, 2, 3]));
    expect((await checkVault(dataDir)).journal.tornTail).toBe(true);
    const again = await body(dataDir);
    await signIn(again, vault);
    const after = await call(again, 'journal.read', { after: 0, limit: 100 });
    expect(after.records.slice(0, records.length)).toEqual(records);
    // The repair is recorded at the open, before the sign-in that reads it.
    expect(after.records.slice(-2).map((record) => record.kind)).toEqual(['journal.repaired', 'audit.session']);
    await again.stop('quit');
    const report = await checkVault(dataDir);
    expect(report).toMatchObject({ journal: { tornTail: false, repairs: [{ truncatedBytes: 7 }] }, errors: [] });
  });
});

describe('body: journal and objects over the contract', () => {
  it('appends the mind\'s sealed events, reads them back by cursor, and announces them', async () => {
    const { b, vault, events } = await created();
    const meta = await sealedMeta(vault, { patient: 'x' });
    // Announcements are coalesced (at most one per interval): wait for the one that covers seq 3
    // (1 vault.created, 2 the sign-in's audit record).
    const announced = new Promise<unknown>((resolve) => {
      const off = b.events.subscribe((name, payload) => {
        if (name !== 'journal.appended' || (payload as { lastSeq: number }).lastSeq < 3) return;
        off();
        resolve(payload);
      });
    });
    const { seq } = await call(b, 'journal.append', { kind: 'view.access', operator: vault.keyring.operators[0]!.operatorId, objects: [], meta });
    expect(seq).toBe(3);
    const page = await call(b, 'journal.read', { after: 2, limit: 5 });
    expect(page).toEqual({ records: [expect.objectContaining({ seq: 3, kind: 'view.access', meta })], nextCursor: 3, end: true });
    const opened = await createOpener(vault.keys.intakeKeyPair.privateKey).open(Buffer.from(page.records[0]!.meta!, 'base64url'));
    expect(JSON.parse(new TextDecoder().decode(opened.plaintext))).toEqual({ patient: 'x' });
    expect(await announced).toEqual({ lastSeq: 3 });
    expect(payloadsOf(events, 'journal.appended').at(-1)).toEqual({ lastSeq: 3 });
    await b.stop('quit');
  });

  it('refuses malformed and unsealed appends, foreign kinds, unknown objects and cursors past the end', async () => {
    const { b, vault } = await created();
    const refused = async (method: string, payload: unknown): Promise<string> => {
      const result = await b.router.dispatch(method, payload, callContext);
      expect(result.ok, JSON.stringify(payload).slice(0, 80)).toBe(false);
      if (result.ok) throw new Error('unreachable');
      expect(JSON.stringify(result.error)).not.toContain('Doe');
      return result.error.code;
    };
    const plaintext = Buffer.from('PID|||123^^^MRN||Doe^John').toString('base64url');
    const asObject = Buffer.from(await (await createSealer(vault.keys.intakeKeyPair.publicKeyRaw)).seal('object', new Uint8Array(4))).toString('base64url');
    expect(await refused('journal.append', { kind: 'view.access', operator: null, objects: [], meta: plaintext })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.append', { kind: 'view.access', operator: null, objects: [], meta: asObject })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.append', { kind: 'intake.demo', operator: null, objects: [], meta: null })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.append', { kind: 'view.access', operator: 'Dr. Doe', objects: [], meta: null })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.append', { kind: 'view.access', operator: null, objects: ['b'.repeat(64)], meta: null })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.append', { kind: 'view.access', operator: null, objects: [], meta: null, extra: 'Doe' })).toBe('E_BAD_REQUEST');
    expect(await refused('journal.read', { after: 99, limit: 1 })).toBe('E_BAD_REQUEST');
    expect(await refused('objects.read', { id: 'c'.repeat(64), offset: 0, length: 10 })).toBe('E_BAD_REQUEST');
    // camelCase mind kinds are fine.
    await expect(call(b, 'journal.append', { kind: 'vault.passphraseChanged', operator: 'op_admin-1', objects: [], meta: null })).resolves.toEqual({ seq: 3 });
    await b.stop('quit');
  });

  it('reads objects in slices', async () => {
    const { b, vault } = await created();
    await call(b, 'demo.import', { patients: 1, seed: 3 });
    const { records } = await call(b, 'journal.read', { after: 2, limit: 1 });
    const id = records[0]!.objects[0]!;
    const first = await call(b, 'objects.read', { id, offset: 0, length: 100 });
    expect(Buffer.from(first.bytes, 'base64url')).toHaveLength(100);
    const rest = await call(b, 'objects.read', { id, offset: 100, length: 4 * 1024 * 1024 });
    expect(100 + Buffer.from(rest.bytes, 'base64url').length).toBe(first.size);
    const whole = Buffer.concat([Buffer.from(first.bytes, 'base64url'), Buffer.from(rest.bytes, 'base64url')]);
    const opened = await createOpener(vault.keys.intakeKeyPair.privateKey).open(whole);
    expect(new TextDecoder().decode(opened.plaintext)).toMatch(/^MSH\|/);
    await expect(b.router.dispatch('objects.read', { id, offset: first.size + 1, length: 1 }, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    await b.stop('quit');
  });
});

describe('body: demo import', () => {
  it('feeds the population through the sealed pipeline, reports throttled progress, and answers when all is durable', async () => {
    const { dataDir, b, vault, events } = await created();
    const result = await call(b, 'demo.import', { patients: 60, seed: 11 });
    expect(result.patients).toBe(60);
    expect(result.messages).toBeGreaterThanOrEqual(120);
    expect(result.lastSeq).toBe(2 + result.messages);
    const progress = payloadsOf(events, 'demo.progress');
    expect(progress.at(-1)).toEqual({ messages: result.messages, patients: 60, total: 60 });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.messages).toBeGreaterThanOrEqual(progress[i - 1]!.messages);
    const appended = payloadsOf(events, 'journal.appended').map((p) => p.lastSeq);
    expect(appended.at(-1)).toBe(result.lastSeq);
    expect(appended.length).toBeLessThan(result.messages / 4);
    // Every intake record opens with the intake private key.
    const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
    const { records } = await call(b, 'journal.read', { after: 2, limit: 5 });
    const meta = JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(records[0]!.meta!, 'base64url'))).plaintext)) as IntakeMetadataV1;
    // Ingests run 64 at a time, so journal order is completion order, not generation order.
    expect(meta).toMatchObject({ v: 1, channel: 'demo', normalized: { messageType: expect.stringMatching(/^(ADT\^A04|ORU\^R01)$/) } });
    await b.stop('quit');
    const report = await checkVault(dataDir);
    expect(report).toMatchObject({ journal: { records: result.messages + 2, byKind: { 'intake.demo': result.messages, 'vault.created': 1, 'audit.session': 1 }, tornTail: false }, objects: result.messages, errors: [] });
    // No plaintext identity anywhere in the vault folder.
    const family = meta.normalized.patient.name.family;
    const mrn = meta.normalized.patient.identifiers[0]!.value;
    const { readFile } = await import('node:fs/promises');
    for (const file of await listFiles(path.join(dataDir, 'vault'))) {
      const text = (await readFile(file)).toString('latin1');
      expect(text.includes(mrn), file).toBe(false);
      expect(text.includes(family), file).toBe(false);
    }
  });

  it('refuses a second import while one runs', async () => {
    const { b } = await created();
    // Both calls reach the check before the first import can finish (that needs journal fsyncs),
    // whatever order they reach it in: exactly one runs, the other is refused.
    const results = await Promise.all([b.router.dispatch('demo.import', { patients: 30 }, callContext), b.router.dispatch('demo.import', { patients: 1 }, callContext)]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toEqual([expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'E_CONFLICT' }) })]);
    await b.stop('quit');
  });
});

describe('body: erasure', () => {
  it('tombstones the records, deletes their objects, keeps seqs continuous and vault:check clean; the mind then journals the ERASURE', async () => {
    const { dataDir, b, vault } = await created();
    const { lastSeq } = await call(b, 'demo.import', { patients: 5, seed: 5 });
    const { records } = await call(b, 'journal.read', { after: 0, limit: 100 });
    const victims = records.filter((r) => r.kind === 'intake.demo').slice(0, 3);
    // The mind journals the erasure first; the body erases only as part of it.
    const { seq } = await call(b, 'journal.append', { kind: 'erasure.patient', operator: vault.keyring.operators[0]!.operatorId, objects: [], meta: await sealedMeta(vault, { erased: 3 }) });
    expect(seq).toBe(lastSeq + 1);
    const result = await call(b, 'vault.erase', { erasureSeq: seq, seqs: victims.map((r) => r.seq), objects: victims.flatMap((r) => r.objects) });
    expect(result).toEqual({ erasedRecords: 3, deletedObjects: 3 });
    for (const id of victims.flatMap((r) => r.objects)) {
      await expect(stat(path.join(dataDir, 'vault', 'objects', id.slice(0, 2), id.slice(2)))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    const after = (await call(b, 'journal.read', { after: 0, limit: 100 })).records;
    expect(after.map((r) => r.seq)).toEqual([...records.map((r) => r.seq), seq]);
    for (const victim of victims) expect(after[victim.seq - 1]).toEqual({ seq: victim.seq, kind: 'erased', at: victim.at, operator: null, objects: [], meta: null });
    // The same erasure record erases once; the same erase under a new record: nothing left to do.
    await expect(call(b, 'vault.erase', { erasureSeq: seq, seqs: victims.map((r) => r.seq), objects: [] })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    const again = await call(b, 'journal.append', { kind: 'erasure.patient', operator: vault.keyring.operators[0]!.operatorId, objects: [], meta: await sealedMeta(vault, { erased: 0 }) });
    await expect(call(b, 'vault.erase', { erasureSeq: again.seq, seqs: victims.map((r) => r.seq), objects: victims.flatMap((r) => r.objects) })).resolves.toEqual({ erasedRecords: 0, deletedObjects: 0 });
    await b.stop('quit');
    const report = await checkVault(dataDir);
    expect(report).toMatchObject({ journal: { records: lastSeq + 2, byKind: { erased: 3, 'erasure.patient': 2 } }, objects: records.length - 2 - 3, errors: [] });
  });

  it('refuses to delete an object a remaining record still refers to, and changes nothing', async () => {
    const { b, vault } = await created();
    await call(b, 'demo.import', { patients: 2, seed: 5 });
    const { records } = await call(b, 'journal.read', { after: 2, limit: 2 });
    const { seq: erasureSeq } = await call(b, 'journal.append', { kind: 'erasure.patient', operator: null, objects: [], meta: await sealedMeta(vault, {}) });
    const result = await b.router.dispatch('vault.erase', { erasureSeq, seqs: [records[0]!.seq], objects: [records[0]!.objects[0]!, records[1]!.objects[0]!] }, callContext);
    expect(result).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect((await call(b, 'journal.read', { after: 2, limit: 1 })).records[0]!.kind).toBe('intake.demo');
    await expect(call(b, 'objects.read', { id: records[0]!.objects[0]!, offset: 0, length: 1 })).resolves.toMatchObject({ size: expect.any(Number) });
    await b.stop('quit');
  });
});

describe('body: unlock throttle and keychain', () => {
  it('counts each unlock attempt the body serves as a failure until its proof arrives, and keeps the delay across a restart', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    // An attempt whose proof never comes (a wrong passphrase in the mind) stays a failure.
    await expect(call(b, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' })).resolves.toMatchObject({ state: 'ready' });
    const waiting = await call(b, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    expect(waiting).toMatchObject({ state: 'wait' });
    expect(waiting.state === 'wait' && waiting.retryAfterMs).toBeGreaterThan(0);
    expect(waiting.state === 'wait' && waiting.retryAfterMs).toBeLessThanOrEqual(1000);
    await b.stop('quit');
    const again = await body(dataDir);
    await expect(call(again, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' })).resolves.toMatchObject({ state: 'wait' });
    await again.stop('quit');
  });

  it('offers no keychain in the shell', async () => {
    const { b } = await created();
    await expect(call(b, 'vault.keychainStatus', {})).resolves.toEqual({ available: false });
    for (const [method, payload] of [['vault.keychainStore', { operatorId: 'op', key: Buffer.alloc(32).toString('base64url') }], ['vault.keychainLoad', {}], ['vault.keychainClear', {}]] as const) {
      await expect(b.router.dispatch(method, payload, callContext)).resolves.toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringMatching(/no OS keychain/) } });
    }
    await b.stop('quit');
  });

  it('passes keychain calls to the host port', async () => {
    let stored: KeychainEntry | null = null;
    const keychain: KeychainPort = {
      available: () => true,
      store: async (entry) => {
        stored = entry;
      },
      load: async () => stored,
      clear: async () => {
        stored = null;
      },
    };
    const b = await body(await tempDir(), { keychain });
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    const key = Buffer.alloc(32, 9).toString('base64url');
    // Storing is an administrator's act; loading serves startup's unattended unlock (below).
    await expect(call(b, 'vault.keychainStore', { operatorId: 'op_admin-1', key })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(call(b, 'vault.keychainLoad', {})).resolves.toEqual({ entry: null });
    await signIn(b, vault);
    await expect(call(b, 'vault.keychainStatus', {})).resolves.toEqual({ available: true });
    await call(b, 'vault.keychainStore', { operatorId: 'op_admin-1', key });
    expect(stored).toEqual({ operatorId: 'op_admin-1', key: new Uint8Array(Buffer.from(key, 'base64url')) });
    await call(b, 'vault.keychainClear', {});
    expect(stored).toBeNull();
    await b.stop('quit');
  });

  /*
   * The kept key opens the vault as its administrator. Served whenever asked, it let anyone at a
   * locked window in: close the window (the node keeps running in the tray), open it again from
   * the tray, and the new page's startup unlocked through the keychain, no passphrase asked.
   */
  it('serves the keychain key only before any session has opened since the body started', async () => {
    const dataDir = await tempDir();
    const key = Buffer.alloc(32, 9).toString('base64url');
    let stored: KeychainEntry | null = { operatorId: 'op_admin-1', key: new Uint8Array(Buffer.from(key, 'base64url')) };
    const keychain: KeychainPort = { available: () => true, store: async () => undefined, load: async () => stored, clear: async () => void (stored = null) };
    const b = await body(dataDir, { keychain });
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    // At startup, before anyone signed in: the unattended unlock may load it (again, e.g. a second try).
    await expect(call(b, 'vault.keychainLoad', {})).resolves.toEqual({ entry: { operatorId: 'op_admin-1', key } });
    await expect(call(b, 'vault.keychainLoad', {})).resolves.toEqual({ entry: { operatorId: 'op_admin-1', key } });
    await signIn(b, vault);
    await call(b, 'vault.lock', {});
    // Locked again, on this window's connection or a new one (a window opened from the tray): refused.
    for (const connectionId of ['test', 'reopened-window']) {
      await expect(b.router.dispatch('vault.keychainLoad', {}, { transport: 'in-process', connectionId })).resolves.toMatchObject({
        ok: false,
        error: { code: 'E_FORBIDDEN', message: expect.stringMatching(/only at the node's start/) },
      });
    }
    // Clearing it turns unattended unlock off: the startup's own clear of a stale key (before any
    // session) or an administrator's; not a page opened at the lock screen later.
    await expect(b.router.dispatch('vault.keychainClear', {}, { transport: 'in-process', connectionId: 'reopened-window' })).resolves.toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(stored).not.toBeNull();
    await b.stop('quit');
    // A restart serves it again: that is the unattended unlock the administrator chose.
    const again = await body(dataDir, { keychain });
    await expect(call(again, 'vault.keychainLoad', {})).resolves.toEqual({ entry: { operatorId: 'op_admin-1', key } });
    await again.stop('quit');
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}
