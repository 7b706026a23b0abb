import type { DicomReleaseOption } from '../../shared/research/consent';
import { applySafeHarbor, type DeidProfile, type DeidSource } from '../../shared/research/deid/safe-harbor';
import { ReleaseRefusedError, type AnonymityRequirements } from '../../shared/research/deid/k-anonymity';
import { releaseDataset, type MergedCharts, type Release } from '../../shared/research/deid/release-report';
import type { ClinicalRecord, ExtendedRecord } from '../../shared/domain/clinical';
import { correctionsOf } from '../features/patients/results-model';
import { decryptMany } from '../vault/vault-crypto';
import type { RecordRow } from '../vault/vault-service';
import type { PatientPayload } from '../vault/views/intake-rows';
import type { InstanceRowStored, SeriesPayload, StudyPayload } from '../vault/views/imaging-rows';
import type { VaultDb } from '../vault/views/vault-db';
import { mergedInto, personRecordRows, resolvePatientId } from '../vault/views/view-reads';
import { cohortTagsOf } from './query-inbox';

/**
 * The dataset of an accepted purchase, de-identified on the clinic node (issue 15 item 3), in the
 * mind, which holds the keys:
 *
 * 1. The purchased KEY-list keys name patients only through their cohort tags, kept with the answer
 *    in the journal (QueryAnsweredMeta.keyTags): the tags of every patient are computed again with
 *    the blind-index key and matched. A key whose patient is gone (erased) names nobody.
 * 2. A release is of people: a chart merged into another (HL7 ADT^A40, A34…) keeps its row in the
 *    views and the answer may have named it beside its survivor; a key names the surviving
 *    chart's person, each person once, read with every chart merged into it (deidSourcesOf), so
 *    k-anonymity counts people and nobody goes out twice under two pseudonyms.
 *    Consent is asked again for the purchase's purpose: a patient who withdrew since the answer is
 *    left out, and counted.
 * 3. HIPAA Safe Harbor on each remaining patient's demographics and records, then k-anonymity and
 *    ℓ-diversity by generalization and at most the allowed suppression, verified after
 *    transformation by an independent count (shared/research/deid). A release that cannot reach
 *    them is refused with the reason.
 *
 * Nothing leaves the node here: what it returns is for the clinic's administrator to look at, and
 * (next) for the package.
 */
export interface PurchasedPatients {
  /** View ids of the people the keys name (a merged chart's survivor) who still consent, in key order, each once. */
  readonly patientIds: readonly string[];
  /** Keys whose patient is no longer in the vault. */
  readonly missing: number;
  /** Patients left out because their consent no longer allows the purpose. */
  readonly withdrawn: number;
  /** Charts merged into the released people's charts, read with them (absent from older callers). */
  readonly merged?: number;
}

/** The person a chart is: the chart it was merged into (to the end of the chain) when that one has a row, else itself (as the patient page opens it). */
async function personOf(db: VaultDb, patientId: string): Promise<string> {
  const survivor = await resolvePatientId(db, patientId);
  return survivor === patientId || (await db.patients.get(survivor)) === undefined ? patientId : survivor;
}

export async function resolvePurchasedPatients(
  db: VaultDb,
  indexKey: CryptoKey,
  keyTags: readonly string[],
  allowed: (patientIds: readonly string[]) => Promise<ReadonlySet<string>>,
): Promise<PurchasedPatients> {
  const allIds = (await db.patients.toCollection().primaryKeys()) as string[];
  const tags = await cohortTagsOf(indexKey, allIds);
  const byTag = new Map<string, string>();
  tags.forEach((tag, i) => byTag.set(tag, allIds[i]!));
  const named = keyTags.flatMap((tag) => {
    const id = byTag.get(tag);
    return id === undefined ? [] : [id];
  });
  const persons = await Promise.all(named.map((id) => personOf(db, id)));
  const unique = [...new Set(persons)];
  const consenting = await allowed(unique);
  const patientIds = unique.filter((id) => consenting.has(id));
  const merged = (await Promise.all(patientIds.map((id) => mergedInto(db, id)))).reduce((sum, ids) => sum + ids.length, 0);
  return { patientIds, missing: keyTags.length - named.length, withdrawn: unique.length - patientIds.length, merged };
}

