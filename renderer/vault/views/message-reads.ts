import type { Collection } from 'dexie';
import { decryptMany } from '../vault-crypto';
import { searchPatientIds } from './keyword-search';
import { controlQueryToken, MESSAGE_COUNT_KEY, messageCipherId, messageToken, normalizeControlId, normalizeMessageType, type MessageLogPayload, type MessageRowStored, type MessageStatus } from './message-log';
import { VaultError, type RecordRow } from '../vault-service';
import { messageRowId, recordIdOf } from './intake-rows';
import { mergedInto, recordRow, resolveSearchIds } from './view-reads';
import type { VaultDb } from './vault-db';

/**
 * The message browser's search (issue 11): every HL7 message the node stored or quarantined,
 * newest first, filtered by any of control id, sender, message type, status, date range and
 * patient, a page at a time (keyset paging on the journal seq: `before`).
 *
 * Plan: one index drives the scan, in seq order from the newest, and the other filters are
 * checked on the rows it yields, until a page is full. The driver is the most selective index
 * the query names: the control id (its start, in any case: one prefix token, F10), then the patient (their messages),
 * then a status other than "accepted" (rare by nature), sender with type (their own compound
 * index: a rare pair among common senders and types would otherwise mean scanning one of them),
 * the message type, the sender, and last the primary key. A date range becomes a seq range
 * through the `at` index (the journal time grows with seq), and is checked on every row as well.
 *
 * Totals: the whole table's is kept in meta (MESSAGE_COUNT_KEY); a filtered one is counted up to
 * TOTAL_CAP keys of the driving index (keys only), past which the page says "more than". Counting
 * a million keys took ~60 ms a query in Chromium; a thousand, a few. A date range, alone or with
 * the driver's filter, is counted the same way over rows (at most TOTAL_CAP + 1 read and checked:
 * the range bounds the scan by seq). Other filters checked row by row are not counted (a rare
 * combination could mean reading every row): the page says "more match".
 */

export interface MessageQuery {
  /** A control id's start, in any case (F10; under 3 characters the whole id). */
  readonly controlId?: string;
  /** The control id exactly as received instead (a conflict's page: the other messages with its id). */
  readonly controlIdExact?: boolean;
  /** Exact sender, MSH-3|MSH-4 as the monitor shows it. */
  readonly sender?: string;
  /** Message types (`ORU^R01`), any of them; `ORU` alone means every ORU type seen (`types` of the facets). */
  readonly types?: readonly string[];
  readonly status?: MessageStatus;
  /** ISO instants: at ≥ from and at < to. */
  readonly from?: string;
  readonly to?: string;
  /** A patient identifier (or name) looked up in the blind index. */
  readonly patient?: string;
  /** Keyset: only messages with a seq below this one (the last seq of the previous page). */
  readonly before?: number;
  /** Page size (default 50, at most 500). */
  readonly limit?: number;
}

export interface MessageSummary extends MessageLogPayload {
  readonly seq: number;
  readonly at: string;
  readonly status: MessageStatus;
  /** The patient's view id ('' when the message named none or was not stored). */
  readonly patientId: string;
}

export interface MessagePage {
  readonly messages: readonly MessageSummary[];
  /** More messages match after this page (ask again with `before` = the last seq). */
  readonly more: boolean;
  /**
   * How many messages match in all, when the driving index alone answers the query (no other
   * filter to check row by row): counted on the first page only; null otherwise. With
   * `totalCapped`, at least this many (the count stopped at TOTAL_CAP).
   */
  readonly total: number | null;
  readonly totalCapped?: boolean;
  readonly tookMs: number;
}

export const MESSAGE_PAGE_SIZE = 50;
/** A filtered total is counted up to this many matches. */
export const TOTAL_CAP = 1_000;
const MAX_PAGE = 500;

type Check = (row: MessageRowStored) => boolean;

interface Plan {
  readonly lo: number;
  readonly hi: number;
  readonly checks: Check[];
}

