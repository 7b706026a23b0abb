import type { PatientIdentifier } from '../../../shared/domain/clinical';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { isMindEventKind, MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { openJson } from '../../../shared/journal/sealed-json';
import { checkMindEvent, EventAuthWindow, type MindEventCheck } from '../mind-events';
import { operatorChangeAllowed, type RoleOfAccount } from '../operator-change-rule';
import { recordedOperator } from '../record-actor';
import type { SyncProgress } from '../vault-service';
import type { Opener } from '../vault-crypto';
import type { IntakeRows, RowKeys } from './intake-rows';
import { JOURNAL_READ_PART, readLimitAfter } from './journal-reads';
import type { JournalProjector, ProjectorPage, ProjectorStep } from './projectors/journal-projector';
import { PatientPage } from './projectors/patient-projector';
import { identifiersNamedBy, PatientFiling } from './patient-filing';
import { DEFAULT_PROJECTORS, type ProjectorRegistry } from './projectors/projector-registry';
import { mapInSlices, TaskSlicer } from './task-slices';
import type { TokenCache } from './token-cache';
import { CURSOR_KEY, IDENTITY_CONFLICTS_KEY, readCursor, type VaultDb } from './vault-db';

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
 * What each kind becomes is its projectors' business (projectors/, one per view, each owning its
 * tables; projector-registry.ts lists them; a kind may feed several): kinds no projector names are skipped (the
 * cursor moves past them). A record whose meta does not open or fails its schema is counted in
 * meta `problems` and skipped, never retried forever.
 *
 * The mind's own events must carry their authenticator (mind-events.ts): one without a valid one
 * is not projected but counted in meta `rejected`, except unauthenticated ones before the first
 * genuine `vault.eventAuth` marker (legacy; the marker's seq is kept in meta `eventAuthFrom`, in
 * the page's transaction, so a replay of any range decides as a rebuild does). So is an
 * `operator.changed` its actor's role may not make (operator-change-rule.ts: a clinician's session
 * journaling "the administrator was disabled"), though no view projects operator changes.
 */

/**
 * Journal reads per page (one write transaction): up to 8 × JOURNAL_READ_PART = 2,048 records, and
 * a page ends on a read-part boundary, so the next page's reads start on one. A token gets one
 * posting row per page that posts it, so larger pages write fewer rows (6,860 for 20,000 demo
 * records in pages of 512, 4,373 in pages of 2,048), and the index build ran about 19 % faster
 * (README, "Index build"). Pages of 2,048 once made tasks of 200 ms
 * and more while a user worked (IndexedDB clones a bulkPut's rows on the main thread in one task);
 * the rows are now put in parts of PUT_PART_ROWS (put-in-parts.ts).
 */
export const READS_PER_PAGE = 8;
/** Journal records per write page. */
export const RECORDS_PER_PAGE = READS_PER_PAGE * JOURNAL_READ_PART;
/**
 * Records decoded concurrently before the replay may yield to the event loop (task-slices.ts): a
 * page is decoded in slices of about SLICE_BUDGET_MS, so the UI stays responsive while thousands
 * of records are indexed. One at a time: Chromium's WebCrypto answers these small operations
 * within the calling task, so concurrency overlaps nothing there, and a slice can end after any
 * record (a group of four took up to 70 ms on a busy 2-core machine).
 */
export const DECODE_GROUP = 1;
export const PROBLEMS_KEY = 'problems';
/**
 * Mind records not applied for want of a valid authenticator (mind-events.ts). Like `problems`, a
 * count: a schema upgrade that sets the cursor back to 0 must delete it too (vault-db.ts).
 */
export const REJECTED_KEY = 'rejected';
/** The seq of the first genuine `vault.eventAuth` marker: the end of the legacy window. */
export const EVENT_AUTH_FROM_KEY = 'eventAuthFrom';

export interface ReplayContext {
  readonly api: Pick<HdmsApi, 'journal'>;
  readonly db: VaultDb;
  readonly keys: RowKeys & { readonly eventAuthKey: CryptoKey; readonly messageKeyPair?: { readonly privateKey: CryptoKey } };
  readonly opener: Opener;
  readonly tokens: TokenCache;
  /** False once the vault was locked (or the session replaced): the replay stops between pages. */
  readonly isCurrent: () => boolean;
  /** Slices the decoding of a page (tests inject one that counts its yields); a fresh TaskSlicer by default. */
  readonly slicer?: TaskSlicer;
  /** The view projectors (projector-registry.ts); every registered one by default. */
  readonly projectors?: ProjectorRegistry;
  /**
   * Stop after the page that ends this many milliseconds after the start (the result then says
   * done: false). While entries keep arriving, a replay reading "to the end" never ends; the
   * automatic replays take turns with the body this way (view-indexing.ts). None by default.
   */
  readonly budgetMs?: number;
  /**
   * The role the keyring gives an account (operator-change-rule.ts keyringRoles), for the operator
   * changes a session that is not an administrator's may journal. Without it no account holds a
   * role: every operator change that carries an actor is rejected.
   */
  readonly roleOf?: RoleOfAccount;
}

