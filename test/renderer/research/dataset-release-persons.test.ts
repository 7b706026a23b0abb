import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, Diagnosis, NormalizedIntake, Observation, Patient } from '../../../shared/domain/clinical';
import { checkRelease, deidSourcesOf, releaseInstancesOf, resolvePurchasedPatients } from '../../../renderer/research/dataset-release';
import { cohortTagsOf } from '../../../renderer/research/query-inbox';
import { patientIdOf } from '../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { appendSealedRecord, type FakeBody } from '../vault/support/fake-body';
import { viewsOnFakeBody } from '../vault/support/fake-vault';

/**
 * A research release is of people, not of patient charts. A chart merged into another (HL7
 * ADT^A40) keeps its own row in the patients table (the views resolve merges when they read), and
 * a query answer lists both; a release must still give that person one row: the surviving chart's,
 * with the merged chart's records in it once. Otherwise k-anonymity counts one person twice and the
 * researcher gets one person's data under two pseudonyms. A DICOM study whose Patient ID + Issuer
 * name an HL7 patient's identifier is that patient's, whichever came first.
 */

const AUTHORITY = 'CLINIC';
const AT = '2024-03-02T08:00:00Z';

function person(n: number): Patient {
  return {
    identifiers: [{ value: `MRN-${n}`, authority: AUTHORITY, type: 'MR' }],
    name: { family: `Family${n}`, given: [`Given${n}`] },
    birthDate: '1960-05-15',
    sex: 'F',
    address: { street: `${n} Main Street`, city: 'Springfield', postalCode: '02101', country: 'US' },
  };
}

function diagnosis(code: string): Diagnosis {
  return { type: 'diagnosis', code: { code, system: 'I10', display: code }, diagnosisType: 'F', time: '2021-07-02T12:00:00Z' };
}

function glucose(value: number): Observation {
  return { type: 'observation', category: 'laboratory', code: { code: '2345-7', system: 'LN', display: 'Glucose' }, value: { kind: 'numeric', value, unit: 'mmol/L' }, status: 'F', time: AT, valueType: 'NM', orderId: 'ORD-1' };
}

function hba1c(value: number): Observation {
  return { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value, unit: '%' }, status: 'F', time: AT, valueType: 'NM', orderId: 'ORD-2' };
}

function hl7(patient: Patient, messageType: string, messageId: string, records: ClinicalRecord[], extra: Partial<NormalizedIntake> = {}): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient,
    records,
    hl7: { version: '2.5.1', sendingApplication: 'HIS', sendingFacility: AUTHORITY, mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) },
    ...extra,
  };
}

async function append(body: FakeBody, normalized: NormalizedIntake): Promise<void> {
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
}

/** A CT instance whose Patient ID (0010,0020) and Issuer (0010,0021) are `identifier`'s. */
async function appendCt(body: FakeBody, n: number, uid: string): Promise<void> {
  const patient: Patient = { identifiers: [{ value: `MRN-${n}`, authority: AUTHORITY, type: '' }], name: { family: `FAMILY${n}`, given: [] } };
  const normalized: NormalizedIntake = {
    channel: 'dicom',
    messageId: uid,
    messageType: 'DICOM CT',
    patient,
    records: [],
    dicom: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', source: 'network', sopInstanceUid: uid, studyInstanceUid: `1.2.3.${n}`, seriesInstanceUid: `1.2.3.${n}.1` },
  };
  await appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2026-12-07T05:24:00.000Z', rawBytes: 100, normalized }, raw: 'DICM' });
}

/**
 * Seven people, MRN-1…MRN-7, each registered with a diagnosis (two kinds, so ℓ = 2 holds) and a
 * glucose result; MRN-8 is MRN-1 registered again (with an HbA1c and the same glucose result sent
 * for it too), merged into MRN-1 by an ADT^A40. MRN-1 has a CT study, MRN-8 another; MRN-2's CT
 * arrived before MRN-2 was registered.
 */
