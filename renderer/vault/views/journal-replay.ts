import type { HdmsApi } from '../../../shared/ipc/contract';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import type { SyncProgress } from '../vault-service';
import type { Opener } from '../vault-crypto';
import { INSTITUTION_KIND, INSTITUTION_META_KEY, institutionOf, ledgerRowOf, type InstitutionMeta, type LedgerRow } from '../../ledger/ledger-rows';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../../shared/ipc/ledger-contract';
import { buildIntakeRows, patientOfRecordId, type IntakeRows, type RowKeys } from './intake-rows';
import {
  AccessMetaSchema,
  ErasureMetaSchema,
  INTAKE_RECORD_KINDS,
  IntakeMetaSchema,
  MIND_KINDS,
  openJson,
  QUARANTINE_KINDS,
  QuarantineMetaSchema,
  QuarantineResolutionMetaSchema,
} from './journal-payloads';
import { readLimitAfter } from './journal-reads';
import { mapInSlices, TaskSlicer } from './task-slices';
import type { TokenCache } from './token-cache';
import { encryptMany } from '../vault-crypto';
import {
  CURSOR_KEY,
  postingKey,
  postingsOf,
  readCursor,
  recordsOfPatient,
  type AccessRow,
  type MergeRow,
  type PatientRowStored,
  type PostingRow,
  type QuarantineRowStored,
  type RecordRowStored,
  type VaultDb,
} from './vault-db';

/**
 * Journal → views (design §2). Reads the journal from the stored cursor in pages of up to 512
 * records (two reads of up to 256, journal-reads.ts); for each page it first does every
 * asynchronous crypto step (open the sealed meta with the intake private key, validate it with the
 * clinical schemas, compute blind tokens, encrypt the view fields), and only then writes the
 * page's rows AND the new cursor in one read-write transaction, so the cursor never runs ahead of
 * the data: a crash or a lock mid-way replays the page next time. The crypto steps run in slices
 * (task-slices.ts: yielding to the event loop once a slice has run SLICE_BUDGET_MS), so the UI
 * stays responsive while a large intake is indexed.
 *
 * Idempotent: ids are deterministic, rows are put (not added), a patient's tokens are the union of
 * what its messages contributed, and the latest copy of a record wins, so replaying any range
 * again, or everything from 0, gives the same decrypted views.
 *
 * Kinds: accepted intake (`intake.demo`, `intake.hl7`, … INTAKE_RECORD_KINDS) → a patient row and
 * a message row, plus merge rows for a patient merge; `intake.quarantine` → a quarantine row
 * (its details encrypted), `intake.reprocessed` / `intake.discarded` → that row marked resolved;
 * other `intake.*` kinds are skipped (a newer body's channels); `view.access` → access rows;
 * `ledger.entry` → ledger rows (renderer/ledger/ledger-rows.ts); `settings.institution` → the
 * `institution` meta row;
 * `erasure.patient` → the patient's rows are deleted (a second window catching up); `erased`
 * tombstones and kinds the views do not use are skipped (the cursor moves past them). A record
 * whose meta does not open or fails the schema is counted in meta `problems` and skipped, never
 * retried forever.
 */

/**
 * Journal reads per page (one write transaction): up to 2 × JOURNAL_READ_PART = 512 records, and
 * a page ends on a read-part boundary, so the next page's reads start on one.
 */
export const READS_PER_PAGE = 2;
/**
 * Records decoded concurrently before the replay may yield to the event loop (task-slices.ts): a
 * page is decoded in slices of about SLICE_BUDGET_MS, so the UI stays responsive while thousands
 * of records are indexed. One at a time: Chromium's WebCrypto answers these small operations
 * within the calling task, so concurrency overlaps nothing there, and a slice can end after any
 * record (a group of four took up to 70 ms on a busy 2-core machine).
 */
export const DECODE_GROUP = 1;
export const PROBLEMS_KEY = 'problems';

export interface ReplayContext {
  readonly api: Pick<HdmsApi, 'journal'>;
  readonly db: VaultDb;
  readonly keys: RowKeys;
  readonly opener: Opener;
  readonly tokens: TokenCache;
  /** False once the vault was locked (or the session replaced): the replay stops between pages. */
  readonly isCurrent: () => boolean;
  /** Slices the decoding of a page (tests inject one that counts its yields); a fresh TaskSlicer by default. */
  readonly slicer?: TaskSlicer;
}

export class ReplayAborted extends Error {
  constructor() {
    super('The vault was locked during the replay.');
    this.name = 'ReplayAborted';
  }
}

interface Resolution {
  readonly quarantineSeq: number;
  readonly status: 'reprocessed' | 'discarded';
  readonly seq: number;
  readonly at: string;
}

