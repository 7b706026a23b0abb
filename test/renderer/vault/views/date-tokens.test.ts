import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { blindTokens, recordTokens } from '../../../../shared/crypto/blind-index';
import { createOpener } from '../../../../shared/crypto/envelope';
import { decryptField } from '../../../../shared/crypto/field-cipher';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { patientText } from '../../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { CURSOR_KEY, openVaultDb, readCursor, viewDbName } from '../../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/**
 * Birth dates in the blind index are one full-date token: a year token would link everyone born
 * that year (issue 9 §4). Views built before that hold such tokens, so the schema upgrade drops
 * the index and the next sync rebuilds it.
 */

describe('birth dates in the blind index', () => {
  it('a patient\'s birth date is indexed as a date, not as free text', () => {
    const text = patientText({ identifiers: [{ value: 'MRN-7', authority: 'A', type: 'MR' }], name: { family: 'Novak', given: ['Eva'] }, birthDate: '1980-02-03' });
    expect(text).toEqual({ names: ['Novak', 'Eva'], other: ['MRN-7'], dates: ['1980-02-03'] });
  });

  // QA explore-11 D19: partial birth dates are kept. To the month: one joined word (202503), as a full
  // date is. To the year only: no word, since a year token would link everyone born that year.
  it('a birth date known to the month is one date word; one known to the year only is not indexed', () => {
    const patient = { identifiers: [{ value: 'MRN-7', authority: 'A', type: 'MR' }], name: { family: 'Novak', given: ['Eva'] } };
    expect(patientText({ ...patient, birthDate: '2025-03' }).dates).toEqual(['2025-03']);
    expect(patientText({ ...patient, birthDate: '2025' }).dates).toEqual([]);
  });

  it('the token cache makes the same tokens as recordTokens for dates, and none for the year', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const cache = new TokenCache(keys.indexKey);
    const text = { names: ['Eva Novak'], other: ['MRN-7'], dates: ['1980-02-03'] };
    const tokens = await cache.tokensOf(text);
    expect(tokens).toEqual([...(await recordTokens(keys.indexKey, text))].sort());
    expect(tokens).toContain((await blindTokens(keys.indexKey, ['19800203']))[0]);
    expect(tokens).not.toContain((await blindTokens(keys.indexKey, ['1980']))[0]);
  });

  it('after a replay, the full birth date finds its patient and the year alone finds nobody', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    // Views only: the body's session of an administrator, as an unlocked mind would hold it.
    body.session = TEST_ADMIN_SESSION;
    await body.api.demo.import({ patients: 6 });
    const db = openVaultDb('date-tokens-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    await replayJournal({ api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true });
    const [row] = await db.patients.toArray();
    const { patient } = await decryptField<{ patient: { birthDate: string } }>(keys.viewKey, { table: 'patients', id: row!.id }, row!.enc);
    expect(patient.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await searchPatientIds(db, keys.indexKey, patient.birthDate, 'chart-and-studies')).toContain(row!.id);
    expect(await searchPatientIds(db, keys.indexKey, patient.birthDate.replaceAll('-', ''), 'chart-and-studies')).toContain(row!.id);
    expect(await searchPatientIds(db, keys.indexKey, `${patient.birthDate.slice(0, 4)} `, 'chart-and-studies')).toEqual([]);
    db.close();
  });

  it('upgrading views built with year/month/day tokens drops the index and the patients, and replays from the start', async () => {
    const indexedDB = new IDBFactory();
    const old = new Dexie(viewDbName('v-old'), { indexedDB, IDBKeyRange });
    // The published version-3 schema (vault-db.ts), with an index that still has a year token.
    old.version(3).stores({ meta: 'key', patients: 'id', records: 'id', postings: 'id', access: 'seq, patientId, operator', ledger: 'seq, kind, subject, operator, createdAt', merges: 'merged, survivor', quarantine: 'seq' });
    await old.open();
    await old.table('postings').put({ id: 'year-token|00000001', ids: ['p1', 'p2'] });
    await old.table('patients').put({ id: 'p1', tokens: ['year-token'], enc: new Uint8Array(1) });
    await old.table('records').put({ id: 'p1.00000001', patientId: 'p1', seq: 1, kind: 'intake.demo', objectIds: [], count: 1, enc: new Uint8Array(1) });
    await old.table('ledger').put({ seq: 1, kind: 'INTAKE_BATCH', subject: 's', operator: 'o', createdAt: 'c' });
    await old.table('meta').put({ key: CURSOR_KEY, value: 42 });
    old.close();

    const db = openVaultDb('v-old', { indexedDB, IDBKeyRange });
    await db.open();
    expect(await db.postings.count()).toBe(0);
    expect(await db.patients.count()).toBe(0);
    expect(await db.records.count()).toBe(0);
    expect(await readCursor(db)).toBe(0);
    // What does not depend on tokens stays (and is put again, by key, on replay).
    expect(await db.ledger.count()).toBe(1);
    db.close();
  });
});