/** No account holds a role (a replay given no keyring). */
const NO_ROLES: RoleOfAccount = () => null;

export class ReplayAborted extends Error {
  constructor() {
    super('The vault was locked during the replay.');
    this.name = 'ReplayAborted';
  }
}

/**
 * A decoded record: its projector's step and, for a mind event, what its authenticator says and
 * whether its actor's role may not make it (`refused`: operator-change-rule.ts).
 */
interface Decoded {
  readonly record: JournalRecord;
  readonly step: ProjectorStep;
  readonly auth: MindEventCheck['status'] | null;
  readonly refused?: boolean;
}

/**
 * A record whose meta is opened (and its authenticator checked), not yet given to its projectors,
 * with the patient identifiers it names (patient-filing.ts identifiersNamedBy); or its step already.
 */
type Opened = Decoded | { readonly record: JournalRecord; readonly meta: unknown; readonly auth: MindEventCheck['status'] | null; readonly refused: boolean; readonly named: readonly PatientIdentifier[] };

/** One write page: each projector's part, created when the page first meets one of its kinds. */
class Page {
  private readonly parts = new Map<JournalProjector, ProjectorPage>();
  problems = 0;
  rejected = 0;
  /**
   * The legacy window's end as this page left it: taken when the page is assembled, since the
   * next page is decoded (and may meet the first marker) while this one is written.
   */
  markerSeq: number | null = null;

  constructor(
    private readonly context: ReplayContext,
    private readonly registry: ProjectorRegistry,
    private readonly window: EventAuthWindow,
    private readonly filing: PatientFiling,
  ) {}

  /**
   * Opens a record's sealed meta and computes the pseudonyms of the identifiers it names (memoized:
   * the HMACs run here, in the page's slices, not all at once in the page's read of the views).
   */
  async open(record: JournalRecord): Promise<Opened> {
    const projectors = this.registry.projectorsOf(record.kind);
    const isMarker = record.kind === MIND_KINDS.eventAuth;
    // No view shows operator changes, but one its actor may not make is counted as rejected.
    const isOperatorChange = record.kind === MIND_KINDS.operatorChanged;
    if ((projectors.length === 0 && !isMarker && !isOperatorChange) || record.meta === null) return { record, step: 'skip', auth: null };
    let meta: unknown;
    try {
      meta = await openJson(this.context.opener, record.meta);
    } catch {
      return { record, step: 'problem', auth: null };
    }
    let auth: MindEventCheck['status'] | null = null;
    let refused = false;
    if (isMindEventKind(record.kind)) {
      const check = await checkMindEvent(this.context.keys.eventAuthKey, record, meta);
      auth = check.status;
      meta = check.meta;
      const rule = { opener: this.context.opener, ledgerKey: this.context.keys.ledgerKey, roleOf: this.context.roleOf ?? NO_ROLES };
      refused = !(await operatorChangeAllowed(rule, record, meta));
    }
    // The projectors see who the body says made a mind event (its sealed actor), not the pseudonym
    // the client wrote; the authenticator above was checked on the record as written.
    const shown = record.actor === undefined ? record : { ...record, operator: await recordedOperator(this.context.opener, this.context.keys.ledgerKey, record) };
    const named = identifiersNamedBy(meta);
    await this.filing.pseudonymsOf(named);
    return { record: shown, meta, auth, refused, named };
  }

  /** Reads in one batch the chart filing's rows of the identifiers the opened records name (patient-filing.ts). */
  prefetch(opened: readonly Opened[]): Promise<void> {
    return this.filing.prefetch(opened.flatMap((item) => ('named' in item ? item.named : [])));
  }

  /** An opened record's step from its projectors (in journal order: the chart filing decides as it goes). */
  async decode(opened: Opened): Promise<Decoded> {
    if (!('named' in opened)) return opened;
    const { record, meta, auth, refused } = opened;
    const projectors = this.registry.projectorsOf(record.kind);
    const steps: ProjectorStep[] = [];
    for (const projector of projectors) {
      let part = this.parts.get(projector);
      if (part === undefined) {
        part = projector.startPage({ keys: this.context.keys, tokens: this.context.tokens, filing: this.filing });
        this.parts.set(projector, part);
      }
      steps.push(await part.decode(record, meta));
    }
    return { record, step: combineSteps(steps), auth, refused };
  }