/**
 * The records of a patient a release starts from: what the patient's views hold current, by the
 * same rules (results-model.ts correctionsOf; HL7 OBX-11, table 0085). A result a later one
 * replaced (a correction's original, a preliminary result the final one followed) is left out, and
 * so are results posted as wrong (W) with their original, deleted ones (D) with the deletion, and
 * a U once it made its preliminary result final (which goes out as final). `rows` as the chart
 * lists them (personRecordRows: each record once, no lab-message visit), in journal order.
 */
export function releasableRecords(rows: readonly RecordRow[]): (ClinicalRecord | ExtendedRecord)[] {
  const corrections = correctionsOf(rows);
  return rows.flatMap((row): (ClinicalRecord | ExtendedRecord)[] => {
    if (corrections.superseded.has(row.recordId) || corrections.withdrawn.has(row.recordId)) return [];
    const record = row.record;
    if (record.type !== 'observation' || !corrections.madeFinalBy.has(row.recordId)) return [record];
    const { resultStatus: _made, ...final } = record;
    return [{ ...final, status: 'F' }];
  });
}

/** A person's source for Safe Harbor, with what the charts merged into theirs added (ReleaseReport.merged). */
export interface PersonSource extends DeidSource {
  readonly merged: MergedCharts;
}

/**
 * Each person's demographics (their surviving chart's) and their current records
 * (releasableRecords) with those of every chart merged into theirs, each record once, decrypted,
 * for Safe Harbor.
 */
export async function deidSourcesOf(db: VaultDb, viewKey: CryptoKey, patientIds: readonly string[]): Promise<PersonSource[]> {
  const rows = await db.patients.bulkGet([...patientIds]);
  const present = rows.flatMap((row) => (row === undefined ? [] : [row]));
  const patients = await decryptMany<PatientPayload>(
    viewKey,
    present.map((row) => ({ table: 'patients', id: row.id, stored: row.enc })),
  );
  const sources: PersonSource[] = [];
  const inOrder = (rows: RecordRow[]) => rows.sort((a, b) => a.source.seq - b.source.seq);
  for (const [i, row] of present.entries()) {
    const charts = await mergedInto(db, row.id);
    const records = releasableRecords(inOrder(await personRecordRows(db, viewKey, row.id, charts)));
    // What the merged charts added: the person's records less those of the surviving chart alone
    // (a result both charts were sent is the survivor's; only people with merges are read twice).
    const own = charts.length === 0 ? records.length : releasableRecords(inOrder(await personRecordRows(db, viewKey, row.id))).length;
    sources.push({ patientId: row.id, patient: patients[i]!.patient, records, merged: { charts: charts.length, records: Math.max(0, records.length - own) } });
  }
  return sources;
}

export type ReleaseCheck =
  | { readonly ok: true; readonly release: Release; readonly patients: PurchasedPatients }
  | { readonly ok: false; readonly reason: string; readonly patients: PurchasedPatients };

/** How dates are released: the research policy's profile at release time (research-consent.ts). */
export interface ReleaseProfile {
  readonly profile: DeidProfile;
  /** Longitudinal: the largest shift in days. */
  readonly maxShiftDays?: number;
  /** The Annex E Options the policy selected for DICOM files (research-consent's releaseProfileOf). */
  readonly dicomOptions?: readonly DicomReleaseOption[];
}

/**
 * Safe Harbor (or the longitudinal profile the policy chose) and the anonymity requirements on the
 * purchased patients: the release, or why not. Under the longitudinal profile the release carries
 * each released patient's shift (Release.dateShifts), which the DICOM files of the same release use.
 */
