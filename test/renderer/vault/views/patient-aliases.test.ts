import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, ExtendedRecord, NormalizedIntake, Patient, PatientIdentifier } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { readReplayCounts, replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientDetail, resolveSearchIds } from '../../../../renderer/vault/views/view-reads';
import { CURSOR_KEY, openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { deletePatientRows, patientTables } from '../../../../renderer/vault/views/projectors/patient-projector';
import { studiesOfPatient } from '../../../../renderer/vault/views/imaging-reads';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';
import { dicomIntake } from '../support/dicom-intake';

/**
 * Issue 11 (patient safety): a message is filed on the chart that already holds one of its PID-3
 * identifiers (value WITH its assigning authority), whatever their order, never on a second chart
 * of the same person; a value under another authority is another person.
 */

const MRN: PatientIdentifier = { value: 'MRN900102', authority: 'CITYHOSP', type: 'MR' };
const AHV: PatientIdentifier = { value: '756.9000.0102.11', authority: 'CH', type: 'NI' };
const NAME = { family: 'Okafor', given: ['Chidi'] };
const PENICILLIN: ExtendedRecord = { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, allergenType: 'DA', severity: 'SV', reactions: ['Anaphylaxis'] };
const LATEX: ExtendedRecord = { type: 'allergy', allergen: { code: 'LATEX', system: 'L', display: 'Latex' }, allergenType: 'MA', severity: 'SV' };
const POTASSIUM: ClinicalRecord = {
  type: 'observation',
  category: 'laboratory',
  code: { code: '2823-3', system: 'LN', display: 'Potassium' },
  value: { kind: 'numeric', value: 7.1, unit: 'mmol/L' },
  referenceRange: '3.5-5.1',
  abnormalFlags: ['HH'],
  status: 'F',
  time: '2025-03-02T07:40:00Z',
};

function intake(identifiers: PatientIdentifier[], messageType: string, messageId: string, records: { records?: ClinicalRecord[]; extendedRecords?: ExtendedRecord[] } = {}): NormalizedIntake {
  const patient: Patient = { identifiers, name: NAME };
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient,
    records: records.records ?? [],
    ...(records.extendedRecords === undefined ? {} : { extendedRecords: records.extendedRecords }),
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CITYHOSP', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
  };
}

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = openVaultDb(`aliases-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, context };
}
type Views = Awaited<ReturnType<typeof setup>>;

async function append(body: FakeBody, normalized: NormalizedIntake): Promise<void> {
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: '2025-03-02T08:00:00.000Z', rawBytes: 100, normalized } });
}

/** The charts a search for the surname lists (merges resolved, as the Patients page does). */
async function charts(views: Views, query = 'Okafor') {
  const ids = await resolveSearchIds(views.db, await searchPatientIds(views.db, views.keys.indexKey, query, 'chart-and-studies'), false);
  return Promise.all(ids.map((id) => patientDetail(views.db, views.keys.viewKey, id)));
}

function shows(detail: Awaited<ReturnType<typeof patientDetail>>) {
  return {
    allergies: detail.records.flatMap((row) => (row.record.type === 'allergy' ? [row.record.allergen.display] : [])).sort(),
    potassium: detail.records.flatMap((row) => (row.record.type === 'observation' && row.record.code.code === '2823-3' && row.record.value.kind === 'numeric' ? [`${row.record.value.value} ${row.record.abnormalFlags?.join('') ?? ''}`] : [])),
  };
}

describe('a message is filed on the chart that holds one of its identifiers', () => {
  for (const pages of ['one replay page', 'separate replays'] as const) {
    it(`A04 (MRN~AHV) with an allergy, then an ORU with the identifiers reversed: one chart with both (${pages})`, async () => {
      const views = await setup();
      await append(views.body, intake([MRN, AHV], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
      if (pages === 'separate replays') await replayJournal(views.context);
      await append(views.body, intake([AHV, MRN], 'ORU^R01', 'ORU-1', { records: [POTASSIUM] }));
      await replayJournal(views.context);
      const found = await charts(views);
      expect(found).toHaveLength(1);
      expect(shows(found[0]!)).toEqual({ allergies: ['Penicillin G'], potassium: ['7.1 HH'] });
      // The MRN alone and the AHV number alone find that one chart.
      expect((await charts(views, 'MRN900102')).map((d) => d.patientId)).toEqual([found[0]!.patientId]);
      expect((await charts(views, '756.9000.0102.11')).map((d) => d.patientId)).toEqual([found[0]!.patientId]);
    });
  }

  it('an A08 with reversed identifiers and a new severe allergy, and an ORU with only the second identifier, land on the same chart; a rebuild agrees', async () => {
    const views = await setup();
    await append(views.body, intake([MRN, AHV], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
    await replayJournal(views.context);
    await append(views.body, intake([AHV, MRN], 'ADT^A08', 'ADT-2', { extendedRecords: [LATEX] }));
    await append(views.body, intake([AHV], 'ORU^R01', 'ORU-2', { records: [POTASSIUM] }));
    await replayJournal(views.context);
    const expected = { allergies: ['Latex', 'Penicillin G'], potassium: ['7.1 HH'] };
    let found = await charts(views);
    expect(found).toHaveLength(1);
    expect(shows(found[0]!)).toEqual(expected);
    const chartId = found[0]!.patientId;

    // Rebuilt from the journal (the views dropped): the same chart, under the same id.
    await views.db.delete();
    views.context = { ...views.context, db: openVaultDb(`aliases-rebuilt-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange }) };
    views.db = views.context.db;
    await replayJournal(views.context);
    found = await charts(views);
    expect(found.map((d) => d.patientId)).toEqual([chartId]);
    expect(shows(found[0]!)).toEqual(expected);

    // A replay from 0 over the existing views changes nothing.
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    found = await charts(views);
    expect(found.map((d) => d.patientId)).toEqual([chartId]);
    expect(shows(found[0]!)).toEqual(expected);
  });

  it('the same value under another assigning authority is another person: a second chart', async () => {
    const views = await setup();
    await append(views.body, intake([MRN, AHV], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
    await append(views.body, intake([{ ...MRN, authority: 'OTHERHOSP' }], 'ORU^R01', 'ORU-1', { records: [POTASSIUM] }));
    await replayJournal(views.context);
    const found = await charts(views);
    expect(found).toHaveLength(2);
    const byAllergy = found.map(shows).sort((a, b) => a.allergies.length - b.allergies.length);
    expect(byAllergy).toEqual([
      { allergies: [], potassium: ['7.1 HH'] },
      { allergies: ['Penicillin G'], potassium: [] },
    ]);
    expect((await readReplayCounts(views.db)).identityConflicts).toBe(0);
  });

  it('identifiers of two existing charts in one message: filed on the first one in PID-3 order, not merged, and counted as a conflict', async () => {
    const views = await setup();
    const OTHER: PatientIdentifier = { value: 'MRN555', authority: 'CITYHOSP', type: 'MR' };
    await append(views.body, intake([MRN], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
    await append(views.body, intake([OTHER], 'ADT^A04', 'ADT-2', { extendedRecords: [LATEX] }));
    await replayJournal(views.context);
    await append(views.body, intake([OTHER, MRN], 'ORU^R01', 'ORU-1', { records: [POTASSIUM] }));
    await replayJournal(views.context);
    const found = await charts(views);
    expect(found).toHaveLength(2);
    const other = found.find((d) => d.patient.identifiers.some((identifier) => identifier.value === 'MRN555'))!;
    const first = found.find((d) => d !== other)!;
    expect(shows(other)).toEqual({ allergies: ['Latex'], potassium: ['7.1 HH'] });
    expect(shows(first)).toEqual({ allergies: ['Penicillin G'], potassium: [] });
    expect((await readReplayCounts(views.db)).identityConflicts).toBe(1);
    // MRN900102 still finds the chart that holds it, not the one the conflicting message went to.
    expect((await charts(views, 'MRN900102')).map((d) => d.patientId)).toContain(first.patientId);
  });

  it('an erased chart holds no identifiers any more: a later message naming its second identifier opens a chart anew', async () => {
    const views = await setup();
    await append(views.body, intake([MRN, AHV], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
    await replayJournal(views.context);
    const [erased] = await charts(views);
    await views.db.transaction('rw', patientTables(views.db), () => deletePatientRows(views.db, erased!.patientId));
    expect(await views.db.aliases.where('patientId').equals(erased!.patientId).count()).toBe(0);
    await append(views.body, intake([AHV], 'ORU^R01', 'ORU-1', { records: [POTASSIUM] }));
    await replayJournal(views.context);
    const found = await charts(views);
    expect(found).toHaveLength(1);
    expect(found[0]!.patientId).not.toBe(erased!.patientId);
    expect(shows(found[0]!)).toEqual({ allergies: [], potassium: ['7.1 HH'] });
  });

  it('a DICOM instance whose Patient ID and issuer are the chart’s second identifier is filed on that chart, and its study with it', async () => {
    const views = await setup();
    await append(views.body, intake([MRN, AHV], 'ADT^A04', 'ADT-1', { extendedRecords: [PENICILLIN] }));
    const study = '1.2.826.0.1.3680043.8.498.90102';
    const instance = dicomIntake({ identifiers: [{ ...AHV, type: '' }], name: NAME }, { sopInstanceUid: `${study}.1.1`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, studyDescription: 'CHEST PA' });
    await appendSealedRecord(views.body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-02T09:00:00.000Z', rawBytes: 10, normalized: instance }, raw: 'DICM....' });
    await replayJournal(views.context);
    const found = await charts(views);
    expect(found).toHaveLength(1);
    expect(shows(found[0]!).allergies).toEqual(['Penicillin G']);
    expect(await studiesOfPatient(views.db, views.keys.viewKey, found[0]!.patientId)).toHaveLength(1);
  });
});
