import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { fromBase64Url } from '../../../shared/crypto/bytes';
import { createSealer } from '../../../shared/crypto/envelope';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { AccessMeta } from '../../../shared/journal/mind-meta';
import { sealJson } from '../../../shared/journal/sealed-json';
import { createVaultService } from '../../../renderer/vault/create-vault-service';
import type { VaultService } from '../../../renderer/vault/vault-service';
import { EVENT_AUTH_FROM_KEY, REJECTED_KEY } from '../../../renderer/vault/views/journal-replay';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { createFakeBody, type FakeBody } from './support/fake-body';

const PASSPHRASE = 'violet tractor amber seventeen';

function vaultOver(body: FakeBody, factory = new IDBFactory()) {
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: factory, IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
  return { vault, factory };
}

async function untilIdle(vault: VaultService): Promise<void> {
  await vi.waitFor(() => expect(vault.indexing().busy).toBe(false));
}

/** The views' meta row `key` of the open vault (a second connection to its IndexedDB). */
async function viewsMeta(body: FakeBody, factory: IDBFactory, key: string): Promise<unknown> {
  const db = openVaultDb(body.keyring!.vaultId, { indexedDB: factory, IDBKeyRange });
  try {
    return (await db.meta.get(key))?.value;
  } finally {
    db.close();
  }
}

async function accessRows(body: FakeBody, factory: IDBFactory) {
  const db = openVaultDb(body.keyring!.vaultId, { indexedDB: factory, IDBKeyRange });
  try {
    return await db.access.toArray();
  } finally {
    db.close();
  }
}

/**
 * What anyone holding the public intake key (and a journal.append, e.g. a stale body session) can
 * write: a `view.access` sealed to the public key, in the name of the genuine operator (their
 * pseudonym is in clear on every record they wrote). Appended as the body appends.
 */
async function forgeAccess(body: FakeBody, patientId: string): Promise<number> {
  const operator = body.journal.find((r) => r.operator !== null)!.operator;
  const sealer = await createSealer(fromBase64Url(body.keyring!.intakePublicKey));
  const meta: AccessMeta = { v: 1, patientId, recordId: null, at: new Date(body.now).toISOString() };
  const { seq } = await body.api.journal.append({ kind: MIND_KINDS.access, operator, objects: [], meta: await sealJson(sealer, meta) });
  return seq;
}

async function vaultWithPatients(body = createFakeBody()) {
  const ctx = vaultOver(body);
  await ctx.vault.ready();
  await ctx.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
  await ctx.vault.importDemoData(3);
  await untilIdle(ctx.vault);
  const { patientIds } = await ctx.vault.search('');
  return { ...ctx, body, patientId: patientIds[0]! };
}

