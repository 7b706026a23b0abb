import type { CohortMember, DataType } from '../../shared/research/cohort-answer';
import { ageOn } from '../../shared/research/cohort-answer';
import type { KeywordQuery } from '../../shared/research/keyword-query';
import { decryptMany } from '../vault/vault-crypto';
import { studiesOfPatients } from '../vault/views/imaging-reads';
import { recordTime, type MessagePayload, type PatientPayload } from '../vault/views/intake-rows';
import { searchPatientIds } from '../vault/views/keyword-search';
import { mergedInto, resolveSearchIds } from '../vault/views/view-reads';
import { recordsOfPatient, type VaultDb } from '../vault/views/vault-db';

/**
 * A keyword query evaluated on a clinic's own views (issue 14 item 3), in the mind of an unlocked
 * clinic node: each term through the blind index (every term must match), then consent (only the
 * patients `allowed` returns for the query's purpose), then the filters on the decrypted patient
 * and records. The result is the cohort (the clinic's own pseudonyms: they never leave the node)
 * and, per member, only what generalization needs (shared/research/cohort-answer.ts). It counts
 * people: a chart merged into another (HL7 ADT^A40…) keeps its row and search words in the views,
 * but it is its survivor's person, matched through either chart and read with both.
 */
export interface CohortEvaluation {
  /** The matching patients' view ids, sorted. */
  readonly cohort: readonly string[];
  readonly members: readonly CohortMember[];
}

export interface EvaluationKeys {
  readonly indexKey: CryptoKey;
  readonly viewKey: CryptoKey;
}

/** Patients whose records are read at once. */
const PARALLEL = 32;

const IMAGING_TYPES: Readonly<Record<string, DataType>> = { CT: 'imaging CT', MR: 'imaging MR', US: 'imaging US', CR: 'imaging CR/DX', DX: 'imaging CR/DX', OP: 'imaging OP', OPT: 'imaging OP' };

/** The patient's data types and the years its dated records span, from its decrypted messages and studies. */
function facetsOf(messages: readonly MessagePayload[], modalities: readonly string[], studyYears: readonly number[]): { dataTypes: Set<DataType>; years: number[] } {
  const dataTypes = new Set<DataType>();
  const years: number[] = [...studyYears];
  for (const message of messages) {
    for (const record of [...message.records, ...(message.extended ?? [])]) {
      if (record.type === 'observation') dataTypes.add(record.category === 'laboratory' ? 'labs' : record.category === 'vital-signs' ? 'vitals' : 'device readings');
      if (record.type === 'report') dataTypes.add('reports');
      const time = recordTime(record, message.receivedAt ?? '');
      const year = Number(time.slice(0, 4));
      if (Number.isInteger(year) && year > 1900) years.push(year);
    }
  }
  for (const modality of modalities) dataTypes.add(IMAGING_TYPES[modality] ?? 'imaging other');
  return { dataTypes, years };
}

function inDateRange(messages: readonly MessagePayload[], from: string | undefined, to: string | undefined): boolean {
  if (from === undefined && to === undefined) return true;
  for (const message of messages) {
    for (const record of [...message.records, ...(message.extended ?? [])]) {
      const day = recordTime(record, message.receivedAt ?? '').slice(0, 10);
      if (day === '') continue;
      if ((from === undefined || day >= from) && (to === undefined || day <= to)) return true;
    }
  }
  return false;
}

export async function evaluateQuery(
  db: VaultDb,
  keys: EvaluationKeys,
  query: Pick<KeywordQuery, 'terms' | 'filters' | 'purpose'>,
  allowed: (patientIds: readonly string[]) => Promise<ReadonlySet<string>>,
  today: string,
): Promise<CohortEvaluation> {
  // Every term must match: the intersection of each term's patients (a term's own words must all match too).
  // Terms are procedure words too (README "Research data search") and imaging is data a clinic
  // delivers: a study's description ("MR Knie") counts its patient, as in the Patients search.
  let matching: Set<string> | null = null;
  for (const term of query.terms) {
    const ids: string[] = await resolveSearchIds(db, await searchPatientIds(db, keys.indexKey, term, 'chart-and-studies'), false);
    matching = matching === null ? new Set(ids) : new Set(ids.filter((id) => matching!.has(id)));
    if (matching.size === 0) break;
  }
  const candidates = [...(matching ?? [])];
  const consenting = await allowed(candidates);
  const ids = candidates.filter((id) => consenting.has(id)).sort();
  const rows = await db.patients.bulkGet(ids);
  const present = rows.flatMap((row) => (row === undefined ? [] : [row]));
  const patients = await decryptMany<PatientPayload>(
    keys.viewKey,
    present.map((row) => ({ table: 'patients', id: row.id, stored: row.enc })),
  );
  const { filters } = query;
  // Age and sex first, from the patient rows alone.
  const kept = present.flatMap((row, index) => {
    const { patient } = patients[index]!;
    const age = ageOn(patient.birthDate, today);
    if ((filters.ageFrom !== undefined || filters.ageTo !== undefined) && age === null) return [];
    if (filters.ageFrom !== undefined && age! < filters.ageFrom) return [];
    if (filters.ageTo !== undefined && age! > filters.ageTo) return [];
    if (filters.sex !== undefined && patient.sex !== filters.sex) return [];
    return [{ row, patient }];
  });
  // Then their studies in one read, and each patient's records, PARALLEL reads at a time (IndexedDB
  // serves overlapping requests faster than one after another); results keep the patients' order.
  const facets = new Array<{ readonly inRange: boolean; readonly dataTypes: Set<DataType>; readonly years: number[] }>(kept.length);
  const studiesOf = await studiesOfPatients(
    db,
    keys.viewKey,
    kept.map(({ row }) => row.id),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < kept.length; i = next++) {
      const { row } = kept[i]!;
      const charts = [row.id, ...(await mergedInto(db, row.id))];
      const messageRows = (await Promise.all(charts.map((id) => recordsOfPatient(db, id).toArray()))).flat();
      const studies = studiesOf.get(row.id) ?? [];
      const messages = await decryptMany<MessagePayload>(
        keys.viewKey,
        messageRows.map((message) => ({ table: 'records', id: message.id, stored: message.enc })),
      );
      const studyYears = studies.flatMap((study) => {
        const year = Number(study.study.date.slice(0, 4));
        return Number.isInteger(year) && year > 1900 ? [year] : [];
      });
      facets[i] = {
        inRange: inDateRange(messages, filters.from, filters.to),
        ...facetsOf(
          messages,
          studies.flatMap((study) => study.modalities),
          studyYears,
        ),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, kept.length) }, worker));
  const cohort: string[] = [];
  const members: CohortMember[] = [];
  kept.forEach(({ row, patient }, i) => {
    const { inRange, dataTypes, years } = facets[i]!;
    if (!inRange) return;
    if (filters.dataTypes !== undefined && !filters.dataTypes.every((type) => dataTypes.has(type))) return;
    cohort.push(row.id);
    members.push({
      ...(patient.birthDate !== undefined ? { birthDate: patient.birthDate } : {}),
      ...(patient.sex !== undefined ? { sex: patient.sex } : {}),
      dataTypes,
      years: years.length === 0 ? null : { first: Math.min(...years), last: Math.max(...years) },
    });
  });
  return { cohort, members };
}