export async function searchMessages(db: VaultDb, keys: { readonly viewKey: CryptoKey; readonly indexKey: CryptoKey }, query: MessageQuery): Promise<MessagePage> {
  const started = performance.now();
  const limit = Math.min(Math.max(1, query.limit ?? MESSAGE_PAGE_SIZE), MAX_PAGE);
  const bounds = await seqBounds(db, query);
  const empty = (): MessagePage => ({ messages: [], more: false, total: query.before === undefined ? 0 : null, tookMs: performance.now() - started });
  if (bounds === null) return empty();
  const { lo } = bounds;
  const hi = Math.min(bounds.hi, (query.before ?? Number.MAX_SAFE_INTEGER) - 1);
  if (hi < lo) return empty();

  const checks: Check[] = [];
  if (query.from !== undefined) checks.push((row) => row.at >= query.from!);
  if (query.to !== undefined) checks.push((row) => row.at < query.to!);
  const dateChecks = checks.length;

  const controlQuery = await controlQueryToken(keys.indexKey, query.controlId ?? '', query.controlIdExact === true);
  const controlToken = controlQuery?.token ?? null;
  const senderToken = query.sender === undefined || query.sender === '' ? null : await messageToken(keys.indexKey, 'sender', query.sender);
  const typeNames = [...new Set((query.types ?? []).map((type) => normalizeMessageType(type, true)).filter((type) => type !== ''))];
  const typeTokens = typeNames.length === 0 ? null : await Promise.all(typeNames.map((type) => messageToken(keys.indexKey, 'type', type)));
  const patientIds = query.patient === undefined || query.patient.trim() === '' ? null : await patientsMatching(db, keys.indexKey, query.patient);
  if (patientIds !== null && patientIds.length === 0) return empty();

  // Filters other than the driver's, checked row by row.
  const filters: { name: string; check: Check }[] = [];
  if (controlToken !== null) filters.push({ name: 'control', check: (row) => row.control.includes(controlToken) });
  if (patientIds !== null) {
    const set = new Set(patientIds);
    filters.push({ name: 'patient', check: (row) => set.has(row.patientId) });
  }
  if (query.status !== undefined) filters.push({ name: 'status', check: (row) => row.status === query.status });
  if (typeTokens !== null) {
    const set = new Set(typeTokens);
    filters.push({ name: 'type', check: (row) => set.has(row.type) });
  }
  if (senderToken !== null) filters.push({ name: 'sender', check: (row) => row.sender === senderToken });

  const driver = driverOf({ control: controlToken !== null, patient: patientIds !== null, status: query.status, type: typeTokens !== null, sender: senderToken !== null });
  for (const filter of filters) if (filter.name !== driver && !(driver === 'senderType' && (filter.name === 'sender' || filter.name === 'type'))) checks.push(filter.check);
  const plan: Plan = { lo, hi, checks };

  // A factory: Dexie's filter() and limit() change a collection, and the count needs fresh ones.
  const ranges = (): Collection<MessageRowStored, number>[] => {
    switch (driver) {
      case 'control':
        // A multiEntry index: rows of one token come in primary-key (seq) order.
        return [db.messages.where('control').equals(controlToken!).reverse()];
      case 'patient':
        return patientIds!.map((id) => compound(db, '[patientId+seq]', id, plan));
      case 'status':
        return [compound(db, '[status+seq]', query.status!, plan)];
      case 'type':
        return typeTokens!.map((token) => compound(db, '[type+seq]', token, plan));
      case 'senderType':
        return typeTokens!.map((token) => db.messages.where('[sender+type+seq]').between([senderToken!, token, plan.lo], [senderToken!, token, plan.hi], true, true).reverse());
      case 'sender':
        return [compound(db, '[sender+seq]', senderToken!, plan)];
      case 'seq':
        return [db.messages.where(':id').between(lo, hi, true, true).reverse()];
    }
  };
  if (controlQuery?.checkDecrypted === true) {
    // Typed past the longest prefix indexed: the rows sharing its first 24 characters (a handful)
    // are read and decrypted, and kept when their control id starts with all of it.
    const typed = normalizeControlId(query.controlId ?? '');
    const all = (await summaries(keys.viewKey, await firstRows(ranges(), plan, Number.MAX_SAFE_INTEGER))).filter((message) => normalizeControlId(message.controlId).startsWith(typed));
    return { messages: all.slice(0, limit), more: all.length > limit, total: query.before === undefined ? all.length : null, tookMs: performance.now() - started };
  }
  const rows = await firstRows(ranges(), plan, limit + 1);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  // Counted when the driving index decides alone, or with the date checks only (the date range
  // already bounds the scan by seq, so nearly every row read is counted: at most TOTAL_CAP + 1 read).
  const counted = query.before === undefined && checks.length === dateChecks ? await countAll(db, driver, ranges(), more, page.length, dateChecks === 0 ? null : passes(plan)) : null;
  const messages = await summaries(keys.viewKey, page);
  return { messages, more, total: counted?.total ?? null, ...(counted?.capped === true ? { totalCapped: true } : {}), tookMs: performance.now() - started };
}