describe('mind events carry an authenticator', () => {
  it('a view.access sealed with only the public key is not in the views’ accesses and is counted as rejected; a genuine one is', async () => {
    const { vault, body, factory, patientId } = await vaultWithPatients();
    expect(body.journal.some((r) => r.kind === MIND_KINDS.eventAuth)).toBe(true);

    const forged = await forgeAccess(body, patientId);
    await vault.sync();
    expect((await accessRows(body, factory)).map((row) => row.seq)).not.toContain(forged);
    expect(await viewsMeta(body, factory, REJECTED_KEY)).toBe(1);

    await vault.openPatient(patientId);
    await untilIdle(vault);
    const rows = await accessRows(body, factory);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ patientId, operator: body.journal[forged - 1]!.operator });
    expect(rows[0]!.seq).toBeGreaterThan(forged);
    expect(await viewsMeta(body, factory, REJECTED_KEY)).toBe(1);
  });

  it('a rebuild replays to the same result: the forged access stays out and the count stays one', async () => {
    const { vault, body, factory, patientId } = await vaultWithPatients();
    await forgeAccess(body, patientId);
    await vault.openPatient(patientId);
    await untilIdle(vault);
    const before = await accessRows(body, factory);
    await vault.rebuildIndex();
    expect(await accessRows(body, factory)).toEqual(before);
    expect(await viewsMeta(body, factory, REJECTED_KEY)).toBe(1);
  });

  it('legacy window: unauthenticated mind records before the first marker are accepted; the first unlock after the upgrade writes the marker; later ones are rejected', async () => {
    const { vault, body, patientId } = await vaultWithPatients();
    const [admin] = await vault.operators();
    vault.lock();
    // A journal from before the upgrade has no marker: make this one's an erased record (same seq).
    const marker = body.journal.find((r) => r.kind === MIND_KINDS.eventAuth)!;
    body.journal[marker.seq - 1] = { seq: marker.seq, at: marker.at, kind: 'erased', operator: null, objects: [], meta: null };
    body.session = { operatorId: admin!.operatorId, role: 'admin', slotId: 'slot_stale' };
    const legacy = await forgeAccess(body, patientId);
    body.session = null;

    // A new profile (views lost): the whole journal is replayed, and this session is the first after the upgrade.
    const { vault: fresh, factory } = vaultOver(body);
    await fresh.ready();
    await fresh.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    await untilIdle(fresh);
    const markers = body.journal.filter((r) => r.kind === MIND_KINDS.eventAuth);
    expect(markers).toHaveLength(1);
    expect(markers[0]!.seq).toBeGreaterThan(legacy);
    expect(await viewsMeta(body, factory, EVENT_AUTH_FROM_KEY)).toBe(markers[0]!.seq);
    expect((await accessRows(body, factory)).map((row) => row.seq)).toEqual([legacy]);
    expect(await viewsMeta(body, factory, REJECTED_KEY)).toBeUndefined();

    const late = await forgeAccess(body, patientId);
    await fresh.sync();
    expect((await accessRows(body, factory)).map((row) => row.seq)).toEqual([legacy]);
    expect(late).toBeGreaterThan(markers[0]!.seq);
    expect(await viewsMeta(body, factory, REJECTED_KEY)).toBe(1);
    // Unlocking again writes no second marker.
    fresh.lock();
    await fresh.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    await untilIdle(fresh);
    expect(body.journal.filter((r) => r.kind === MIND_KINDS.eventAuth)).toHaveLength(1);
  });
});

describe('journalIssues: what the views could not apply', () => {
  /** An intake record whose meta does not open: a problem, skipped as unreadable. */
  function appendUnreadable(body: FakeBody): number {
    const seq = body.journal.length + 1;
    body.journal.push({ seq, at: new Date(body.now).toISOString(), kind: 'intake.demo', operator: null, objects: [], meta: 'AAAA' });
    return seq;
  }

  it('counts unreadable and rejected records after a sync, tells the listeners when indexing settles, and a rebuild counts the same', async () => {
    const { vault, body, patientId } = await vaultWithPatients();
    expect(await vault.journalIssues()).toEqual({ problems: 0, rejected: 0, identityConflicts: 0 });

    appendUnreadable(body);
    await forgeAccess(body, patientId);
    const busyAtNotice: boolean[] = [];
    const unsubscribe = vault.subscribe(() => busyAtNotice.push(vault.indexing().busy));
    await vault.sync();
    unsubscribe();
    // The settings screen reads the counts again when busy turns false. (The forged access made the
    // views busy already: its automatic replay may still be waiting for its turn, view-indexing.ts.)
    expect(busyAtNotice.length).toBeGreaterThan(0);
    expect(busyAtNotice.at(-1)).toBe(false);
    expect(await vault.journalIssues()).toEqual({ problems: 1, rejected: 1, identityConflicts: 0 });

    await vault.rebuildIndex();
    expect(await vault.journalIssues()).toEqual({ problems: 1, rejected: 1, identityConflicts: 0 });
  });

  it('answers after the replays already queued, so a forgery appended just before is counted', async () => {
    const { vault, body, patientId } = await vaultWithPatients();
    await forgeAccess(body, patientId); // the append schedules a sync; the answer waits for it
    expect(await vault.journalIssues()).toEqual({ problems: 0, rejected: 1, identityConflicts: 0 });
    const rebuilding = vault.rebuildIndex();
    expect(await vault.journalIssues()).toEqual({ problems: 0, rejected: 1, identityConflicts: 0 });
    await rebuilding;
  });

  it('is refused to a clinician and while locked', async () => {
    const { vault } = await vaultWithPatients();
    const clinician = await vault.addOperator({ name: 'Carl Clinician', role: 'clinician', passphrase: 'clinician passphrase one two' });
    vault.lock();
    await expect(vault.journalIssues()).rejects.toMatchObject({ code: 'E_LOCKED' });
    await vault.unlock({ operatorId: clinician.operatorId, passphrase: 'clinician passphrase one two' });
    await expect(vault.journalIssues()).rejects.toMatchObject({ code: 'E_NOT_ALLOWED' });
  });
});