async function clinic() {
  const views = await viewsOnFakeBody(`release-persons-${Math.random().toString(36).slice(2)}`);
  const { body } = views;
  await appendCt(body, 2, '1.2.3.2.1.1');
  for (let n = 1; n <= 7; n++) {
    await append(body, hl7(person(n), 'ADT^A04', `ADT-${n}`, [], { extendedRecords: [diagnosis(n % 2 === 0 ? 'E11.9' : 'I10')] }));
    await append(body, hl7(person(n), 'ORU^R01', `ORU-${n}`, [glucose(5 + n / 10)]));
  }
  await append(body, hl7(person(8), 'ADT^A04', 'ADT-8', [], { extendedRecords: [diagnosis('I10')] }));
  await append(body, hl7(person(8), 'ORU^R01', 'ORU-8', [glucose(5.1), hba1c(7.0)]));
  await appendCt(body, 1, '1.2.3.1.1.1');
  await appendCt(body, 8, '1.2.3.8.1.1');
  await append(body, hl7(person(1), 'ADT^A40', 'A40-1', [], { extendedRecords: [{ type: 'merge', survivor: person(1).identifiers, merged: person(8).identifiers, event: 'A40' }] }));
  await replayJournal(views.context);
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => patientIdOf(views.keys.ledgerKey, person(i + 1))));
  return { ...views, ids };
}

const everyone = (ids: readonly string[]) => Promise.resolve(new Set(ids));

describe('a release of merged patients: one person, one row', () => {
  it('a key of a merged chart names its survivor: the person once, counted as folded in', async () => {
    const { db, keys, ids } = await clinic();
    // The answer's keys named all eight charts (the merged one as a patient of its own).
    const tags = await cohortTagsOf(keys.indexKey, ids);
    const resolved = await resolvePurchasedPatients(db, keys.indexKey, tags, everyone);
    expect(resolved.patientIds).toEqual(ids.slice(0, 7));
    expect(resolved).toMatchObject({ missing: 0, withdrawn: 0, merged: 1 });
    // A key of the merged chart alone names the survivor.
    const alone = await resolvePurchasedPatients(db, keys.indexKey, [tags[7]!], everyone);
    expect(alone.patientIds).toEqual([ids[0]]);
  });

  it('the survivor’s row holds the merged chart’s records, each once', async () => {
    const { db, keys, ids } = await clinic();
    const [source] = await deidSourcesOf(db, keys.viewKey, [ids[0]!]);
    const records = source!.records.map((record) => (record.type === 'observation' ? [record.code.code, record.value.kind === 'numeric' ? record.value.value : null] : record.type === 'diagnosis' ? ['diagnosis', record.code.code] : [record.type]));
    // MRN-8's diagnosis and glucose are MRN-1's (the same records sent for both charts): once each.
    expect(records).toEqual([
      ['diagnosis', 'I10'],
      ['2345-7', 5.1],
      ['4548-4', 7.0],
    ]);
  });

  it('k counts people: four people and one merged chart do not reach k = 5', async () => {
    const { db, keys, ids } = await clinic();
    const charts = [...ids.slice(0, 4), ids[7]!];
    const resolved = await resolvePurchasedPatients(db, keys.indexKey, await cohortTagsOf(keys.indexKey, charts), everyone);
    const checked = await checkRelease(await deidSourcesOf(db, keys.viewKey, resolved.patientIds), resolved, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-07');
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(/k/);
  });

  it('seven people and the merged chart: seven rows, and the report says one merged chart and the record it added were folded in', async () => {
    const { db, keys, ids } = await clinic();
    const resolved = await resolvePurchasedPatients(db, keys.indexKey, await cohortTagsOf(keys.indexKey, ids), everyone);
    const checked = await checkRelease(await deidSourcesOf(db, keys.viewKey, resolved.patientIds), resolved, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-07');
    if (!checked.ok) throw new Error(checked.reason);
    expect(checked.release.report.rows).toEqual({ in: 7, out: 7, suppressed: 0 });
    expect(new Set(checked.release.pseudonymMap.values())).toEqual(new Set(ids.slice(0, 7)));
    // MRN-8's own: its HbA1c (its diagnosis and glucose are MRN-1's, already there).
    expect(checked.release.report.merged).toEqual({ charts: 1, records: 1 });
  });

  it('a person with studies and lab results is one person: a CT by Patient ID + Issuer is on the HL7 patient’s row, the merged chart’s CT too', async () => {
    const { db, keys, ids } = await clinic();
    // Eight charts: the CT that came before MRN-2's registration made no chart of its own.
    expect(await db.patients.count()).toBe(8);
    const instances = await releaseInstancesOf(db, keys.viewKey, [ids[0]!, ids[1]!]);
    expect(instances.map((instance) => instance.patientId)).toEqual([ids[0], ids[0], ids[1]]);
    const sources = await deidSourcesOf(db, keys.viewKey, [ids[1]!]);
    expect(sources.map((source) => source.records.map((record) => record.type))).toEqual([['diagnosis', 'observation']]);
  });
});