type Driver = 'control' | 'patient' | 'status' | 'senderType' | 'type' | 'sender' | 'seq';

/** The index that drives the scan: the most selective one the query names (see the file comment). */
function driverOf(named: { control: boolean; patient: boolean; status: MessageStatus | undefined; type: boolean; sender: boolean }): Driver {
  if (named.control) return 'control';
  if (named.patient) return 'patient';
  if (named.status !== undefined && named.status !== 'accepted') return 'status';
  if (named.type && named.sender) return 'senderType';
  if (named.type) return 'type';
  if (named.sender) return 'sender';
  if (named.status !== undefined) return 'status';
  return 'seq';
}

/** One message by its journal seq (the browser's detail), or null. */
export async function messageBySeq(db: VaultDb, viewKey: CryptoKey, seq: number): Promise<MessageSummary | null> {
  const row = await db.messages.get(seq);
  if (row === undefined) return null;
  return (await summaries(viewKey, [row]))[0]!;
}

/** What became of a quarantined message that was reprocessed or discarded (QA round 4 #8). */
export interface QuarantineResolution {
  readonly status: 'reprocessed' | 'discarded';
  /** When the reprocess or discard was journaled (ISO). */
  readonly at?: string;
  /** The messages a reprocess filed from it (channel hl7-reprocess), newest first. */
  readonly copies: readonly { readonly seq: number; readonly controlId: string; readonly edited: boolean }[];
  /** The quarantine records (journal seqs) a reprocess held it in again. */
  readonly heldAgainAs: readonly number[];
}

/**
 * How many messages before a reprocess act are read to find the copies it filed. The body
 * journals a reprocess's messages and then the act, in one run; only messages from senders that
 * arrived meanwhile lie between them, so a handful is read in practice. The bound keeps the read
 * short however busy the listener was.
 */
export const RESOLUTION_SCAN = 1_000;

/**
 * A quarantined message's resolution, from the quarantine view (status, the act's seq and time,
 * held-again entries) and, for a reprocess, the messages between the quarantine record and the act
 * that carry `reprocessOf` this record. Null while it is open (or not a quarantine record).
 */
export async function quarantineResolution(db: VaultDb, viewKey: CryptoKey, seq: number): Promise<QuarantineResolution | null> {
  const entry = await db.quarantine.get(seq);
  if (entry === undefined || entry.status === 'open') return null;
  const base = { status: entry.status, ...(entry.resolvedAt === undefined ? {} : { at: entry.resolvedAt }), heldAgainAs: entry.heldAgainAs ?? [] };
  if (entry.status === 'discarded' || entry.resolvedSeq === undefined || entry.resolvedSeq <= seq + 1) return { ...base, copies: [] };
  const between = await db.messages
    .where(':id')
    .between(seq + 1, entry.resolvedSeq, true, false)
    .reverse()
    .limit(RESOLUTION_SCAN)
    .toArray();
  const copies = (await summaries(viewKey, between))
    .filter((message) => message.kind !== 'intake.quarantine' && message.reprocessOf?.quarantineSeq === seq)
    .map((message) => ({ seq: message.seq, controlId: message.controlId, edited: message.reprocessOf!.edited }));
  return { ...base, copies };
}

/** The seq range of a date range (null: nothing in it), from the `at` index. */
async function seqBounds(db: VaultDb, query: MessageQuery): Promise<{ lo: number; hi: number } | null> {
  let lo = 1;
  let hi = Number.MAX_SAFE_INTEGER;
  if (query.from !== undefined) {
    const first = await db.messages.where('at').aboveOrEqual(query.from).first();
    if (first === undefined) return null;
    lo = first.seq;
  }
  if (query.to !== undefined) {
    const last = await db.messages.where('at').below(query.to).last();
    if (last === undefined) return null;
    hi = last.seq;
  }
  return lo <= hi ? { lo, hi } : null;
}