type Decoded =
  | { readonly type: 'intake'; readonly rows: IntakeRows }
  | { readonly type: 'quarantine'; readonly row: QuarantineRowStored }
  | { readonly type: 'resolution'; readonly resolution: Resolution }
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
  const isIntake = INTAKE_RECORD_KINDS.has(record.kind);
  const isQuarantine = record.kind === QUARANTINE_KINDS.quarantined;
  const isResolution = record.kind === QUARANTINE_KINDS.reprocessed || record.kind === QUARANTINE_KINDS.discarded;
  const isMind = record.kind === MIND_KINDS.access || record.kind === MIND_KINDS.erasure;
  if ((!isIntake && !isQuarantine && !isResolution && !isMind) || record.meta === null) return { type: 'skip' };
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
      receivedAt: parsed.data.receivedAt ?? record.at,
    });
    return { type: 'intake', rows };
  }
  if (isQuarantine) {
    const parsed = QuarantineMetaSchema.safeParse(value);
    if (!parsed.success) return { type: 'problem' };
    return { type: 'quarantine', row: await quarantineRowOf(context, record, parsed.data) };
  }
  if (isResolution) {
    const parsed = QuarantineResolutionMetaSchema.safeParse(value);
    if (!parsed.success) return { type: 'problem' };
    // A reprocess that did not store every message leaves the entry open (to fix again or discard).
    if (parsed.data.resolved === false) return { type: 'skip' };
    const status = record.kind === QUARANTINE_KINDS.reprocessed ? 'reprocessed' : 'discarded';
    return { type: 'resolution', resolution: { quarantineSeq: parsed.data.quarantineSeq, status, seq: record.seq, at: record.at } };
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

async function quarantineRowOf(
  context: ReplayContext,
  record: JournalRecord,
  meta: { readonly channel?: string | undefined; readonly receivedAt?: string | undefined; readonly objectId?: string | null | undefined; readonly rawBytes?: number | undefined; readonly quarantine: unknown },
): Promise<QuarantineRowStored> {
  const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'quarantine', id: String(record.seq), value: meta.quarantine }]);
  return {
    seq: record.seq,
    at: meta.receivedAt ?? record.at,
    channel: meta.channel ?? '',
    objectId: meta.objectId ?? record.objects[0] ?? null,
    rawBytes: meta.rawBytes ?? null,
    status: 'open',
    enc: enc!,
  };
}

/** The rows of one page, merged in journal order. */
interface Batch {
  readonly patients: Map<string, PatientRowStored>;
  readonly records: Map<string, RecordRowStored>;
  readonly merges: Map<string, MergeRow>;
  readonly quarantine: Map<number, QuarantineRowStored>;
  /** Resolutions of quarantine rows written by earlier pages. */
  readonly resolutions: Resolution[];
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
  const batch: Batch = {
    patients: new Map(),
    records: new Map(),
    merges: new Map(),
    quarantine: new Map(),
    resolutions: [],
    access: [],
    erased: new Set(),
    ledger: [],
    institution: null,
    problems: 0,
  };
  for (const item of decoded) {
    switch (item.type) {
      case 'intake': {
        const { patient, message, merges } = item.rows;
        const previous = batch.patients.get(patient.id);
        batch.patients.set(patient.id, previous === undefined ? patient : { ...patient, tokens: mergeTokens(previous.tokens, patient.tokens) });
        batch.records.set(message.id, message);
        for (const merge of merges ?? []) batch.merges.set(merge.merged, merge);
        break;
      }
      case 'quarantine':
        batch.quarantine.set(item.row.seq, item.row);
        break;
      case 'resolution': {
        const { quarantineSeq, status, seq, at } = item.resolution;
        const row = batch.quarantine.get(quarantineSeq);
        if (row === undefined) batch.resolutions.push(item.resolution);
        else batch.quarantine.set(quarantineSeq, { ...row, status, resolvedSeq: seq, resolvedAt: at });
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
  await db.transaction('rw', [db.meta, db.patients, db.records, db.postings, db.access, db.ledger, db.merges, db.quarantine], async () => {
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
    if (batch.merges.size > 0) await db.merges.bulkPut([...batch.merges.values()]);
    if (batch.quarantine.size > 0) await db.quarantine.bulkPut([...batch.quarantine.values()]);
    for (const { quarantineSeq, status, seq, at } of batch.resolutions) {
      await db.quarantine.update(quarantineSeq, { status, resolvedSeq: seq, resolvedAt: at });
    }
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

/** The records of one write page, read in READS_PER_PAGE parts (journal-reads.ts) and decoded as they arrive. */
async function readPage(context: ReplayContext, cursor: number, slicer: TaskSlicer): Promise<{ decoded: Decoded[]; count: number; first: number | null; next: number; end: boolean }> {
  const decoded: Decoded[] = [];
  let count = 0;
  let first: number | null = null;
  let next = cursor;
  let end = false;
  for (let reads = 0; reads < READS_PER_PAGE && !end; reads++) {
    if (!context.isCurrent()) throw new ReplayAborted();
    const part = await context.api.journal.read({ after: next, limit: readLimitAfter(next) });
    if (!context.isCurrent()) throw new ReplayAborted();
    decoded.push(...(await mapInSlices(part.records, DECODE_GROUP, (record) => decode(context, record), slicer)));
    if (!context.isCurrent()) throw new ReplayAborted();
    first ??= part.records[0]?.seq ?? null;
    next = part.records.length === 0 ? Math.max(next, part.nextCursor) : Math.max(next, part.nextCursor, part.records.at(-1)!.seq);
    count += part.records.length;
    end = part.end || part.records.length === 0;
  }
  return { decoded, count, first, next, end };
}

/** Replays from the stored cursor to the end of the journal. */
export async function replayJournal(context: ReplayContext, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
  const slicer = context.slicer ?? new TaskSlicer();
  let cursor = await readCursor(context.db);
  let applied = 0;
  for (;;) {
    const page = await readPage(context, cursor, slicer);
    if (page.count > 0 || page.next !== cursor) await writeBatch(context.db, assemble(page.decoded), page.next, page.first ?? page.next);
    applied += page.count;
    cursor = page.next;
    onProgress?.({ applied, cursor, done: page.end });
    if (page.end) return { applied, cursor, done: true };
  }
}
