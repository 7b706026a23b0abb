import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Body } from '../../../electron/body';
import type { ShellServer } from '../../../electron/shell/shell-server';
import { fromBase64Url, randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot, createRoleSlot } from '../../../shared/crypto/key-slots';
import { deriveDirectorySecret } from '../../../shared/crypto/vault-keys';
import { generateOperatorSigningKey, signSessionProof, type OperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { createSealer } from '../../../shared/crypto/envelope';
import { METHOD_ACCESS, METHOD_NAMES, type Keyring, type MethodName } from '../../../shared/ipc';
import { connectClient, type ShellClient } from '../../support/shell-client';
import { useShellNodes } from '../../support/shell-node';
import { buildTestKeyring, type TestVault } from '../../support/vault-keyring';

const startShellNode = useShellNodes();

interface Node {
  readonly dataDir: string;
  readonly server: ShellServer;
  readonly body: Body;
  connect(): Promise<ShellClient>;
}

async function startNode(): Promise<Node> {
  const clients: ShellClient[] = [];
  const { dataDir, server, body } = await startShellNode(async () => {
    for (const client of clients) await client.close();
  });
  return {
    dataDir,
    server,
    body,
    async connect() {
      const client = await connectClient(server);
      clients.push(client);
      return client;
    },
  };
}

async function ok(client: ShellClient, method: MethodName, payload: unknown): Promise<Record<string, unknown>> {
  const result = (await client.call(method, payload)) as { ok: boolean; value?: Record<string, unknown>; error?: { code: string; message: string } };
  if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error?.message}`), { code: result.error?.code });
  return result.value!;
}

async function signIn(client: ShellClient, operatorId: string, key: OperatorSigningKey, kind: 'passphrase' | 'recovery' = 'passphrase'): Promise<void> {
  const begun = await ok(client, 'vault.unlockBegin', { operatorId, kind });
  expect(begun['state']).toBe('ready');
  const slot = begun['slot'] as { id: string };
  const signature = await signSessionProof(key, fromBase64Url(begun['challenge'] as string), slot.id);
  await ok(client, 'vault.unlockFinish', { attempt: begun['attempt'], signature: toBase64Url(signature) });
}

/** Every file under the data folder but the logs, with a hash of its bytes: "nothing changed on disk". */
async function snapshot(dataDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(dataDir, full);
      if (relative === 'logs' || relative === 'renderer') continue;
      if (entry.isDirectory()) await walk(full);
      else out[relative] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  };
  await walk(dataDir);
  return out;
}

async function createdVault(node: Node): Promise<{ vault: TestVault; admin: ShellClient }> {
  const vault = await buildTestKeyring();
  const admin = await node.connect();
  await ok(admin, 'vault.create', { keyring: vault.keyring });
  return { vault, admin };
}

/**
 * Adds an operator as the signed-in admin, as the mind does: a clinician's slot wraps the master, a
 * researcher's or auditor's is a role slot (format 3). Returns their id and signing key.
 */
async function addOperator(admin: ShellClient, vault: TestVault, role: 'researcher' | 'clinician' | 'auditor', format: 'as-the-mind-does' | 'master-slot' = 'as-the-mind-does'): Promise<{ operatorId: string; key: OperatorSigningKey }> {
  const { keyring } = (await ok(admin, 'vault.keyring', {})) as { keyring: Keyring };
  const operatorId = toBase64Url(randomBytes(16));
  const key = await generateOperatorSigningKey();
  const common = { operatorId, passphrase: 'another long passphrase', testOnlyIterations: 1, signingKey: key };
  const slot =
    role === 'clinician' || format === 'master-slot'
      ? await createPassphraseSlot({ master: vault.master, ...common })
      : await createRoleSlot({ ...common, secrets: role === 'auditor' ? { grant: 'auditor', directorySecret: await deriveDirectorySecret(vault.master) } : { grant: 'researcher' } });
  const next: Keyring = { ...keyring, revision: keyring.revision + 1, operators: [...keyring.operators, { operatorId, name: role, role, disabled: false }], slots: [...keyring.slots, slot], integrity: toBase64Url(randomBytes(32)) };
  await ok(admin, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
  return { operatorId, key };
}

const refusedWithout = (levels: ReadonlySet<string>) => METHOD_NAMES.filter((method) => levels.has(METHOD_ACCESS[method]));

describe('body: who asks (issue 9 §2)', () => {
  it('with the vault locked, refuses every method but the unlock screen\'s, and nothing changes on disk', async () => {
    const node = await startNode();
    const { admin } = await createdVault(node);
    await admin.close();
    const caller = await node.connect();
    const before = await snapshot(node.dataDir);
    const privileged = refusedWithout(new Set(['setup', 'session', 'clinical', 'admin']));
    expect(privileged).toEqual(expect.arrayContaining(['vault.erase', 'vault.updateKeyring', 'backup.export', 'journal.append', 'hl7.updateSettings', 'demo.import', 'vault.create', 'backup.restore']));
    for (const method of privileged) {
      // Even a payload that would pass the schema is refused before it is looked at.
      const result = (await caller.call(method, {})) as { ok: boolean; error?: { code: string } };
      expect({ method, result }).toMatchObject({ method, result: { ok: false, error: { code: 'E_FORBIDDEN' } } });
    }
    expect(await snapshot(node.dataDir)).toEqual(before);
  });

  it('a researcher session is refused every clinical and admin method, and nothing changes on disk', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    const researcher = await addOperator(admin, vault, 'researcher');
    const caller = await node.connect();
    await signIn(caller, researcher.operatorId, researcher.key);
    await expect(ok(caller, 'vault.session', {})).resolves.toMatchObject({ session: { operatorId: researcher.operatorId, role: 'researcher' } });
    const before = await snapshot(node.dataDir);
    for (const method of refusedWithout(new Set(['setup', 'clinical', 'admin']))) {
      const result = (await caller.call(method, {})) as { ok: boolean; error?: { code: string } };
      expect({ method, result }).toMatchObject({ method, result: { ok: false, error: { code: 'E_FORBIDDEN' } } });
    }
    // Their own keyring may change only in their own passphrase: promoting themselves is refused.
    const { keyring } = (await ok(caller, 'vault.keyring', {})) as { keyring: Keyring };
    const promoted: Keyring = { ...keyring, revision: keyring.revision + 1, operators: keyring.operators.map((o) => (o.operatorId === researcher.operatorId ? { ...o, role: 'admin' } : o)) };
    await expect(ok(caller, 'vault.updateKeyring', { keyring: promoted, expectedRevision: keyring.revision })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    expect(await snapshot(node.dataDir)).toEqual(before);
  });

  it('roles are keys: a researcher or auditor gets a role slot only, never one that wraps the master, and a role slot only its own role', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    for (const role of ['researcher', 'auditor'] as const) {
      await expect(addOperator(admin, vault, role, 'master-slot')).rejects.toThrow(`${role === 'auditor' ? 'an' : 'a'} ${role} holds a role slot (format 3), never the vault master.`);
    }
    const auditor = await addOperator(admin, vault, 'auditor');
    const { keyring } = (await ok(admin, 'vault.keyring', {})) as { keyring: Keyring };
    // An auditor's role slot handed to a clinician (the role edited, the slot kept) is refused.
    const moved: Keyring = { ...keyring, revision: keyring.revision + 1, operators: keyring.operators.map((o) => (o.operatorId === auditor.operatorId ? { ...o, role: 'clinician' } : o)) };
    await expect(ok(admin, 'vault.updateKeyring', { keyring: moved, expectedRevision: keyring.revision })).rejects.toThrow(/belongs only to an operator of that role/);
    // The auditor signs in with their role slot and gets an auditor session, which reads no journal.
    const caller = await node.connect();
    await signIn(caller, auditor.operatorId, auditor.key);
    await expect(ok(caller, 'vault.session', {})).resolves.toMatchObject({ session: { role: 'auditor' } });
    for (const method of ['journal.read', 'objects.read', 'journal.append', 'ledger.append', 'hl7.monitor'] as const) {
      await expect(ok(caller, method, {})).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    }
  });

  it('an auditor exports the signed ledger (hashes, pseudonyms, signatures) and the body journals it; the node info and a researcher are refused in words (QA11 D3)', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    const auditor = await addOperator(admin, vault, 'auditor');
    const researcher = await addOperator(admin, vault, 'researcher');
    const caller = await node.connect();
    await signIn(caller, auditor.operatorId, auditor.key);
    const { handle } = (await ok(caller, 'ledger.exportBegin', { kind: 'ledger' })) as { handle: string };
    const text = '{"format":"hdms-ledger-export"}\n{"entry":{},"signature":"0x00"}\n{"entry":{},"signature":"0x01"}\n';
    await ok(caller, 'ledger.exportAppend', { handle, text });
    const written = (await ok(caller, 'ledger.exportFinish', { handle })) as { path: string };
    expect(path.basename(written.path)).toMatch(/^ledger-\d{8}T\d{6}Z\.jsonl$/);
    expect(await readFile(written.path, 'utf8')).toBe(text);
    // The export is in the trail under the auditor (the auditor's session signs no ledger entry itself).
    const { records } = (await ok(admin, 'journal.read', { after: 0, limit: 1000 })) as { records: { kind: string }[] };
    expect(records.at(-1)?.kind).toBe('audit.exported');
    // The node info is signed with the node's key, which an auditor's slot does not hold.
    await expect(ok(caller, 'ledger.exportBegin', { kind: 'nodeInfo' })).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
      message: "ledger.exportBegin: The node info is signed with the node's key, which an auditor's key slot does not hold: an administrator or a clinician exports it.",
    });
    const other = await node.connect();
    await signIn(other, researcher.operatorId, researcher.key);
    await expect(ok(other, 'ledger.exportBegin', { kind: 'ledger' })).rejects.toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringMatching(/auditor/) });
  });

  it('a signature from another key does not open a session, and the failed attempt counts toward the delay', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    const begun = await ok(admin, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    const wrong = await signSessionProof(await generateOperatorSigningKey(), fromBase64Url(begun['challenge'] as string), (begun['slot'] as { id: string }).id);
    await expect(ok(admin, 'vault.unlockFinish', { attempt: begun['attempt'], signature: toBase64Url(wrong) })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(ok(admin, 'vault.session', {})).resolves.toEqual({ session: null });
    // The body counted the attempt itself; the caller had nothing to report or reset.
    await expect(ok(admin, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' })).resolves.toMatchObject({ state: 'wait' });
  });

  it('a proof is bound to its connection: another connection cannot finish an attempt it did not begin', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    const begun = await ok(admin, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    const signature = await signSessionProof(vault.signingKeys.passphrase, fromBase64Url(begun['challenge'] as string), (begun['slot'] as { id: string }).id);
    const thief = await node.connect();
    await expect(ok(thief, 'vault.unlockFinish', { attempt: begun['attempt'], signature: toBase64Url(signature) })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(ok(thief, 'vault.session', {})).resolves.toEqual({ session: null });
  });

  it('lock and a closed connection end the session', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    await expect(ok(admin, 'backup.export', {})).resolves.toMatchObject({ bytes: expect.any(Number) });
    await ok(admin, 'vault.lock', {});
    await expect(ok(admin, 'backup.export', {})).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it('the recovery slot opens an administrator session', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, 'recovery', vault.signingKeys.recovery, 'recovery');
    await expect(ok(admin, 'vault.session', {})).resolves.toMatchObject({ session: { operatorId: 'recovery', role: 'admin' } });
  });
});

describe('body: who hears (events have access rules like methods)', () => {
  it('pushes devices.changed and network.changed only to connections with a session; the unlock screen\'s events to every connection', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    const stranger = await node.connect();
    const fromAdmin = admin.frames.length;
    const fromStranger = stranger.frames.length;
    node.body.events.emit('devices.changed', { ports: [], connections: [], tcp: null, awaitingApproval: [] });
    node.body.events.emit('network.changed', { state: null });
    // An 'anyone' event after them: once it arrived, anything sent before it on the same socket has too.
    node.body.events.emit('journal.appended', { lastSeq: 1 });
    const names = async (client: ShellClient, from: number): Promise<unknown[]> => {
      await client.waitFor((frame) => frame.type === 'event' && frame['name'] === 'journal.appended', from);
      return client.frames.slice(from).filter((frame) => frame.type === 'event').map((frame) => frame['name']);
    };
    expect(await names(admin, fromAdmin)).toEqual(['devices.changed', 'network.changed', 'journal.appended']);
    expect(await names(stranger, fromStranger)).toEqual(['journal.appended']);
    // Locking ends the session, and with it the devices' news.
    await ok(admin, 'vault.lock', {});
    const afterLock = admin.frames.length;
    node.body.events.emit('devices.changed', { ports: [], connections: [], tcp: null, awaitingApproval: [] });
    node.body.events.emit('journal.appended', { lastSeq: 2 });
    expect(await names(admin, afterLock)).toEqual(['journal.appended']);
  });
});

describe('body: keyring changes (issue 9 §2)', () => {
  it('refuses a keyring without an administrator or without the recovery slot, keeps the replaced keyring, and journals each change', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    const { keyring } = (await ok(admin, 'vault.keyring', {})) as { keyring: Keyring };
    const noAdmin: Keyring = { ...keyring, revision: 2, operators: keyring.operators.map((o) => ({ ...o, disabled: true })) };
    await expect(ok(admin, 'vault.updateKeyring', { keyring: noAdmin, expectedRevision: 1 })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    const noRecovery: Keyring = { ...keyring, revision: 2, slots: keyring.slots.filter((slot) => slot.kind !== 'recovery') };
    await expect(ok(admin, 'vault.updateKeyring', { keyring: noRecovery, expectedRevision: 1 })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await addOperator(admin, vault, 'clinician');
    const kept = JSON.parse(await readFile(path.join(node.dataDir, 'vault', 'keyrings', 'keys.r1.json'), 'utf8')) as Keyring;
    expect(kept).toEqual(keyring);
    const journal = (await ok(admin, 'journal.read', { after: 0, limit: 100 })) as { records: Array<{ kind: string }> };
    expect(journal.records.map((record) => record.kind)).toContain('vault.keyringChanged');
  });
});

describe('body: erasure (issue 9 §2)', () => {
  it('erases only as part of an erasure record this session journaled, and each record erases once', async () => {
    const node = await startNode();
    const { vault, admin } = await createdVault(node);
    await signIn(admin, vault.operatorId, vault.signingKeys.passphrase);
    await expect(ok(admin, 'vault.erase', { erasureSeq: 1, seqs: [1], objects: [] })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    const sealer = await createSealer(fromBase64Url(vault.keyring.intakePublicKey));
    const meta = toBase64Url(await sealer.seal('journalMetadata', new TextEncoder().encode('{}')));
    const { seq } = (await ok(admin, 'journal.append', { kind: 'erasure.patient', operator: null, objects: [], meta })) as { seq: number };
    // Another connection, even an admin's, cannot use this session's erasure record.
    const other = await node.connect();
    await signIn(other, 'recovery', vault.signingKeys.recovery, 'recovery');
    await expect(ok(other, 'vault.erase', { erasureSeq: seq, seqs: [1], objects: [] })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(ok(admin, 'vault.erase', { erasureSeq: seq, seqs: [1], objects: [] })).resolves.toMatchObject({ erasedRecords: 1 });
    await expect(ok(admin, 'vault.erase', { erasureSeq: seq, seqs: [1], objects: [] })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
  });
});
