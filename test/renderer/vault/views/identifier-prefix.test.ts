import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientHits } from '../../../../renderer/vault/views/view-reads';
import { CURSOR_KEY, openVaultDb, readCursor, VIEW_SCHEMA_VERSION, viewDbName } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/** Issue 11: a partial MRN finds the patient (identifiers get prefix tokens, as names do). */

function patient(mrn: string, family: string): Patient {
  return { identifiers: [{ value: mrn, authority: 'CLINIC', type: 'MR' }], name: { family, given: ['Test'] } };
}

function intake(of: Patient, messageId: string): NormalizedIntake {
  return { channel: 'demo', messageId, messageType: 'ADT^A04', patient: of, records: [] };
}

describe('identifier prefixes', () => {
  it('"MRN0000" finds every MRN that starts so, "MRN00000007" one patient; a 2-character prefix finds nothing', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('prefix-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const people = [patient('MRN00000007', 'Novak'), patient('MRN00000008', 'Horvat'), patient('HX-1234', 'Kovac')];
    for (const [index, person] of people.entries()) {
      await appendSealedRecord(body, { kind: 'intake.demo', meta: { v: 1, channel: 'demo', receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 10, normalized: intake(person, `M-${index}`) } });
    }
    await replayJournal(context);
    const names = async (query: string) => (await patientHits(db, keys.viewKey, await searchPatientIds(db, keys.indexKey, query, 'chart-and-studies'))).map((hit) => hit.name).sort();
    expect(await names('MRN0000')).toEqual(['Horvat, Test', 'Novak, Test']);
    expect(await names('mrn00000007')).toEqual(['Novak, Test']);
    expect(await names('MRN0000000')).toEqual(['Horvat, Test', 'Novak, Test']);
    expect(await names('HX-123')).toEqual(['Kovac, Test']);
    expect(await names('123')).toEqual(['Kovac, Test']);
    expect(await names('MR')).toEqual([]);
    // A finished word (a space after it) asks for the whole word only.
    expect(await names('MRN0000 ')).toEqual([]);
  });
});

describe('identifier digit runs (F9)', () => {
  it('the digits after an identifier\'s letter prefix are found by their start: "100234" and "1002" find MRN100234', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('prefix-0002', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const people = [patient('MRN100234', 'Novak'), patient('MRN100299', 'Horvat'), patient('P2001234X', 'Kovac'), patient('5100234', 'Babic')];
    for (const [index, person] of people.entries()) {
      await appendSealedRecord(body, { kind: 'intake.demo', meta: { v: 1, channel: 'demo', receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 10, normalized: intake(person, `M-${index}`) } });
    }
    await replayJournal(context);
    const names = async (query: string) => (await patientHits(db, keys.viewKey, await searchPatientIds(db, keys.indexKey, query, 'chart-and-studies'))).map((hit) => hit.name).sort();
    expect(await names('100234')).toEqual(['Novak, Test']);
    expect(await names('1002')).toEqual(['Horvat, Test', 'Novak, Test']);
    expect(await names('MRN1002')).toEqual(['Horvat, Test', 'Novak, Test']);
    expect(await names('2001234x')).toEqual(['Kovac, Test']);
    expect(await names('2001')).toEqual(['Kovac, Test']);
    // Only from the digit run's start: a run inside the digits finds nothing.
    expect(await names('0234')).toEqual([]);
    // Digits only (no letter prefix): the whole identifier is the run already.
    expect(await names('5100')).toEqual(['Babic, Test']);
    // Under 3 characters, whole words only.
    expect(await names('10')).toEqual([]);
    db.close();
  });
});

describe('views schema version 32', () => {
  it('an older view database is rebuilt: postings, patient rows, studies and message rows cleared, the message count forgotten, replayed from 0', async () => {
    expect(VIEW_SCHEMA_VERSION).toBeGreaterThanOrEqual(32);
    const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
    // A database at version 31 (the schema before F9/F10: every table it had), with rows in it.
    const v31 = new Dexie(viewDbName('upgrade-0032'), deps);
    v31.version(31).stores({
      meta: 'key',
      patients: 'id',
      records: 'id',
      postings: 'id',
      access: 'seq, patientId, operator',
      ledger: 'seq, kind, subject, operator, createdAt, coversTo',
      merges: 'merged, survivor',
      quarantine: 'seq',
      directory: 'id, patientId',
      deviceReports: 'seq, at, systemId, session',
      deviceSessions: 'key, session, patientId',
      studies: 'id, patientId, uid, *tokens',
      series: 'id, studyId, patientId',
      instances: 'id, seriesId, studyId, patientId',
      messages: 'seq, at, control, [status+seq], [sender+seq], [type+seq], [sender+type+seq], [patientId+seq]',
      relayMessages: 'key, seq, at',
      consents: 'seq, patientId',
      incomingQueries: 'queryId, at',
      queryOutcomes: 'seq, queryId, researcher, at',
      myQueries: 'queryId, at',
      queryAnswers: 'key, queryId',
      aliases: 'id, patientId',
      namedExports: 'seq, *subjects',
    });
    await v31.open();
    await v31.table('meta').bulkPut([{ key: CURSOR_KEY, value: 42 }, { key: 'problems', value: 3 }, { key: 'messageCount', value: 1 }]);
    await v31.table('patients').put({ id: 'p', tokens: ['t'], enc: 'x' });
    await v31.table('postings').put({ id: 't|1', ids: ['p'] });
    await v31.table('messages').put({ seq: 1, at: '2026-12-07T08:00:00.000Z', status: 'accepted', control: 'exact-only', sender: 's', type: 't', patientId: 'p', enc: new Uint8Array(1) });
    v31.close();

    const db = openVaultDb('upgrade-0032', deps);
    expect(await readCursor(db)).toBe(0);
    expect(await db.patients.count()).toBe(0);
    expect(await db.postings.count()).toBe(0);
    expect(await db.messages.count()).toBe(0);
    expect(await db.meta.get('messageCount')).toBeUndefined();
    expect(await db.meta.get('problems')).toBeUndefined();
    db.close();
  });
});

describe('views schema version 6', () => {
  it('an older view database is cleared and replays from 0 (the new tokens and merged demographics)', async () => {
    expect(VIEW_SCHEMA_VERSION).toBeGreaterThanOrEqual(6);
    const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
    const old = new Dexie(viewDbName('upgrade-0001'), deps);
    old.version(5).stores({ meta: 'key', patients: 'id', records: 'id', postings: 'id', access: 'seq, patientId, operator', ledger: 'seq, kind, subject, operator, createdAt', merges: 'merged, survivor', quarantine: 'seq', directory: 'id, patientId' });
    await old.open();
    await old.table('meta').bulkPut([{ key: CURSOR_KEY, value: 42 }, { key: 'problems', value: 3 }]);
    await old.table('patients').put({ id: 'p', tokens: ['t'], enc: 'x' });
    await old.table('postings').put({ id: 't|1', ids: ['p'] });
    old.close();

    const db = openVaultDb('upgrade-0001', deps);
    expect(await readCursor(db)).toBe(0);
    expect(await db.patients.count()).toBe(0);
    expect(await db.postings.count()).toBe(0);
    expect(await db.meta.get('problems')).toBeUndefined();
    db.close();
  });
});
