import type { HdmsApi } from '../../../shared/ipc/contract';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { openJson } from '../../../shared/journal/sealed-json';
import type { SyncProgress } from '../vault-service';
import type { Opener } from '../vault-crypto';
import type { IntakeRows, RowKeys } from './intake-rows';
import { readLimitAfter } from './journal-reads';
import type { JournalProjector, ProjectorPage, ProjectorStep } from './projectors/journal-projector';
import { PatientPage } from './projectors/patient-projector';
import { DEFAULT_PROJECTORS, type ProjectorRegistry } from './projectors/projector-registry';
import { mapInSlices, TaskSlicer } from './task-slices';
import type { TokenCache } from './token-cache';
import { CURSOR_KEY, readCursor, type VaultDb } from './vault-db';

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
 * What each kind becomes is its projector's business (projectors/, one per group of kinds, each
 * owning its tables; projector-registry.ts lists them): kinds no projector names are skipped (the
 * cursor moves past them). A record whose meta does not open or fails its schema is counted in
 * meta `problems` and skipped, never retried forever.
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
  /** The view projectors (projector-registry.ts); every registered one by default. */
  readonly projectors?: ProjectorRegistry;
}

export class ReplayAborted extends Error {
  constructor() {
    super('The vault was locked during the replay.');
    this.name = 'ReplayAborted';
  }
}

/** One write page: each projector's part, created when the page first meets one of its kinds. */
class Page {
  private readonly parts = new Map<JournalProjector, ProjectorPage>();
  problems = 0;

  constructor(
    private readonly context: ReplayContext,
    private readonly registry: ProjectorRegistry,
  ) {}

  async decode(record: JournalRecord): Promise<ProjectorStep> {
    const projector = this.registry.projectorOf(record.kind);
    if (projector === undefined || record.meta === null) return 'skip';
    let meta: unknown;
    try {
      meta = await openJson(this.context.opener, record.meta);
    } catch {
      return 'problem';
    }
    let part = this.parts.get(projector);
    if (part === undefined) {
      part = projector.startPage({ keys: this.context.keys, tokens: this.context.tokens });
      this.parts.set(projector, part);
    }
    return part.decode(record, meta);
  }

  /** Applies the decoded steps in journal order. */
  assemble(steps: readonly ProjectorStep[]): void {
    for (const step of steps) {
      if (step === 'problem') this.problems++;
      else if (step !== 'skip') step.apply();
    }
  }

  async write(db: VaultDb, cursor: number, chunk: number): Promise<void> {
    await writePage(db, this.registry, [...this.parts.values()], this.problems, cursor, chunk);
  }
}

/** Every projector's rows of one page, the problem count and the new cursor, in one transaction. */
async function writePage(db: VaultDb, registry: ProjectorRegistry, parts: readonly Pick<ProjectorPage, 'write'>[], problems: number, cursor: number, chunk: number): Promise<void> {
  const tables = new Set([db.meta, ...registry.projectors.flatMap((projector) => projector.tables(db))]);
  await db.transaction('rw', [...tables], async () => {
    for (const part of parts) await part.write(db, chunk);
    if (problems > 0) {
      const row = await db.meta.get(PROBLEMS_KEY);
      const count = typeof row?.value === 'number' ? row.value : 0;
      await db.meta.put({ key: PROBLEMS_KEY, value: count + problems });
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
  const page = new PatientPage();
  for (const item of rows) page.add(item);
  return writePage(db, DEFAULT_PROJECTORS, [page], 0, cursor, chunk);
}

/** The records of one write page, read in READS_PER_PAGE parts (journal-reads.ts) and decoded as they arrive. */
async function readPage(context: ReplayContext, page: Page, cursor: number, slicer: TaskSlicer): Promise<{ count: number; first: number | null; next: number; end: boolean }> {
  let count = 0;
  let first: number | null = null;
  let next = cursor;
  let end = false;
  for (let reads = 0; reads < READS_PER_PAGE && !end; reads++) {
    if (!context.isCurrent()) throw new ReplayAborted();
    const part = await context.api.journal.read({ after: next, limit: readLimitAfter(next) });
    if (!context.isCurrent()) throw new ReplayAborted();
    page.assemble(await mapInSlices(part.records, DECODE_GROUP, (record) => page.decode(record), slicer));
    if (!context.isCurrent()) throw new ReplayAborted();
    first ??= part.records[0]?.seq ?? null;
    next = part.records.length === 0 ? Math.max(next, part.nextCursor) : Math.max(next, part.nextCursor, part.records.at(-1)!.seq);
    count += part.records.length;
    end = part.end || part.records.length === 0;
  }
  return { count, first, next, end };
}

/** Replays from the stored cursor to the end of the journal. */
export async function replayJournal(context: ReplayContext, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
  const slicer = context.slicer ?? new TaskSlicer();
  const registry = context.projectors ?? DEFAULT_PROJECTORS;
  let cursor = await readCursor(context.db);
  let applied = 0;
  for (;;) {
    const page = new Page(context, registry);
    const read = await readPage(context, page, cursor, slicer);
    if (read.count > 0 || read.next !== cursor) await page.write(context.db, read.next, read.first ?? read.next);
    applied += read.count;
    cursor = read.next;
    onProgress?.({ applied, cursor, done: read.end });
    if (read.end) return { applied, cursor, done: true };
  }
}