  /** Applies the decoded steps in journal order (the legacy window needs that order too). */
  assemble(decoded: readonly Decoded[]): void {
    for (const { record, step, auth, refused } of decoded) {
      // admit() first: a marker moves the legacy window whatever else is said of the record.
      if (auth !== null && (!this.window.admit(record, auth) || refused === true)) this.rejected++;
      else if (step === 'problem') this.problems++;
      else if (step !== 'skip') step.apply();
    }
    this.markerSeq = this.window.markerSeq;
  }

  /** Writes the page once `ready` (the next page's reads of the views) has settled: see replayJournal. */
  async write(db: VaultDb, cursor: number, chunk: number, ready: Promise<void> = Promise.resolve()): Promise<void> {
    const counts = { problems: this.problems, rejected: this.rejected, eventAuthFrom: this.markerSeq };
    for (const part of this.parts.values()) await part.prepare?.(db);
    await ready;
    await writePage(db, this.registry, [...this.parts.values()], counts, cursor, chunk);
    this.filing.committed(cursor);
  }
}

/**
 * One record's steps from every projector of its kind, as one: a problem when any projector found
 * its meta unfit (counted once), else every `apply` in registry order, else a skip.
 */
export function combineSteps(steps: readonly ProjectorStep[]): ProjectorStep {
  if (steps.includes('problem')) return 'problem';
  const applies = steps.filter((step): step is Exclude<ProjectorStep, string> => typeof step !== 'string');
  if (applies.length === 0) return 'skip';
  if (applies.length === 1) return applies[0]!;
  return { apply: () => applies.forEach((step) => step.apply()) };
}

interface PageCounts {
  readonly problems: number;
  readonly rejected: number;
  readonly eventAuthFrom: number | null;
}

async function addTo(db: VaultDb, key: string, count: number): Promise<void> {
  if (count === 0) return;
  const row = await db.meta.get(key);
  await db.meta.put({ key, value: (typeof row?.value === 'number' ? row.value : 0) + count });
}

/** Every projector's rows of one page, the problem and rejection counts and the new cursor, in one transaction. */
async function writePage(db: VaultDb, registry: ProjectorRegistry, parts: readonly Pick<ProjectorPage, 'write'>[], counts: PageCounts, cursor: number, chunk: number): Promise<void> {
  const tables = new Set([db.meta, ...registry.projectors.flatMap((projector) => projector.tables(db))]);
  await db.transaction('rw', [...tables], async () => {
    for (const part of parts) await part.write(db, chunk);
    await addTo(db, PROBLEMS_KEY, counts.problems);
    await addTo(db, REJECTED_KEY, counts.rejected);
    if (counts.eventAuthFrom !== null) {
      const row = await db.meta.get(EVENT_AUTH_FROM_KEY);
      if (typeof row?.value !== 'number' || row.value > counts.eventAuthFrom) await db.meta.put({ key: EVENT_AUTH_FROM_KEY, value: counts.eventAuthFrom });
    }
    await db.meta.put({ key: CURSOR_KEY, value: cursor });
  });
}

/** The end of the legacy window as far as the views know it (null: no genuine marker yet). */
export async function readEventAuthFrom(db: VaultDb): Promise<number | null> {
  const row = await db.meta.get(EVENT_AUTH_FROM_KEY);
  return typeof row?.value === 'number' ? row.value : null;
}

/** The replay's problem, rejection and identity conflict counts so far (absent rows: none). */
export async function readReplayCounts(db: VaultDb): Promise<{ problems: number; rejected: number; identityConflicts: number }> {
  const [problems, rejected, conflicts] = await Promise.all([db.meta.get(PROBLEMS_KEY), db.meta.get(REJECTED_KEY), db.meta.get(IDENTITY_CONFLICTS_KEY)]);
  return {
    problems: typeof problems?.value === 'number' ? problems.value : 0,
    rejected: typeof rejected?.value === 'number' ? rejected.value : 0,
    identityConflicts: typeof conflicts?.value === 'number' ? conflicts.value : 0,
  };
}

/**
 * Writes the rows of already-built intakes as one page (the same transaction as a replay page):
 * for callers that hold decrypted intakes already, such as the index-build benchmark.
 */
export async function writeIntakeRows(db: VaultDb, rows: readonly IntakeRows[], cursor: number, viewKey: CryptoKey): Promise<void> {
  const chunk = rows[0]?.message.seq ?? cursor;
  const page = new PatientPage(viewKey);
  for (const item of rows) page.add(item);
  await page.prepare(db);
  return writePage(db, DEFAULT_PROJECTORS, [page], { problems: 0, rejected: 0, eventAuthFrom: null }, cursor, chunk);
}

/**
 * The records of one write page, read in READS_PER_PAGE parts (journal-reads.ts) and opened as they
 * arrive; then the views' rows the chart filing needs for all of them are read in one batch
 * (`onRead` is called once that read has settled), and only then are the records decoded by their
 * projectors, in journal order. The opened metas of a page (at most RECORDS_PER_PAGE) are held until then.
 */
