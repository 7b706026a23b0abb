import { IntakeMetaSchema } from '../../../../shared/journal/intake-meta';
import { INTAKE_RECORD_KINDS, MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { ErasureMetaSchema } from '../../../../shared/journal/mind-meta';
import { buildIntakeRows, patientOfRecordId, type IntakeRows } from '../intake-rows';
import { postingKey, postingsOf, recordsOfPatient, type DirectoryRow, type MergeRow, type PatientRowStored, type PostingRow, type RecordRowStored, type VaultDb } from '../vault-db';
import type { JournalProjector, ProjectorPage } from './journal-projector';

/**
 * Accepted intake (`intake.demo`, `intake.hl7`, … one kind per channel) → a patient row with its
 * blind tokens, its postings, a message row, and merge rows for a patient merge;
 * `erasure.patient` → that patient's rows are deleted (a second window catching up).
 *
 * Idempotent: ids are deterministic, rows are put (not added), a patient's tokens are the union of
 * what its messages contributed, and the latest copy of a record wins.
 */
export const patientProjector: JournalProjector = {
  name: 'patients',
  kinds: [...INTAKE_RECORD_KINDS, MIND_KINDS.erasure],
  tables: patientTablesWithMerges,
  startPage(context) {
    const page = new PatientPage();
    return {
      async decode(record, meta) {
        if (record.kind === MIND_KINDS.erasure) {
          const parsed = ErasureMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          return { apply: () => page.erase(parsed.data.patientId) };
        }
        const parsed = IntakeMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        const rows = await buildIntakeRows(context.keys, context.tokens, {
          seq: record.seq,
          kind: record.kind,
          objects: record.objects,
          intake: parsed.data.normalized,
          receivedAt: parsed.data.receivedAt ?? record.at,
        });
        return { apply: () => page.add(rows) };
      },
      write: (db, chunk) => page.write(db, chunk),
    };
  },
};

/** The rows of one write page, merged in journal order. */
export class PatientPage implements Pick<ProjectorPage, 'write'> {
  private readonly patients = new Map<string, PatientRowStored>();
  private readonly records = new Map<string, RecordRowStored>();
  private readonly merges = new Map<string, MergeRow>();
  private readonly directory = new Map<string, DirectoryRow>();
  private readonly erased = new Set<string>();

  add({ patient, message, merges, directory }: IntakeRows): void {
    this.directory.set(directory.id, directory);
    const previous = this.patients.get(patient.id);
    this.patients.set(patient.id, previous === undefined ? patient : { ...patient, tokens: mergeTokens(previous.tokens, patient.tokens) });
    this.records.set(message.id, message);
    for (const merge of merges ?? []) this.merges.set(merge.merged, merge);
  }

  /** Rows of this patient seen earlier in the page go; later ones (a new admission) stay. */
  erase(patientId: string): void {
    this.erased.add(patientId);
    this.patients.delete(patientId);
    for (const id of [...this.records.keys()]) if (patientOfRecordId(id) === patientId) this.records.delete(id);
    for (const [id, row] of [...this.directory]) if (row.patientId === patientId) this.directory.delete(id);
  }

  async write(db: VaultDb, chunk: number): Promise<void> {
    for (const patientId of this.erased) await deletePatientRows(db, patientId);
    const ids = [...this.patients.keys()];
    const existing = ids.length === 0 ? [] : await db.patients.bulkGet(ids);
    // Post only the tokens each patient did not have yet: every (token, patient) pair is posted once.
    const postings = new Map<string, string[]>();
    const patients = ids.map((id, index) => {
      const row = this.patients.get(id)!;
      const had = new Set(existing[index]?.tokens ?? []);
      for (const token of row.tokens) {
        if (had.has(token)) continue;
        const list = postings.get(token);
        if (list === undefined) postings.set(token, [id]);
        else list.push(id);
      }
      return had.size === 0 ? row : { ...row, tokens: mergeTokens([...had], row.tokens) };
    });
    if (patients.length > 0) await db.patients.bulkPut(patients);
    if (postings.size > 0) {
      const rows: PostingRow[] = [];
      const previous = await db.postings.bulkGet([...postings.keys()].map((token) => postingKey(token, chunk)));
      let index = 0;
      for (const [token, list] of postings) {
        // Same chunk again (a page replayed after a cursor reset): extend it, never overwrite it.
        const before = previous[index++]?.ids ?? [];
        rows.push({ id: postingKey(token, chunk), ids: before.length === 0 ? list : [...new Set([...before, ...list])] });
      }
      await db.postings.bulkPut(rows);
    }
    if (this.records.size > 0) await db.records.bulkPut([...this.records.values()]);
    if (this.merges.size > 0) await db.merges.bulkPut([...this.merges.values()]);
    if (this.directory.size > 0) await db.directory.bulkPut([...this.directory.values()]);
  }
}

function mergeTokens(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * Deletes every view row of one patient, its postings included. Call inside a rw transaction over
 * patientTables() (Dexie opens one for the caller otherwise, per statement).
 */
export async function deletePatientRows(db: VaultDb, patientId: string): Promise<void> {
  const patient = await db.patients.get(patientId);
  for (const token of patient?.tokens ?? []) {
    const chunks = await postingsOf(db, token).toArray();
    const changed = chunks.filter((chunk) => chunk.ids.includes(patientId));
    const kept = changed.map((chunk) => ({ id: chunk.id, ids: chunk.ids.filter((id) => id !== patientId) }));
    await db.postings.bulkDelete(kept.filter((chunk) => chunk.ids.length === 0).map((chunk) => chunk.id));
    await db.postings.bulkPut(kept.filter((chunk) => chunk.ids.length > 0));
  }
  await db.patients.delete(patientId);
  await recordsOfPatient(db, patientId).delete();
  await db.directory.where('patientId').equals(patientId).delete();
}

/** The erasing transaction's tables. */
export function patientTables(db: VaultDb) {
  return [db.patients, db.records, db.postings, db.directory];
}

function patientTablesWithMerges(db: VaultDb) {
  return [...patientTables(db), db.merges];
}