export async function checkRelease(sources: readonly (DeidSource | PersonSource)[], patients: PurchasedPatients, requirements: AnonymityRequirements, releaseDate: string, profile: ReleaseProfile = { profile: 'safe-harbor' }): Promise<ReleaseCheck> {
  if (sources.length === 0) return { ok: false, reason: 'None of the purchased records can be released: their patients were erased or withdrew their consent.', patients };
  try {
    const safeHarbor = await applySafeHarbor(sources, { profile: profile.profile, releaseDate, ...(profile.profile === 'longitudinal' && profile.maxShiftDays !== undefined ? { maxShiftDays: profile.maxShiftDays } : {}) });
    // Sources read by deidSourcesOf say what merged charts added; the report says it of the release.
    const folded = sources.flatMap((source) => ('merged' in source ? [source.merged] : []));
    const merged = folded.length === 0 ? undefined : folded.reduce((sum, m) => ({ charts: sum.charts + m.charts, records: sum.records + m.records }), { charts: 0, records: 0 });
    return { ok: true, release: await releaseDataset(safeHarbor, requirements, undefined, profile.dicomOptions ?? [], merged), patients };
  } catch (error) {
    if (error instanceof ReleaseRefusedError) return { ok: false, reason: error.message, patients };
    throw error;
  }
}

/** One DICOM instance of a purchased patient, as the views file it (nothing read yet). */
export interface ReleaseInstanceRef {
  /** The purchased patient it belongs to (a patient merged into it counts as them). */
  readonly patientId: string;
  readonly objectId: string;
  /** YYYY-MM-DD or ''. */
  readonly studyDate: string;
  readonly modality: string;
}

/**
 * The DICOM instances of these patients (and of the patients merged into them), by patient, study
 * and series, from the imaging views: only each study's date and each series' modality are
 * decrypted; the instances themselves are read one at a time as the package is written.
 */
export async function releaseInstancesOf(db: VaultDb, viewKey: CryptoKey, patientIds: readonly string[]): Promise<ReleaseInstanceRef[]> {
  const owner = new Map<string, string>(patientIds.map((id) => [id, id]));
  let frontier = [...owner.keys()];
  while (frontier.length > 0) {
    const merges = await db.merges.where('survivor').anyOf(frontier).toArray();
    frontier = [];
    for (const row of merges) {
      if (owner.has(row.merged)) continue;
      owner.set(row.merged, owner.get(row.survivor)!);
      frontier.push(row.merged);
    }
  }
  const rows: InstanceRowStored[] = owner.size === 0 ? [] : await db.instances.where('patientId').anyOf([...owner.keys()]).toArray();
  if (rows.length === 0) return [];
  const studyIds = [...new Set(rows.map((row) => row.studyId))];
  const seriesIds = [...new Set(rows.map((row) => row.seriesId))];
  const [studyRows, seriesRows] = await Promise.all([db.studies.bulkGet(studyIds), db.series.bulkGet(seriesIds)]);
  const presentStudies = studyRows.flatMap((row) => (row === undefined ? [] : [row]));
  const presentSeries = seriesRows.flatMap((row) => (row === undefined ? [] : [row]));
  const [studies, series] = await Promise.all([
    decryptMany<StudyPayload>(viewKey, presentStudies.map((row) => ({ table: 'studies', id: row.id, stored: row.enc }))),
    decryptMany<SeriesPayload>(viewKey, presentSeries.map((row) => ({ table: 'series', id: row.id, stored: row.enc }))),
  ]);
  const dateOf = new Map(presentStudies.map((row, i) => [row.id, studies[i]!.date]));
  const modalityOf = new Map(presentSeries.map((row, i) => [row.id, series[i]!.modality]));
  const order = new Map(patientIds.map((id, i) => [id, i]));
  return rows
    .map((row) => ({ row, patientId: owner.get(row.patientId)! }))
    .sort((a, b) => order.get(a.patientId)! - order.get(b.patientId)! || (a.row.studyId < b.row.studyId ? -1 : a.row.studyId > b.row.studyId ? 1 : 0) || (a.row.seriesId < b.row.seriesId ? -1 : a.row.seriesId > b.row.seriesId ? 1 : 0) || a.row.seq - b.row.seq)
    .map(({ row, patientId }) => ({ patientId, objectId: row.objectId, studyDate: dateOf.get(row.studyId) ?? '', modality: modalityOf.get(row.seriesId) ?? '' }));
}
