import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { allStudies, searchStudyIds, studiesOfPatient } from '../../../../renderer/vault/views/imaging-reads';
import { patientIdOf } from '../../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';
import { dicomIntake } from '../support/dicom-intake';
import { dumpAllDatabases } from '../support/idb-dump';

/** Issue 12: DICOM instances become studies → series → instances under the patient HL7 knows. */

const NORTH = 'NORTHCLINIC';
const novak: Patient = { identifiers: [{ value: 'MRN70001', authority: NORTH, type: 'MR' }], name: { family: 'Novakovic', given: ['Ivana'] }, birthDate: '1961-04-02' };

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const factory = new IDBFactory();
  const db = openVaultDb('imaging-0001', { indexedDB: factory, IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, factory, context };
}

async function stored(body: FakeBody, kind: string, normalized: NormalizedIntake) {
  return appendSealedRecord(body, { kind, meta: { v: 1, channel: normalized.channel, receivedAt: new Date(body.now).toISOString(), rawBytes: 10, normalized }, raw: 'DICM....' });
}

const STUDY_A = '1.2.826.0.1.3680043.10.999.100';
const STUDY_B = '1.2.826.0.1.3680043.10.999.200';

describe('imaging views', () => {
  it('files DICOM studies under the patient an HL7 message made, with series and instances counted once per SOP Instance UID', async () => {
    const { body, keys, db, factory, context } = await setup();
    // The patient first came by HL7 (authority NORTHCLINIC); DICOM's issuer was mapped to the same authority by the body.
    await stored(body, 'intake.hl7', { channel: 'hl7-mllp', messageId: 'M1', messageType: 'ADT^A01', patient: novak, records: [] });
    const dicomPatient: Patient = { identifiers: [{ value: 'MRN70001', authority: NORTH, type: '' }], name: { family: 'Novakovic', given: ['Ivana'] } };
    await stored(body, 'intake.dicom', dicomIntake(dicomPatient, { sopInstanceUid: `${STUDY_A}.1.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.1`, seriesNumber: 1, studyDate: '2026-01-14', studyDescription: 'CT HEAD', accessionNumber: 'ACC77' }));
    await stored(body, 'intake.dicom', dicomIntake(dicomPatient, { sopInstanceUid: `${STUDY_A}.1.2`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.1`, seriesNumber: 1, studyDate: '2026-01-14', studyDescription: 'CT HEAD', accessionNumber: 'ACC77' }));
    await stored(body, 'intake.dicom', dicomIntake(dicomPatient, { sopInstanceUid: `${STUDY_A}.2.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.2`, seriesNumber: 2, modality: 'SR', studyDate: '2026-01-14', studyDescription: 'CT HEAD', accessionNumber: 'ACC77' }));
    // A resend of the first instance: the same rows again, not a second instance.
    await stored(body, 'intake.dicom', dicomIntake(dicomPatient, { sopInstanceUid: `${STUDY_A}.1.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.1`, seriesNumber: 1, studyDate: '2026-01-14', studyDescription: 'CT HEAD', accessionNumber: 'ACC77' }));
    // An older study of the same patient.
    await stored(body, 'intake.dicom', dicomIntake(dicomPatient, { sopInstanceUid: `${STUDY_B}.1.1`, studyInstanceUid: STUDY_B, seriesInstanceUid: `${STUDY_B}.1`, modality: 'MR', studyDate: '2025-06-30', studyDescription: 'MR KNEE' }));
    await replayJournal(context);

    const patientId = await patientIdOf(keys.ledgerKey, novak);
    expect(await db.patients.count()).toBe(1);
    const studies = await studiesOfPatient(db, keys.viewKey, patientId);
    expect(studies.map((study) => [study.study.description, study.study.date, study.modalities, study.series.length, study.instances])).toEqual([
      ['CT HEAD', '2026-01-14', ['CT', 'SR'], 2, 3],
      ['MR KNEE', '2025-06-30', ['MR'], 1, 1],
    ]);
    expect(studies[0]!.study).toMatchObject({ studyInstanceUid: STUDY_A, accessionNumber: 'ACC77' });
    expect(studies[0]!.series.map((series) => [series.number, series.instances])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect((await allStudies(db, keys.viewKey)).map((study) => study.patientId)).toEqual([patientId, patientId]);

    // Nothing readable at rest: no UID, accession number or description in IndexedDB.
    const dump = await dumpAllDatabases(factory);
    for (const secret of [STUDY_A, 'ACC77', 'CT HEAD', 'Novakovic']) expect(dump).not.toContain(secret);
  });

  it("removes a patient's imaging rows when the patient is erased", async () => {
    const { body, keys, db, context } = await setup();
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY_A}.1.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.1` }));
    await replayJournal(context);
    expect(await db.instances.count()).toBe(1);
    const patientId = await patientIdOf(keys.ledgerKey, novak);
    await appendSealedRecord(body, { kind: 'erasure.patient', meta: { v: 1, patientId, messages: 1, records: 0, objects: 1 } });
    await replayJournal(context);
    expect([await db.studies.count(), await db.series.count(), await db.instances.count()]).toEqual([0, 0, 0]);
  });

  it('finds studies with the blind index: study description, accession number, modality, study date, patient name and id, every word', async () => {
    const { body, keys, db, context } = await setup();
    const other: Patient = { identifiers: [{ value: 'MRN80002', authority: NORTH, type: '' }], name: { family: 'Horvat', given: ['Marko'] } };
    // Study A: a CT series, then (after a replay: another page) an SR series; its modalities come one instance at a time.
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY_A}.1.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.1`, studyDate: '2026-01-14', studyDescription: 'HEAD', accessionNumber: 'ACC77' }));
    await replayJournal(context);
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY_A}.2.1`, studyInstanceUid: STUDY_A, seriesInstanceUid: `${STUDY_A}.2`, modality: 'SR', studyDate: '2026-01-14', studyDescription: 'HEAD', accessionNumber: 'ACC77' }));
    await stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY_B}.1.1`, studyInstanceUid: STUDY_B, seriesInstanceUid: `${STUDY_B}.1`, modality: 'MR', studyDate: '2025-06-30', studyDescription: 'KNEE' }));
    // Study C: a CT series and a presentation state (PR) series in the same page.
    const STUDY_C = '1.2.826.0.1.3680043.10.999.300';
    await stored(body, 'intake.dicom', dicomIntake(other, { sopInstanceUid: `${STUDY_C}.1.1`, studyInstanceUid: STUDY_C, seriesInstanceUid: `${STUDY_C}.1`, modality: 'CT', studyDate: '2026-01-14', studyDescription: 'THORAX', accessionNumber: 'ACC99' }));
    await stored(body, 'intake.dicom', dicomIntake(other, { sopInstanceUid: `${STUDY_C}.2.1`, studyInstanceUid: STUDY_C, seriesInstanceUid: `${STUDY_C}.2`, modality: 'PR', studyDate: '2026-01-14', studyDescription: 'THORAX', accessionNumber: 'ACC99' }));
    await replayJournal(context);

    const description = async (query: string) => {
      const ids = await searchStudyIds(db, keys, query);
      const all = await allStudies(db, keys.viewKey);
      return all.filter((study) => ids.includes(study.studyId)).map((study) => study.study.description).sort();
    };
    expect(await description('knee ')).toEqual(['KNEE']);
    expect(await description('ACC77 ')).toEqual(['HEAD']);
    expect(await description('SR ')).toEqual(['HEAD']);
    expect(await description('pr ')).toEqual(['THORAX']);
    expect(await description('ct ')).toEqual(['HEAD', 'THORAX']);
    expect(await description('2026-01-14 ')).toEqual(['HEAD', 'THORAX']);
    expect(await description('Novakovic ')).toEqual(['HEAD', 'KNEE']);
    expect(await description('MRN80002 ')).toEqual(['THORAX']);
    // Every word must match, on the study or on its patient; the last word may be a name prefix.
    expect(await description('novakovic ct ')).toEqual(['HEAD']);
    expect(await description('ct horv')).toEqual(['THORAX']);
    expect(await description('thorax novakovic ')).toEqual([]);
    expect(await description('')).toEqual(['HEAD', 'KNEE', 'THORAX']);
    // The rows hold blind tokens, not the words.
    const rows = await db.studies.toArray();
    expect(rows.every((row) => row.tokens.length > 0)).toBe(true);
    expect(JSON.stringify(rows.map((row) => row.tokens))).not.toMatch(/KNEE|ACC77|knee|acc77|THORAX|thorax/);
  });

  it('finds studies by a year, a month or a range of study dates, alone or with other words, with no year or month token stored (H6 #2)', async () => {
    const { body, keys, db, context } = await setup();
    const on = (n: number, studyDate: string, studyDescription: string, accessionNumber?: string) =>
      stored(body, 'intake.dicom', dicomIntake(novak, { sopInstanceUid: `${STUDY_A}.${n}.1`, studyInstanceUid: `${STUDY_A}.${n}`, seriesInstanceUid: `${STUDY_A}.${n}.9`, studyDate, studyDescription, ...(accessionNumber === undefined ? {} : { accessionNumber }) }));
    await on(1, '2026-01-09', 'HEAD');
    await on(2, '2026-01-10', 'THORAX');
    await on(3, '2026-01-20', 'KNEE');
    await on(4, '2026-02-01', 'HAND');
    await on(5, '2025-12-31', 'FOOT');
    // A year typed as a word still finds what holds that word (an accession number's part), whatever its date.
    await on(6, '2024-05-05', 'SPINE', 'X-2026-7');
    await replayJournal(context);
    const description = async (query: string) => {
      const ids = await searchStudyIds(db, keys, query);
      const all = await allStudies(db, keys.viewKey);
      return all.filter((study) => ids.includes(study.studyId)).map((study) => study.study.description).sort();
    };
    expect(await description('2026-01')).toEqual(['HEAD', 'KNEE', 'THORAX']);
    expect(await description('2026/01 ')).toEqual(['HEAD', 'KNEE', 'THORAX']);
    expect(await description('01.2026')).toEqual(['HEAD', 'KNEE', 'THORAX']);
    expect(await description('2026')).toEqual(['HAND', 'HEAD', 'KNEE', 'SPINE', 'THORAX']);
    expect(await description('2026-01-10..2026-01-20')).toEqual(['KNEE', 'THORAX']);
    expect(await description('20260110-20260120')).toEqual(['KNEE', 'THORAX']);
    expect(await description('2025-12..2026-01-09')).toEqual(['FOOT', 'HEAD']);
    expect(await description('2026-01-20..')).toEqual(['HAND', 'KNEE']);
    expect(await description('-20251231')).toEqual(['FOOT', 'SPINE']);
    expect(await description('2026-01-20..2026-01-10')).toEqual([]);
    // With other words: every word must match, as before.
    expect(await description('knee 2026-01')).toEqual(['KNEE']);
    expect(await description('2026-01 novakovic')).toEqual(['HEAD', 'KNEE', 'THORAX']);
    expect(await description('hand 2026-01')).toEqual([]);
    expect(await description('2026-01-14 ')).toEqual([]);
    expect(await description('2026-01-20')).toEqual(['KNEE']);
    // The index holds each study's full date only: two studies of one month share no more tokens than two of other years.
    const idOf = new Map((await allStudies(db, keys.viewKey)).map((study) => [study.study.description, study.studyId]));
    const tokens = async (name: string) => new Set((await db.studies.get(idOf.get(name)!))!.tokens);
    const shared = async (a: string, b: string) => {
      const [first, second] = [await tokens(a), await tokens(b)];
      return [...first].filter((token) => second.has(token)).length;
    };
    expect(await shared('HEAD', 'THORAX')).toBe(await shared('HEAD', 'FOOT'));
  });
});