function compound(db: VaultDb, index: string, key: string, plan: Plan): Collection<MessageRowStored, number> {
  return db.messages.where(index).between([key, plan.lo], [key, plan.hi], true, true).reverse();
}

/**
 * The first `count` rows passing the plan's checks, newest first, over one or more ranges (each
 * newest first: a merge by seq).
 */
async function firstRows(ranges: readonly Collection<MessageRowStored, number>[], plan: Plan, count: number): Promise<MessageRowStored[]> {
  const pass = passes(plan);
  const lists = await Promise.all(ranges.map((range) => range.filter(pass).limit(count).toArray()));
  if (lists.length === 1) return lists[0]!;
  return lists
    .flat()
    .sort((a, b) => b.seq - a.seq)
    .slice(0, count);
}

/** Whether a row is in the plan's seq range and passes its checks. */
function passes(plan: Plan): Check {
  return (row) => row.seq >= plan.lo && row.seq <= plan.hi && plan.checks.every((check) => check(row));
}

/**
 * The number of matches when the driving index alone decides (keys only), or with a date range
 * (`dated`: its rows checked, QA round 4 #11); filtered ones up to TOTAL_CAP.
 */
async function countAll(
  db: VaultDb,
  driver: Driver,
  ranges: readonly Collection<MessageRowStored, number>[],
  more: boolean,
  shown: number,
  dated: Check | null,
): Promise<{ total: number; capped: boolean }> {
  if (!more) return { total: shown, capped: false };
  if (driver === 'seq' && dated === null) {
    const kept = await db.meta.get(MESSAGE_COUNT_KEY);
    return { total: typeof kept?.value === 'number' ? kept.value : await db.messages.count(), capped: false };
  }
  const keys = await Promise.all(ranges.map((range) => (dated === null ? range : range.filter(dated)).limit(TOTAL_CAP + 1).primaryKeys()));
  const total = keys.reduce((sum, list) => sum + list.length, 0);
  return total > TOTAL_CAP ? { total: TOTAL_CAP, capped: true } : { total, capped: false };
}

/**
 * Patient view ids matching a query in the blind index, with every patient merged into them. The
 * patient's own words (issue 11: names, identifiers), not their studies': a study description word
 * would list the messages of every patient with such a study.
 */
async function patientsMatching(db: VaultDb, indexKey: CryptoKey, query: string): Promise<string[]> {
  const found = await searchPatientIds(db, indexKey, query, 'chart');
  const survivors = await resolveSearchIds(db, found, false);
  const all = new Set(found);
  for (const survivor of survivors) {
    all.add(survivor);
    for (const merged of await mergedInto(db, survivor)) all.add(merged);
  }
  return [...all];
}

async function summaries(viewKey: CryptoKey, rows: readonly MessageRowStored[]): Promise<MessageSummary[]> {
  const payloads = await decryptMany<MessageLogPayload>(
    viewKey,
    rows.map((row) => ({ ...messageCipherId(row.seq), stored: row.enc })),
  );
  return rows.map((row, index) => ({ ...payloads[index]!, seq: row.seq, at: row.at, status: row.status, patientId: row.patientId }));
}

/** At most this many of a message's records are listed on its page (a batch ORU can carry hundreds); the rest are on the patient's page. */
export const MESSAGE_RECORDS_SHOWN = 100;

/**
 * The records a message filed (QA s34 D6), in message order: its rows under the patient it was
 * filed under (record ids `<patient>.<seq>.<index>`), each with the patient it belongs to now
 * (after a merge). A record erased since is left out.
 */
export async function messageRecords(db: VaultDb, viewKey: CryptoKey, patientId: string, seq: number, count: number): Promise<RecordRow[]> {
  const messageId = messageRowId(patientId, seq);
  const rows: RecordRow[] = [];
  for (let index = 0; index < Math.min(count, MESSAGE_RECORDS_SHOWN); index++) {
    try {
      rows.push(await recordRow(db, viewKey, recordIdOf(messageId, index)));
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
    }
  }
  return rows;
}
