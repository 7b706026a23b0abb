import type { HdmsApi } from '../../../shared/ipc/contract';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import type { SyncProgress } from '../vault-service';
import type { Opener } from '../vault-crypto';
import { INSTITUTION_KIND, INSTITUTION_META_KEY, institutionOf, ledgerRowOf, type InstitutionMeta, type LedgerRow } from '../../ledger/ledger-rows';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../../shared/ipc/ledger-contract';
import { buildIntakeRows, patientOfRecordId, type IntakeRows, type RowKeys } from './intake-rows';
import { AccessMetaSchema, ErasureMetaSchema, IntakeMetaSchema, MIND_KINDS, openJson } from './journal-payloads';
import type { TokenCache } from './token-cache';
import { CURSOR_KEY, postingKey, postingsOf, readCursor, recordsOfPatient, type PostingRow, type AccessRow, type PatientRowStored, type RecordRowStored, type VaultDb } from './vault-db';

/**
 * Journal → views (design §2). Reads the journal from the stored cursor in pages of 500; for each
 * page it first does every asynchronous crypto step (open the sealed meta with the intake private
 * key, validate it with the clinical schemas, compute blind tokens, encrypt the view fields), and
 * only then writes the page's rows AND the new cursor in one read-write transaction, so the
 * cursor never runs ahead of the data: a crash or a lock mid-way replays the page next time.
 *
 * Idempotent: ids are deterministic, rows are put (not added), a patient's tokens are the union of
 * what its messages contributed, and the latest copy of a record wins, so replaying any range
 * again, or everything from 0, gives the same decrypted views.
 *
 * Kinds: `intake.*` → a patient row and a message row; `view.access` → access rows;
 * `ledger.entry` → ledger rows (renderer/ledger/ledger-rows.ts); `settings.institution` → the
 * `institution` meta row;
 * `erasure.patient` → the patient's rows are deleted (a second window catching up); `erased`
 * tombstones and kinds the views do not use are skipped (the cursor moves past them). A record
 * whose meta does not open or fails the schema is counted in meta `problems` and skipped, never
 * retried forever.
 */

export const REPLAY_PAGE_SIZE = 500;
export const PROBLEMS_KEY = 'problems';

export interface ReplayContext {
  readonly api: Pick<HdmsApi, 'journal'>;
  readonly db: VaultDb;
  readonly keys: RowKeys;
  readonly opener: Opener;
  readonly tokens: TokenCache;
  /** False once the vault was locked (or the session replaced): the replay stops between pages. */
  readonly isCurrent: () => boolean;
}

export class ReplayAborted extends Error {
  constructor() {
    super('The vault was locked during the replay.');
    this.name = 'ReplayAborted';
  }
}

type Decoded =
  | { readonly type: 'intake'; readonly rows: IntakeRows }
  | { readonly type: 'access'; readonly row: AccessRow }
  | { readonly type: 'erasure'; readonly patientId: string }
  | { readonly type: 'ledger'; readonly row: LedgerRow }
  | { readonly type: 'institution'; readonly value: InstitutionMeta }
  | { readonly type: 'skip' }
  | { readonly type: 'problem' };

async function decode(context: ReplayContext, record: JournalRecord): Promise<Decoded> {
  if (record.kind === LEDGER_ENTRY_JOURNAL_KIND) {
    const row = await ledgerRowOf(context.opener, record);
    return row === null ? { type: 'problem' } : { type: 'ledger', row };
  }
  if (record.kind === INSTITUTION_KIND) {
    const value = await institutionOf(context.opener, record);
    return value === null ? { type: 'problem' } : { type: 'institution', value };
  }
  const isIntake = record.kind.startsWith('intake.');
  const isMind = record.kind === MIND_KINDS.access || record.kind === MIND_KINDS.erasure;
  if ((!isIntake && !isMind) || record.meta === null) return { type: 'skip' };
  let value: unknown;
  try {
    value = await openJson(context.opener, record.meta);
  } catch {
    return { type: 'problem' };
  }
  if (isIntake) {
    const parsed = IntakeMetaSchema.safeParse(value);
    if (!parsed.success) return { type: 'problem' };
    const rows = await buildIntakeRows(context.keys, context.tokens, {
      seq: record.seq,
      kind: record.kind,
      objects: record.objects,
      intake: parsed.data.normalized,
    });
    return { type: 'intake', rows };
  }
  if (record.kind === MIND_KINDS.access) {
    const parsed = AccessMetaSchema.safeParse(value);
    if (!parsed.success) return { type: 'problem' };
    const { patientId, recordId, at } = parsed.data;
    return { type: 'access', row: { seq: record.seq, operator: record.operator ?? '', patientId, recordId, at } };
  }
  const parsed = ErasureMetaSchema.safeParse(value);
  return parsed.success ? { type: 'erasure', patientId: parsed.data.patientId } : { type: 'problem' };
}

