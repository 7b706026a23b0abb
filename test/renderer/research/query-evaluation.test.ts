import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Observation, Patient } from '../../../shared/domain/clinical';
import { evaluateQuery } from '../../../renderer/research/query-evaluation';
import { patientIdOf } from '../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { appendSealedRecord } from '../vault/support/fake-body';
import { dicomIntake } from '../vault/support/dicom-intake';
import { viewsOnFakeBody } from '../vault/support/fake-vault';

/**
 * A keyword query counts people: a chart merged into another (HL7 ADT^A40) keeps its row and its
 * search words in the views, but it is its survivor's person, matched, counted and described once,
 * with the records of both charts.
 */

const person = (n: number): Patient => ({ identifiers: [{ value: `MRN-${n}`, authority: 'CLINIC', type: 'MR' }], name: { family: `Family${n}`, given: ['Test'] }, birthDate: '1970-05-05', sex: 'F' });

function lab(code: string, display: string, time: string): Observation {
  return { type: 'observation', category: 'laboratory', code: { code, system: 'LN', display }, value: { kind: 'numeric', value: 7, unit: '%' }, status: 'F', time, valueType: 'NM' };
}

function hl7(patient: Patient, messageType: string, messageId: string, records: Observation[], extra: Partial<NormalizedIntake> = {}): NormalizedIntake {
  return { channel: 'hl7-mllp', messageId, messageType, patient, records, hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) }, ...extra };
}

describe('a query evaluated on merged charts', () => {
  it('matches, counts and describes the person once, across the charts merged into theirs', async () => {
    const { body, db, keys, context } = await viewsOnFakeBody('query-evaluation-merged');
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    for (let n = 1; n <= 3; n++) await append(hl7(person(n), 'ORU^R01', `ORU-${n}`, [lab('4548-4', 'Hemoglobin A1c', '2025-06-01T08:00:00Z')]));
    // MRN-4 is MRN-1 registered again: an HbA1c and a glucose of 2023, then merged into MRN-1.
    await append(hl7(person(4), 'ORU^R01', 'ORU-4', [lab('4548-4', 'Hemoglobin A1c', '2023-02-01T08:00:00Z'), lab('2345-7', 'Glucose', '2023-02-01T08:00:00Z')]));
    await append(hl7(person(1), 'ADT^A40', 'A40-1', [], { extendedRecords: [{ type: 'merge', survivor: person(1).identifiers, merged: person(4).identifiers, event: 'A40' }] }));
    await replayJournal(context);
    const ids = await Promise.all([1, 2, 3].map((n) => patientIdOf(keys.ledgerKey, person(n))));
    const everyone = (candidates: readonly string[]) => Promise.resolve(new Set(candidates));
    const query = { terms: ['Hemoglobin A1c'], filters: {}, purpose: 'research-no-sale' as const };
    const all = await evaluateQuery(db, keys, query, everyone, '2026-12-07');
    expect(all.cohort).toEqual([...ids].sort());
    const first = all.members[all.cohort.indexOf(ids[0]!)]!;
    expect(first.years).toEqual({ first: 2023, last: 2025 });
    // The person matches a term through either chart (glucose is only on the merged one).
    expect((await evaluateQuery(db, keys, { ...query, terms: ['Hemoglobin A1c', 'Glucose'] }, everyone, '2026-12-07')).cohort).toEqual([ids[0]]);
    expect((await evaluateQuery(db, keys, { ...query, terms: ['Hemoglobin A1c'], filters: { from: '2023-01-01', to: '2023-12-31' } }, everyone, '2026-12-07')).cohort).toEqual([ids[0]]);
  });
});

// README "Research data search": terms are "diagnosis, lab, medication and procedure codes or words",
// and imaging is data a clinic delivers (data types by modality, DICOM). A study's description names
// the imaging procedure ("MR Knie"), so a term counts the patients whose studies it describes, as the
// Patients search finds them (keyword-search.ts PatientSearchScope 'chart-and-studies').
describe('a query term and imaging studies', () => {
  it('counts a patient whose study description holds the term, together with the patient\'s own words', async () => {
    const { body, db, keys, context } = await viewsOnFakeBody('query-evaluation-studies');
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized: hl7(person(1), 'ORU^R01', 'ORU-1', [lab('4548-4', 'Hemoglobin A1c', '2025-06-01T08:00:00Z')]) } });
    const study = '1.2.826.0.1.3680043.10.999.400';
    const normalized = dicomIntake(person(2), { sopInstanceUid: `${study}.1.1`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, modality: 'MR', studyDate: '2025-04-01', studyDescription: 'MR Knie links' });
    await appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2026-12-07T05:24:00.000Z', rawBytes: 10, normalized }, raw: 'DICM....' });
    await replayJournal(context);
    const withStudy = await patientIdOf(keys.ledgerKey, person(2));
    const everyone = (candidates: readonly string[]) => Promise.resolve(new Set(candidates));
    const cohort = async (terms: string[]) => (await evaluateQuery(db, keys, { terms, filters: {}, purpose: 'research-no-sale' }, everyone, '2026-12-07')).cohort;
    expect(await cohort(['knie'])).toEqual([withStudy]);
    expect(await cohort(['Family2', 'knie'])).toEqual([withStudy]);
    expect(await cohort(['Family1', 'knie'])).toEqual([]);
  });
});
