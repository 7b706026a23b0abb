import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { searchStudyIds } from '../../../../renderer/vault/views/imaging-reads';
import { patientIdOf } from '../../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchMessages } from '../../../../renderer/vault/views/message-reads';
import { searchPatientIds, searchPatientMatches } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { CURSOR_KEY, openVaultDb, readCursor, VIEW_SCHEMA_VERSION, viewDbName } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';
import { dicomIntake } from '../support/dicom-intake';
import { dumpAllDatabases } from '../support/idb-dump';

/**
 * Tester T1 F9: the Patients search finds a patient by one of their studies' accession number
 * (whole, or its start while typed, as identifiers) and by the words of a study description (with
 * the folding names get: "Schädel" also as "schaedel"), through the patient's blind tokens.
 */

const NORTH = 'NORTHCLINIC';
const novak: Patient = { identifiers: [{ value: 'MRN70001', authority: NORTH, type: 'MR' }], name: { family: 'Novakovic', given: ['Ivana'] }, birthDate: '1961-04-02' };
const horvat: Patient = { identifiers: [{ value: 'MRN70002', authority: NORTH, type: 'MR' }], name: { family: 'Horvat', given: ['Petra'] }, birthDate: '1970-05-06' };
const STUDY = '1.2.826.0.1.3680043.10.999.300';

async function setup(factory = new IDBFactory(), name = 'study-words-0001') {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = openVaultDb(name, { indexedDB: factory, IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, factory, context };
}

async function stored(body: FakeBody, kind: string, normalized: NormalizedIntake) {
  return appendSealedRecord(body, { kind, meta: { v: 1, channel: normalized.channel, receivedAt: new Date(body.now).toISOString(), rawBytes: 10, normalized }, raw: 'DICM....' });
}

async function twoPatientsOneStudy(body: FakeBody) {
  await stored(body, 'intake.hl7', { channel: 'hl7-mllp', messageId: 'M1', messageType: 'ADT^A01', patient: novak, records: [] });
  await stored(body, 'intake.hl7', { channel: 'hl7-mllp', messageId: 'M2', messageType: 'ADT^A01', patient: horvat, records: [] });
  await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY}.1.1`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, studyDate: '2026-03-01', studyDescription: 'CT Schädel nativ', accessionNumber: 'ACC2026042' }));
}

describe('patient search by study', () => {
  it('finds a patient by a study accession number, whole or typed in part, and by the description words, umlauts folded both ways', async () => {
    const { body, keys, db, factory, context } = await setup();
    await twoPatientsOneStudy(body);
    await replayJournal(context);
    const id = await patientIdOf(keys.ledgerKey, novak);
    const found = (query: string) => searchPatientIds(db, keys.indexKey, query, 'chart-and-studies');

    expect(await found('ACC2026042')).toEqual([id]);
    expect(await found('acc2026042 ')).toEqual([id]);
    // A prefix while typed, as an MRN's (3 characters at least); a finished partial word finds nothing.
    expect(await found('ACC2026')).toEqual([id]);
    expect(await found('ACC2026 ')).toEqual([]);
    expect(await found('schädel')).toEqual([id]);
    expect(await found('schaedel')).toEqual([id]);
    expect(await found('Schadel')).toEqual([id]);
    expect(await found('nativ ')).toEqual([id]);
    // Every word must match, the patient's and the study's alike.
    expect(await found('novakovic schaedel')).toEqual([id]);
    expect(await found('horvat schaedel')).toEqual([]);
    // A description's words are full words only (no prefix tokens: README, "Views and search").
    expect(await found('schae')).toEqual([]);
    // The study date is no patient word: a date typed finds birth dates only.
    expect(await found('2026-03-01')).toEqual([]);

    // Still nothing readable at rest.
    const dump = await dumpAllDatabases(factory);
    for (const secret of ['ACC2026042', 'Schädel', 'schaedel', 'nativ']) expect(dump).not.toContain(secret);
    db.close();
  });

  it('the Imaging filter finds the study by the transliterated description and the accession prefix, and not the patient\'s other study', async () => {
    const { body, db, keys, context } = await setup(new IDBFactory(), 'study-words-0002');
    await twoPatientsOneStudy(body);
    const OTHER = `${STUDY}.9`;
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${OTHER}.1.1`, studyInstanceUid: OTHER, seriesInstanceUid: `${OTHER}.1`, modality: 'MR', studyDescription: 'MR Knie', accessionNumber: 'ACC2026077' }));
    await replayJournal(context);
    // The patient's study words are their own field: "schaedel" is not a word of the knee study's patient rows for this filter.
    expect(await searchStudyIds(db, keys, 'schaedel')).toHaveLength(1);
    expect(await searchStudyIds(db, keys, 'ACC2026042')).toHaveLength(1);
    expect(await searchStudyIds(db, keys, 'ACC2026')).toHaveLength(2);
    expect(await searchStudyIds(db, keys, 'novakovic knie')).toHaveLength(1);
    db.close();
  });
});