async function readPage(context: ReplayContext, page: Page, cursor: number, slicer: TaskSlicer, onRead: () => void): Promise<{ count: number; first: number | null; next: number; end: boolean }> {
  let count = 0;
  let first: number | null = null;
  let next = cursor;
  let end = false;
  const opened: Opened[] = [];
  for (let reads = 0; reads < READS_PER_PAGE && !end; reads++) {
    if (!context.isCurrent()) throw new ReplayAborted();
    const part = await context.api.journal.read({ after: next, limit: readLimitAfter(next) });
    if (!context.isCurrent()) throw new ReplayAborted();
    opened.push(...(await mapInSlices(part.records, DECODE_GROUP, (record) => page.open(record), slicer)));
    first ??= part.records[0]?.seq ?? null;
    next = part.records.length === 0 ? Math.max(next, part.nextCursor) : Math.max(next, part.nextCursor, part.records.at(-1)!.seq);
    count += part.records.length;
    end = part.end || part.records.length === 0;
  }
  if (!context.isCurrent()) throw new ReplayAborted();
  try {
    await page.prefetch(opened);
  } finally {
    onRead();
  }
  page.assemble(await mapInSlices(opened, DECODE_GROUP, (item) => page.decode(item), slicer));
  if (!context.isCurrent()) throw new ReplayAborted();
  return { count, first, next, end };
}

/**
 * Runs `produce` for the next page while the previous page's `consume` (its write transaction) is
 * in flight: IndexedDB commits on its own thread, so decoding page i + 1 (reads, opening sealed
 * metadata, tokens, encryption) overlaps writing page i, and a build takes about the longer of the
 * two instead of their sum. Pages are consumed strictly in order, one at a time, and at most two
 * are held. A page's decoding reads one thing of the views: the chart filing's `aliases` rows
 * (patient-filing.ts), which the replay reads for the whole page in one batch before page i's
 * write transaction starts (replayJournal): a read-only transaction on a store a read-write one
 * covers waits for it, which would stall decoding for the whole write. What page i decided but
 * has not written is held by the filing, so what is decided does not depend on the overlap; other
 * reads of stored rows happen in `prepare`, at write time.
 * `produce` resolves null when there is nothing more. A failure of either side stops the loop and
 * is thrown once the other side has settled.
 */
export async function overlapPages<P>(produce: () => Promise<P | null>, consume: (page: P) => Promise<void>): Promise<void> {
  const start = (): Promise<P | null> => {
    const promise = produce();
    // Awaited after the write in flight; marked handled now so a lock mid-way is no "unhandled rejection".
    promise.catch(() => undefined);
    return promise;
  };
  let next = start();
  for (;;) {
    const page = await next;
    if (page === null) return;
    const writing = consume(page);
    next = start();
    try {
      await writing;
    } catch (error) {
      await next.catch(() => undefined);
      throw error;
    }
  }
}

/** Replays from the stored cursor to the end of the journal (pages overlapped: see overlapPages). */
export async function replayJournal(context: ReplayContext, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
  const slicer = context.slicer ?? new TaskSlicer();
  const registry = context.projectors ?? DEFAULT_PROJECTORS;
  let cursor = await readCursor(context.db);
  const window = new EventAuthWindow(await readEventAuthFrom(context.db));
  // One per replay: it holds what pages decoded ahead of their writes decided (patient-filing.ts).
  const filing = new PatientFiling(context.db, context.keys, context.tokens);
  let applied = 0;
  let readFrom = cursor;
  let ended = false;
  let done = true;
  const deadline = context.budgetMs === undefined ? Infinity : performance.now() + context.budgetMs;
  // A page's write waits until the next page has read the views' rows it needs (or ended): a read
  // after the write's transaction started would wait for that write (see overlapPages).
  let nextPageRead: (() => void) | undefined;
  await overlapPages(
    async () => {
      const onRead = nextPageRead ?? (() => undefined);
      nextPageRead = undefined;
      try {
        if (ended) return null;
        if (performance.now() > deadline) {
          done = false;
          return null;
        }
        const page = new Page(context, registry, window, filing);
        const read = await readPage(context, page, readFrom, slicer, onRead);
        readFrom = read.next;
        ended = read.end;
        return { page, read };
      } finally {
        onRead();
      }
    },
    async ({ page, read }) => {
      const ready = new Promise<void>((resolve) => {
        nextPageRead = resolve;
      });
      if (read.count > 0 || read.next !== cursor) await page.write(context.db, read.next, read.first ?? read.next, ready);
      applied += read.count;
      cursor = read.next;
      onProgress?.({ applied, cursor, done: read.end });
    },
  );
  // A page decoded past the deadline is still written (overlapPages consumes what it produced).
  return { applied, cursor, done: done || ended };
}