/** The rows of one page, merged in journal order. */
interface Batch {
  readonly patients: Map<string, PatientRowStored>;
  readonly records: Map<string, RecordRowStored>;
  readonly access: AccessRow[];
  readonly erased: Set<string>;
  readonly ledger: LedgerRow[];
  institution: InstitutionMeta | null;
  problems: number;
}

function mergeTokens(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function assemble(decoded: readonly Decoded[]): Batch {
  const batch: Batch = { patients: new Map(), records: new Map(), access: [], erased: new Set(), ledger: [], institution: null, problems: 0 };
  for (const item of decoded) {
    switch (item.type) {
      case 'intake': {
        const { patient, message } = item.rows;
        const previous = batch.patients.get(patient.id);
        batch.patients.set(patient.id, previous === undefined ? patient : { ...patient, tokens: mergeTokens(previous.tokens, patient.tokens) });
        batch.records.set(message.id, message);
        break;
      }
      case 'access':
        batch.access.push(item.row);
        break;
      case 'erasure': {
        // Rows of this patient seen earlier in the page go; later ones (a new admission) stay.
        batch.erased.add(item.patientId);
        batch.patients.delete(item.patientId);
        for (const id of [...batch.records.keys()]) if (patientOfRecordId(id) === item.patientId) batch.records.delete(id);
        break;
      }
      case 'ledger':
        batch.ledger.push(item.row);
        break;
      case 'institution':
        batch.institution = item.value;
        break;
      case 'problem':
        batch.problems++;
        break;
      case 'skip':
        break;
      default: {
        const unreachable: never = item;
        throw new Error(`Unhandled replay item ${String(unreachable)}`);
      }
    }
  }
  return batch;
}

/**
 * Deletes every view row of one patient, its postings included. Call inside a rw transaction over
 * patients, records and postings (Dexie opens one for the caller otherwise, per statement).
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
}

/** The erasing transaction's tables. */
export function patientTables(db: VaultDb) {
  return [db.patients, db.records, db.postings];
}

async function writeBatch(db: VaultDb, batch: Batch, cursor: number, chunk: number): Promise<void> {
  await db.transaction('rw', [db.meta, db.patients, db.records, db.postings, db.access, db.ledger], async () => {
    for (const patientId of batch.erased) await deletePatientRows(db, patientId);
    const ids = [...batch.patients.keys()];
    const existing = ids.length === 0 ? [] : await db.patients.bulkGet(ids);
    // Post only the tokens each patient did not have yet: every (token, patient) pair is posted once.
    const postings = new Map<string, string[]>();
    const patients = ids.map((id, index) => {
      const row = batch.patients.get(id)!;
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
    if (batch.records.size > 0) await db.records.bulkPut([...batch.records.values()]);
    if (batch.access.length > 0) await db.access.bulkPut(batch.access);
    if (batch.ledger.length > 0) await db.ledger.bulkPut(batch.ledger);
    if (batch.institution !== null) await db.meta.put({ key: INSTITUTION_META_KEY, value: batch.institution });
    if (batch.problems > 0) {
      const row = await db.meta.get(PROBLEMS_KEY);
      const count = typeof row?.value === 'number' ? row.value : 0;
      await db.meta.put({ key: PROBLEMS_KEY, value: count + batch.problems });
    }
    await db.meta.put({ key: CURSOR_KEY, value: cursor });
  });
}

/**
 * Writes the rows of already-built intakes as one page (the same transaction as a replay page):
 * for callers that hold decrypted intakes already, such as the index-build benchmark.
 */
export function writeIntakeRows(db: VaultDb, rows: readonly IntakeRows[], cursor: number): Promise<void> {
  const chunk = rows[0]?.message.seq ?? cursor;
  return writeBatch(db, assemble(rows.map((item) => ({ type: 'intake', rows: item }) as const)), cursor, chunk);
}

/** Replays from the stored cursor to the end of the journal. */
export async function replayJournal(context: ReplayContext, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
  let cursor = await readCursor(context.db);
  let applied = 0;
  for (;;) {
    if (!context.isCurrent()) throw new ReplayAborted();
    const page = await context.api.journal.read({ after: cursor, limit: REPLAY_PAGE_SIZE });
    if (!context.isCurrent()) throw new ReplayAborted();
    const decoded = await Promise.all(page.records.map((record) => decode(context, record)));
    if (!context.isCurrent()) throw new ReplayAborted();
    const next = page.records.length === 0 ? Math.max(cursor, page.nextCursor) : Math.max(cursor, page.nextCursor, page.records.at(-1)!.seq);
    if (page.records.length > 0 || next !== cursor) await writeBatch(context.db, assemble(decoded), next, page.records[0]?.seq ?? next);
    applied += page.records.length;
    cursor = next;
    const done = page.end || page.records.length === 0;
    onProgress?.({ applied, cursor, done });
    if (done) return { applied, cursor, done: true };
  }
}