// Issue 11: the message browser's patient filter is "searchable by … patient identifier (blind
// index)": it finds a patient by their own names and identifiers; a word of one of their studies
// (a description, an accession number) is no patient's, and finds no messages there.
describe('the message browser\'s patient filter', () => {
  it('finds a patient\'s messages by name or MRN, not by a study description word or accession number', async () => {
    const { body, keys, db, context } = await setup(new IDBFactory(), 'study-words-0004');
    await twoPatientsOneStudy(body);
    await replayJournal(context);
    const id = await patientIdOf(keys.ledgerKey, novak);
    const patients = async (patient: string) => (await searchMessages(db, keys, { patient, limit: 100 })).messages.map((message) => message.patientId);

    const byName = await patients('novakovic');
    expect(byName.length).toBeGreaterThan(0);
    expect(new Set(byName)).toEqual(new Set([id]));
    expect(await patients('MRN70001')).toEqual(byName);
    expect(await patients('schaedel')).toEqual([]);
    expect(await patients('nativ ')).toEqual([]);
    expect(await patients('ACC2026042')).toEqual([]);
    expect(await patients('novakovic schaedel')).toEqual([]);
    db.close();
  });
});

describe('why a patient matched (H9)', () => {
  it('names the studies a patient matched through, and no study for a match by name or MRN', async () => {
    const { body, db, keys, context } = await setup(new IDBFactory(), 'study-words-0003');
    await twoPatientsOneStudy(body);
    const OTHER = `${STUDY}.9`;
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${OTHER}.1.1`, studyInstanceUid: OTHER, seriesInstanceUid: `${OTHER}.1`, modality: 'MR', studyDescription: 'MR Knie', accessionNumber: 'ACC2026077' }));
    await replayJournal(context);
    const id = await patientIdOf(keys.ledgerKey, novak);
    const [head] = await searchStudyIds(db, keys, 'ACC2026042');
    const [knee] = await searchStudyIds(db, keys, 'ACC2026077');
    const matches = async (query: string) => {
      const found = await searchPatientMatches(db, keys.indexKey, query);
      return { ids: found.ids, studies: Object.fromEntries(found.matchedStudies) };
    };

    expect(await matches('ACC2026042')).toEqual({ ids: [id], studies: { [id]: [head] } });
    expect(await matches('schaedel')).toEqual({ ids: [id], studies: { [id]: [head] } });
    expect(await matches('novakovic knie')).toEqual({ ids: [id], studies: { [id]: [knee] } });
    // Typed in part: both accession numbers start so; each study once.
    expect((await matches('ACC2026')).studies[id]).toEqual([head, knee].sort());
    // The study that holds more of the words comes first.
    expect((await matches('knie ACC2026')).studies[id]).toEqual([knee, head]);
    // By name or MRN: the row stays as it was.
    expect(await matches('novakovic')).toEqual({ ids: [id], studies: {} });
    expect(await matches('MRN70001')).toEqual({ ids: [id], studies: {} });
    expect(await matches('horvat')).toEqual({ ids: [await patientIdOf(keys.ledgerKey, horvat)], studies: {} });

    // Ids only (research counts, the message browser's filter): the same patients, no study row read.
    const where = vi.spyOn(db.studies, 'where');
    expect(await searchPatientIds(db, keys.indexKey, 'schaedel', 'chart-and-studies')).toEqual([id]);
    expect(where).not.toHaveBeenCalled();
    await searchPatientMatches(db, keys.indexKey, 'schaedel');
    expect(where).toHaveBeenCalled();
    db.close();
  });
});

describe('views schema version 31', () => {
  it('an existing vault rebuilds its patient words, postings and study rows on its next unlock (no manual "Rebuild index")', async () => {
    expect(VIEW_SCHEMA_VERSION).toBeGreaterThanOrEqual(31);
    // The tables as they are now, declared at version 30, the one before the study words.
    const probe = openVaultDb('v-probe-31', { indexedDB: new IDBFactory(), IDBKeyRange });
    await probe.open();
    const stores = Object.fromEntries(probe.tables.map((table) => [table.name, [table.schema.primKey.src, ...table.schema.indexes.map((index) => index.src)].join(', ')]));
    probe.close();
    const indexedDB = new IDBFactory();
    const old = new Dexie(viewDbName('v-before-study-words'), { indexedDB, IDBKeyRange });
    old.version(30).stores(stores);
    await old.open();
    await old.table('postings').put({ id: 'name-token|00000001', ids: ['p1'] });
    await old.table('patients').put({ id: 'p1', tokens: ['name-token'], enc: new Uint8Array(1) });
    await old.table('studies').put({ id: 's1', patientId: 'p1', uid: 'u1', seq: 3, tokens: ['schadel-token'], enc: new Uint8Array(1) });
    await old.table('meta').put({ key: CURSOR_KEY, value: 42 });
    old.close();
    const db = openVaultDb('v-before-study-words', { indexedDB, IDBKeyRange });
    await db.open();
    expect(await db.postings.count()).toBe(0);
    expect(await db.patients.count()).toBe(0);
    expect(await db.studies.count()).toBe(0);
    expect(await readCursor(db)).toBe(0);
    db.close();
  });
});
