import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { createOpener, createSealer } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { openJson, sealJson } from '../../../../shared/journal/sealed-json';
import { AUTH_FIELD, appendMindEvent, checkMindEvent, EventAuthWindow } from '../../../../renderer/vault/mind-events';
import { EVENT_AUTH_FROM_KEY, PROBLEMS_KEY, REJECTED_KEY, replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb, type VaultDb } from '../../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

const OPERATOR = 'b'.repeat(43);

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const sealer = await createSealer(keys.intakeKeyPair.publicKeyRaw);
  const opener = createOpener(keys.intakeKeyPair.privateKey);
  let dbs = 0;
  const newDb = () => openVaultDb(`test-vault-auth-${dbs++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  const context = (db: VaultDb) => ({ api: body.api, db, keys, opener, tokens: new TokenCache(keys.indexKey), isCurrent: () => true });
  const access = (patientId: string) => ({ v: 1, patientId, recordId: null, at: '2026-01-02T03:04:05.000Z' });
  /** What the mind writes. */
  const genuine = (kind: string, meta: Record<string, unknown>) => appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind, operator: OPERATOR, meta });
  /** What anyone with the public key writes: sealed, with no authenticator or with `auth` given. */
  const forged = async (kind: string, meta: Record<string, unknown>) => (await body.api.journal.append({ kind, operator: OPERATOR, objects: [], meta: await sealJson(sealer, meta) })).seq;
  return { body, keys, sealer, opener, newDb, context, access, genuine, forged };
}

async function state(db: VaultDb) {
  return {
    access: (await db.access.toArray()).map((row) => row.seq),
    rejected: (await db.meta.get(REJECTED_KEY))?.value,
    from: (await db.meta.get(EVENT_AUTH_FROM_KEY))?.value,
    problems: (await db.meta.get(PROBLEMS_KEY))?.value,
  };
}

describe('mind event authenticator', () => {
  it('binds the kind, the operator, the objects and every field of the meta', async () => {
    const { keys, body, genuine, opener } = await setup();
    const seq = await genuine(MIND_KINDS.access, { v: 1, patientId: 'p1', recordId: null, at: '2026-01-02T03:04:05.000Z' });
    const record = body.journal[seq - 1]!;
    const opened = (await openJson(opener, record.meta!)) as Record<string, unknown>;
    expect(typeof opened[AUTH_FIELD]).toBe('string');
    expect(await checkMindEvent(keys.eventAuthKey, record, opened)).toEqual({ status: 'genuine', meta: { v: 1, patientId: 'p1', recordId: null, at: '2026-01-02T03:04:05.000Z' } });

    const forgedBy = async (change: Partial<typeof record>, meta: Record<string, unknown> = opened) => (await checkMindEvent(keys.eventAuthKey, { ...record, ...change }, meta)).status;
    expect(await forgedBy({ kind: MIND_KINDS.erasure })).toBe('forged');
    expect(await forgedBy({ operator: 'c'.repeat(43) })).toBe('forged');
    expect(await forgedBy({ operator: null })).toBe('forged');
    expect(await forgedBy({ objects: ['a'.repeat(64)] })).toBe('forged');
    expect(await forgedBy({}, { ...opened, patientId: 'p2' })).toBe('forged');
    expect(await forgedBy({}, { ...opened, extra: 1 })).toBe('forged');
    expect(await forgedBy({}, { ...opened, [AUTH_FIELD]: 'not base64url!' })).toBe('forged');
    const { [AUTH_FIELD]: _auth, ...bare } = opened;
    expect(await forgedBy({}, bare)).toBe('unauthenticated');
    // Another vault's key does not verify it.
    const other = await deriveVaultKeys(generateMasterSecret());
    expect((await checkMindEvent(other.eventAuthKey, record, opened)).status).toBe('forged');
  });

  it('refuses to append a meta that is not an object or that already has `auth`', async () => {
    const { body, keys, sealer } = await setup();
    await expect(appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.access, operator: OPERATOR, meta: [1] })).rejects.toThrow(TypeError);
    await expect(appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.access, operator: OPERATOR, meta: { v: 1, auth: 'x' } })).rejects.toThrow(TypeError);
    expect(body.journal).toHaveLength(0);
  });

  it('the window decides by seq: legacy before the first genuine marker, rejected from it on, forged always', () => {
    const window = new EventAuthWindow(null);
    expect(window.admit({ seq: 1, kind: MIND_KINDS.access }, 'unauthenticated')).toBe(true);
    expect(window.admit({ seq: 2, kind: MIND_KINDS.access }, 'forged')).toBe(false);
    expect(window.admit({ seq: 3, kind: MIND_KINDS.eventAuth }, 'unauthenticated')).toBe(false);
    expect(window.markerSeq).toBeNull();
    expect(window.admit({ seq: 4, kind: MIND_KINDS.eventAuth }, 'genuine')).toBe(true);
    expect(window.markerSeq).toBe(4);
    expect(window.admit({ seq: 5, kind: MIND_KINDS.access }, 'unauthenticated')).toBe(false);
    expect(window.admit({ seq: 6, kind: MIND_KINDS.eventAuth }, 'genuine')).toBe(true);
    expect(window.markerSeq).toBe(4);
    // A range replayed again from before the marker: still legacy there.
    expect(window.admit({ seq: 1, kind: MIND_KINDS.access }, 'unauthenticated')).toBe(true);
  });

  it('replay: legacy accepted, a marker without authenticator ignored, rejected after the genuine marker; incremental = rebuild', async () => {
    const { body, genuine, forged, access, newDb, context } = await setup();
    const legacy = await forged(MIND_KINDS.access, access('p1'));
    const tampered = await forged(MIND_KINDS.access, { ...access('p1'), auth: toBase64Url(new Uint8Array(32)) });
    const fakeMarker = await forged(MIND_KINDS.eventAuth, { v: 1 });
    const legacyAfterFakeMarker = await forged(MIND_KINDS.access, access('p2'));
    const marker = await genuine(MIND_KINDS.eventAuth, { v: 1 });
    const late = await forged(MIND_KINDS.access, access('p1'));
    const real = await genuine(MIND_KINDS.access, access('p1'));
    const lateErasure = await forged(MIND_KINDS.erasure, { v: 1, patientId: 'p1', messages: 0, records: 0, objects: 0 });
    expect([legacy, tampered, fakeMarker, legacyAfterFakeMarker, marker, late, real, lateErasure]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const all = [...body.journal];
    const incremental = newDb();
    body.journal.length = 0;
    for (const part of [all.slice(0, 2), all.slice(2, 5), all.slice(5, 6), all.slice(6)]) {
      body.journal.push(...part);
      await replayJournal(context(incremental));
    }
    const expected = { access: [legacy, legacyAfterFakeMarker, real], rejected: 4, from: marker, problems: undefined };
    expect(await state(incremental)).toEqual(expected);

    const rebuilt = newDb();
    await replayJournal(context(rebuilt));
    expect(await state(rebuilt)).toEqual(expected);
  });
});
