import type { Allergy, Observation, Report, Visit } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../vault/vault-service';
import { GLUCOSE_DECIMALS } from '../../../shared/domain/device-readings';
import { conceptLabel, numberText, recordDay } from './record-format';
import { chooseUnit, convertCertain, sameUnit } from './unit-conversion';
import { isChartedStatus, isProvisionalStatus, resultStatusMarker, resultStatusOf, type ResultStatusCode } from './result-status';

/**
 * What the patient page derives from a patient's records (pure, so it is tested without a DOM and
 * measured by the patient-page benchmark): the banner's facts, results grouped under their report,
 * the flowsheet (tests × days) and the trend of one numeric test.
 */

/** Newest first; equal times: the later message first, then the later record in it (stable, and the later sent is "latest"). */
function byTimeDescending(a: RecordRow, b: RecordRow): number {
  return a.time < b.time ? 1 : a.time > b.time ? -1 : -inMessageOrder(a, b);
}

export type ObservationRow = RecordRow & { readonly record: Observation };
type ReportRow = RecordRow & { readonly record: Report };

function isObservation(row: RecordRow): row is ObservationRow {
  return row.record.type === 'observation';
}

// ------------------------------------------------------------------------------------------------
// Banner

/** Whole years from an ISO birth date to an ISO day (the birthday itself counts); null when unreadable. */
export function ageInYears(birthDate: string | undefined, today: string): number | null {
  const born = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  const now = /^(\d{4})-(\d{2})-(\d{2})/.exec(today);
  if (born === null || now === null) return null;
  const years = Number(now[1]) - Number(born[1]) - (`${now[2]}-${now[3]}` < `${born[2]}-${born[3]}` ? 1 : 0);
  return years >= 0 ? years : null;
}

/**
 * The age as clinicians write it (D19): days under 4 weeks, weeks under 2 months, months under 2
 * years, then whole years; null when unreadable or in the future. A birth date known only to the
 * month (`2025-03`, HL7 DT YYYYMM) gives the age it is sure of: full months or years since the end
 * of that month; one known to the year (`2025`) since the end of that year, "under 1 y" during it.
 */
export function ageLabel(birthDate: string | undefined, today: string): string | null {
  const now = /^(\d{4})-(\d{2})-(\d{2})/.exec(today);
  if (now === null) return null;
  const [ty, tm, td] = [Number(now[1]), Number(now[2]), Number(now[3])];
  // Known to the year only: the same as born in its last month, once the year is over.
  const year = /^(\d{4})$/.exec(birthDate ?? '');
  if (year !== null && ty === Number(year[1])) return 'under 1 y';
  const month = year !== null ? (['', year[1], '12'] as const) : /^(\d{4})-(\d{2})$/.exec(birthDate ?? '');
  if (month !== null) {
    const [by, bm] = [Number(month[1]), Number(month[2])];
    if (ty * 12 + tm < by * 12 + bm) return null;
    const months = (ty - by) * 12 + (tm - bm) - 1;
    if (months < 1) return 'under 1 mo';
    return months < 24 ? `${months} mo` : `${ty - by - (tm <= bm ? 1 : 0)} y`;
  }
  const born = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  if (born === null) return null;
  const [by, bm, bd] = [Number(born[1]), Number(born[2]), Number(born[3])];
  const days = Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(by, bm - 1, bd)) / 86_400_000);
  if (!Number.isFinite(days) || days < 0) return null;
  if (days < 28) return `${days} d`;
  const months = (ty - by) * 12 + (tm - bm) - (td < bd ? 1 : 0);
  if (months < 2) return `${Math.floor(days / 7)} wk`;
  if (months < 24) return `${months} mo`;
  return `${ageInYears(birthDate, today)} y`;
}

const allergenKey = (allergy: Allergy) => `${allergy.allergen.system}|${allergy.allergen.code}|${allergy.allergen.display}`;

/** AL1-4 (HL7 table 0128) from the most to the least severe; another or no severity after these. */
const SEVERITY_RANK: Readonly<Record<string, number>> = { SV: 0, MO: 1, MI: 2, U: 3 };
const severityRank = (allergy: Allergy) => SEVERITY_RANK[(allergy.severity ?? '').toUpperCase()] ?? 4;

/**
 * The patient's allergies, each allergen once (the newest record of it), the most severe first,
 * then by name (QA D6: alphabetical order put "ASPIRIN (Mild)" before "IODINATED CONTRAST (Severe)").
 */
export function allergiesOf(records: readonly RecordRow[]): (RecordRow & { readonly record: Allergy })[] {
  const seen = new Map<string, RecordRow & { readonly record: Allergy }>();
  for (const row of [...records].sort(byTimeDescending)) {
    if (row.record.type !== 'allergy') continue;
    const key = allergenKey(row.record);
    if (!seen.has(key)) seen.set(key, row as RecordRow & { readonly record: Allergy });
  }
  const name = (allergy: Allergy) => allergy.allergen.display || allergy.allergen.code;
  return [...seen.values()].sort((a, b) => severityRank(a.record) - severityRank(b.record) || name(a.record).localeCompare(name(b.record), 'en', { sensitivity: 'base' }));
}

/**
 * Allergy records a newer record repeats (QA D6: an A08 resending the A04's AL1 listed the allergy
 * twice): the same allergen with the same severity and reactions. The newest copy stays; one that
 * changed the severity or reactions is the allergy's history and stays too.
 */
export function repeatedAllergies(records: readonly RecordRow[]): Set<string> {
  const newer = new Set<string>();
  const repeated = new Set<string>();
  for (const row of [...records].sort(byTimeDescending)) {
    if (row.record.type !== 'allergy') continue;
    const key = `${allergenKey(row.record)}|${(row.record.severity ?? '').toUpperCase()}|${(row.record.reactions ?? []).join('\u0000')}`;
    if (newer.has(key)) repeated.add(row.recordId);
    else newer.add(key);
  }
  return repeated;
}

/**
 * The newest visit that has begun (by the instant of its start, whatever zone it was written in), or
 * null: the banner's "Last visit" is an encounter that happened, never a planned one (a preadmission
 * starting next month; T1 D5). `now` in milliseconds since the epoch.
 */
export function lastVisitOf(records: readonly RecordRow[], now = Date.now()): (RecordRow & { readonly record: Visit }) | null {
  let last: (RecordRow & { readonly record: Visit }) | null = null;
  let lastAt = -Infinity;
  for (const row of records) {
    if (row.record.type !== 'visit') continue;
    const at = Date.parse(row.time);
    if (!Number.isFinite(at) || at > now) continue;
    if (last === null || at > lastAt) [last, lastAt] = [row as RecordRow & { readonly record: Visit }, at];
  }
  return last;
}

// ------------------------------------------------------------------------------------------------
// Corrections: a later result of the same order and test replaces the earlier one

/**
 * Which results a later one replaced (HL7 OBX-11, table 0085; result-status.ts has each code in the
 * table's words): a later result of the same identity, as HL7 identifies a result (the order's
 * filler or placer number, one order when a report pairs them; OBX-3; the OBX-4 sub-id), sent in a
 * later message, replaces an earlier one as follows. The observation time is no part of the
 * identity: a preliminary resent with a later time is a new version of the same result, while two
 * draws or specimens (another order, or another sub-id) are results of their own and never hide
 * each other. Only among several current results of one identity (repeated in one message) does
 * the time pick the one a later version replaces.
 * - C (correction) replaces any earlier result but a withdrawn one (F, C, U, P, R, S, I, X, N, O).
 * - F replaces one not yet final: P, R, S, I (pending), X (cancelled), N, O. Table 0085 changes a
 *   final result only with a C, but senders do resend an F with another value: an F replaces an
 *   earlier final one (F, or made final by U) at the same observation time, the latest received
 *   being the result and the earlier one kept in its history (replaced), as for a C. At another
 *   time the two are serial results of one order and both stay (an F never hides a measurement).
 * - P, R, S (preliminary, not verified, partial) replace an earlier P, R, S or I: the newer
 *   provisional result is the current one.
 * - X (cannot be obtained) replaces a pending or provisional one (I, P, R, S), never a final one.
 * - I (pending) replaces an earlier I.
 * - U (made final) makes the provisional result (P, R, S) final; the U itself is left out.
 * - W ("post original as wrong") withdraws every earlier current result (the original): the W is
 *   shown in its place, withdrawn (`withdrawn`), and neither is charted or a current value.
 * - D ("deletes the OBX record") removes every earlier current result and itself from the views
 *   of current results (`deletedBy`); a D with nothing to delete is shown as itself.
 * - N, O and other codes replace nothing.
 * A result of the same identity sent after a W or D (the lab's resend for the right patient, or its
 * new value) takes the place of the withdrawn or deleted one (`succeededBy`, `succeeds`): the two
 * stay apart in every view (the withdrawn struck through) and the record pages link them.
 * The body keeps every version (each message's records as sent), so the mind decides which one is
 * current. Results of one message never replace each other (serial measurements under one
 * order), and a result without an order number replaces nothing.
 */
export interface Corrections {
  /** Record ids of the results a later one replaced (or deleted, or made final): left out of every view of current results. */
  readonly superseded: ReadonlySet<string>;
  /** A current result's record id → the results it replaced, newest first. */
  readonly replaced: ReadonlyMap<string, readonly ObservationRow[]>;
  /** A superseded result's record id → the current result that replaced it. */
  readonly replacedBy: ReadonlyMap<string, ObservationRow>;
  /** Results withdrawn by the lab (OBX-11 W and the originals it posts as wrong): struck through, never charted, never a current value. */
  readonly withdrawn: ReadonlySet<string>;
  /** A deleted result's record id → the later result (OBX-11 D) that deleted it. */
  readonly deletedBy: ReadonlyMap<string, ObservationRow>;
  /** A provisional result's record id → the later result (OBX-11 U) that made it final. */
  readonly madeFinalBy: ReadonlyMap<string, ObservationRow>;
  /**
   * A withdrawn or deleted result's record id → the result of the same identity the lab sent after
   * the W or D (its current version): what took its place, for the record page's "Replaced by".
   */
  readonly succeededBy: ReadonlyMap<string, ObservationRow>;
  /** The reverse: a result's record id → the withdrawn or deleted results it took the place of, oldest first. */
  readonly succeeds: ReadonlyMap<string, readonly ObservationRow[]>;
}

const NOT_FINAL: ReadonlySet<string> = new Set(['P', 'R', 'S', 'I', 'X', 'N', 'O']);
const PENDING_OR_PROVISIONAL: ReadonlySet<string> = new Set(['P', 'R', 'S', 'I']);

/** How a later result acts on an earlier one of the same order and test (see Corrections). */
function actionOn(later: string, earlier: string): 'replace' | 'withdraw' | 'delete' | 'make-final' | null {
  if (earlier === 'W' || earlier === 'D') return null;
  switch (later) {
    case 'C':
      return 'replace';
    case 'F':
      return NOT_FINAL.has(earlier) ? 'replace' : null;
    case 'P':
    case 'R':
    case 'S':
    case 'X':
      return PENDING_OR_PROVISIONAL.has(earlier) ? 'replace' : null;
    case 'I':
      return earlier === 'I' ? 'replace' : null;
    case 'U':
      return isProvisionalStatus(earlier) ? 'make-final' : null;
    case 'W':
      return 'withdraw';
    case 'D':
      return 'delete';
    default:
      return null;
  }
}

/** A result's status now: its own OBX-11 code, or F when a later U made it final. */
export function currentStatusOf(row: ObservationRow, corrections: Corrections): ResultStatusCode {
  return corrections.madeFinalBy.has(row.recordId) ? 'F' : resultStatusOf(row.record);
}

/** Whether a current result is drawn in a trend and counted as a value (never a withdrawn, cancelled, pending… one). */
function isCharted(row: ObservationRow, corrections: Corrections): boolean {
  return !corrections.withdrawn.has(row.recordId) && isChartedStatus(currentStatusOf(row, corrections));
}

/**
 * Whether a record is a current result a chart may draw (the vitals chart draws HL7 results too):
 * not replaced, deleted or withdrawn, and of a status that is charted (not pending, cancelled…; T1).
 */
export function chartedNow(records: readonly RecordRow[]): (row: RecordRow) => boolean {
  const corrections = correctionsOf(records);
  return (row) => isObservation(row) && !corrections.superseded.has(row.recordId) && isCharted(row, corrections);
}

export function correctionsOf(records: readonly RecordRow[]): Corrections {
  const superseded = new Set<string>();
  const replaced = new Map<string, ObservationRow[]>();
  const withdrawn = new Set<string>();
  const deletedBy = new Map<string, ObservationRow>();
  const madeFinalBy = new Map<string, ObservationRow>();
  const current = new Map<string, ObservationRow[]>();
  // Per identity: results withdrawn (W) or deleted (D) that no later result has taken the place of yet.
  const retracted = new Map<string, ObservationRow[]>();
  const successor = new Map<string, ObservationRow>();
  const statusNow = (row: ObservationRow) => (madeFinalBy.has(row.recordId) ? 'F' : resultStatusOf(row.record));
  // An F after a final result of its identity at the same time: the lab's final sent again (see Corrections).
  const finalSentAgain = (later: ObservationRow, status: string, earlier: ObservationRow) => status === 'F' && statusNow(earlier) === 'F' && earlier.time === later.time;
  const observations = records.filter(isObservation);
  // A W with no order number (or nothing before it) is still withdrawn.
  for (const row of observations) if (resultStatusOf(row.record) === 'W') withdrawn.add(row.recordId);
  const ordered = observations.filter((row) => (row.record.orderId ?? '') !== '').sort(inMessageOrder);
  const orderOf = sameOrderNumbers(records);
  for (const row of ordered) {
    // The HL7 identity of a result: its order (placer or filler number), OBX-3 and OBX-4; never its observation time.
    const key = `${orderOf(row.record.orderId!)}\u0000${testKeyOf(row.record)}\u0000${row.record.subId ?? ''}`;
    const rows = current.get(key);
    if (rows === undefined) {
      current.set(key, [row]);
      continue;
    }
    const status = resultStatusOf(row.record);
    // Table 0085: a final result "can only be changed with a corrected result". An F after a C of
    // its identity (the original sent again, or the correction restated as final) changes nothing:
    // the correction stays current and the F is one more of its earlier versions.
    if (status === 'F') {
      let corrected = rows.filter((earlier) => earlier.source.seq < row.source.seq && statusNow(earlier) === 'C');
      const atSameTime = corrected.filter((earlier) => earlier.time === row.time);
      if (atSameTime.length > 0) corrected = atSameTime;
      const correction = corrected.at(-1);
      if (correction !== undefined) {
        superseded.add(row.recordId);
        replaced.set(correction.recordId, [row, ...(replaced.get(correction.recordId) ?? [])]);
        continue;
      }
    }
    // A result sent after a W or D of its identity (in a later message, or after it in the same one) takes the place of what was withdrawn or deleted.
    const gone = status === 'W' || status === 'D' || status === 'U' ? undefined : retracted.get(key);
    if (gone !== undefined) {
      for (const earlier of gone) successor.set(earlier.recordId, row);
      retracted.delete(key);
    }
    let candidates = rows.filter((earlier) => earlier.source.seq < row.source.seq && (actionOn(status, statusNow(earlier)) !== null || finalSentAgain(row, status, earlier)));
    // Several earlier results of this test in the order (serial measurements): the one at the same time.
    const sameTime = candidates.filter((earlier) => earlier.time === row.time);
    if (sameTime.length > 0) candidates = sameTime;
    if (candidates.length === 0) {
      current.set(key, [...rows, row]);
      continue;
    }
    if (status === 'U') {
      // The provisional result stays, now final; the U says nothing more.
      for (const earlier of candidates) madeFinalBy.set(earlier.recordId, row);
      superseded.add(row.recordId);
      continue;
    }
    if (status === 'D') {
      for (const earlier of candidates) {
        superseded.add(earlier.recordId);
        deletedBy.set(earlier.recordId, row);
      }
      retracted.set(key, [...(retracted.get(key) ?? []), ...candidates]);
      superseded.add(row.recordId);
      current.set(key, rows.filter((earlier) => !candidates.includes(earlier)));
      continue;
    }
    const history: ObservationRow[] = [];
    for (const earlier of [...candidates].reverse()) {
      superseded.add(earlier.recordId);
      if (status === 'W') {
        withdrawn.add(earlier.recordId);
        retracted.set(key, [...(retracted.get(key) ?? []), earlier]);
      }
      history.push(earlier, ...(replaced.get(earlier.recordId) ?? []));
      replaced.delete(earlier.recordId);
    }
    replaced.set(row.recordId, history);
    current.set(key, [...rows.filter((earlier) => !candidates.includes(earlier)), row]);
  }
  const replacedBy = new Map<string, ObservationRow>();
  const byId = new Map(ordered.map((row) => [row.recordId, row]));
  for (const [recordId, history] of replaced) for (const earlier of history) replacedBy.set(earlier.recordId, byId.get(recordId)!);
  const succeededBy = new Map<string, ObservationRow>();
  const succeeds = new Map<string, ObservationRow[]>();
  for (const [recordId, next] of successor) {
    const now = replacedBy.get(next.recordId) ?? next;
    succeededBy.set(recordId, now);
    succeeds.set(now.recordId, [...(succeeds.get(now.recordId) ?? []), byId.get(recordId)!]);
  }
  return { superseded, replaced, replacedBy, withdrawn, deletedBy, madeFinalBy, succeededBy, succeeds };
}

/**
 * One name for the numbers of one order: a result names its order by OBR-3 (filler number), else
 * OBR-2 (placer number), so a preliminary sent before the lab assigned its number and the final
 * sent with it would be two orders. A report (OBR) that gives both numbers says they are one
 * order; each number then answers the filler number (the first a report paired it with).
 */
function sameOrderNumbers(records: readonly RecordRow[]): (orderId: string) => string {
  const fillerOf = new Map<string, string>();
  for (const row of records) {
    if (row.record.type !== 'report' || row.record.kind !== 'result') continue;
    const { placerOrderId, fillerOrderId } = row.record;
    if (placerOrderId === undefined || placerOrderId === '' || fillerOrderId === undefined || fillerOrderId === '' || fillerOf.has(placerOrderId)) continue;
    fillerOf.set(placerOrderId, fillerOrderId);
  }
  return (orderId) => fillerOf.get(orderId) ?? orderId;
}

/** A record's position in its message (the record id's last part: OBX order for results). */
function messageIndex(row: RecordRow): number {
  const index = Number(row.recordId.slice(row.recordId.lastIndexOf('.') + 1));
  return Number.isInteger(index) ? index : 0;
}

/** The order messages arrived in, then the order within the message (the lab's OBX order). */
function inMessageOrder(a: RecordRow, b: RecordRow): number {
  return a.source.seq - b.source.seq || messageIndex(a) - messageIndex(b) || (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0);
}

// ------------------------------------------------------------------------------------------------
// Results grouped under their report

export interface ResultGroup {
  readonly key: string;
  /** The report (OBR) the results came under, when the message carried one: its newest version. */
  readonly report: ReportRow | null;
  /** Newest first; results of one time in the lab's order. */
  readonly results: readonly ObservationRow[];
  /** The report's time, else its newest result's. */
  readonly time: string;
  /**
   * Comments of earlier versions of the report (a correction resends it) that the newest version
   * does not repeat, newest version first: a correction without comments of its own must not hide
   * the original's (they are shown marked as the earlier report's).
   */
  readonly earlierComments: readonly { readonly report: ReportRow; readonly comments: readonly string[] }[];
  /** How many of its results a later message deleted (OBX-11 D): not listed, but said when none is left. */
  readonly deleted: number;
}

function earlierCommentsOf(current: ReportRow | null, versions: readonly ReportRow[]): ResultGroup['earlierComments'] {
  if (current === null) return [];
  const seen = new Set(current.record.comments ?? []);
  const out: { report: ReportRow; comments: string[] }[] = [];
  for (const version of [...versions].sort((a, b) => inMessageOrder(b, a))) {
    if (version === current) continue;
    const comments = (version.record.comments ?? []).filter((comment) => !seen.has(comment));
    for (const comment of comments) seen.add(comment);
    if (comments.length > 0) out.push({ report: version, comments });
  }
  return out;
}

/** A report's order number, as its results carry it (observation.orderId: OBR-3, else OBR-2). */
function reportOrderId(report: Report): string {
  return report.fillerOrderId ?? report.placerOrderId ?? '';
}

/**
 * The group a report belongs to: one per order number and service (a correction or a later part
 * of the same order resends the report; every version files under one heading), one per message
 * for a report without a number.
 */
function reportGroupKey(row: ReportRow): string {
  const orderId = reportOrderId(row.record);
  return orderId === '' ? `${row.source.seq}|` : `order|${orderId}|${row.record.code.system}|${row.record.code.code}`;
}

/**
 * Current results (corrections applied) under the result report of their order: the report their
 * message carried, else (the same report resent unchanged is kept once, as the later message's)
 * the nearest report of that order number. Results of a message without a report form a group of
 * their own (one per message). Newest group first.
 */
export function groupResults(records: readonly RecordRow[], corrections: Corrections = correctionsOf(records)): ResultGroup[] {
  const groups = new Map<string, { report: ReportRow | null; versions: ReportRow[]; results: ObservationRow[]; deleted: number }>();
  const groupOf = (key: string) => {
    let group = groups.get(key);
    if (group === undefined) {
      group = { report: null, versions: [], results: [], deleted: 0 };
      groups.set(key, group);
    }
    return group;
  };
  const reportAt = new Map<string, ReportRow>();
  const reportsOfOrder = new Map<string, ReportRow[]>();
  for (const row of records) {
    if (row.record.type !== 'report' || row.record.kind !== 'result') continue;
    const report = row as ReportRow;
    const orderId = reportOrderId(report.record);
    reportAt.set(`${report.source.seq}|${orderId}`, report);
    if (orderId !== '') {
      const list = reportsOfOrder.get(orderId);
      if (list === undefined) reportsOfOrder.set(orderId, [report]);
      else list.push(report);
    }
    const group = groupOf(reportGroupKey(report));
    group.versions.push(report);
    if (group.report === null || inMessageOrder(group.report, report) < 0) group.report = report;
  }
  for (const row of records) {
    const deleted = corrections.deletedBy.has(row.recordId);
    if (!isObservation(row) || (corrections.superseded.has(row.recordId) && !deleted)) continue;
    const orderId = row.record.orderId ?? '';
    const report = reportAt.get(`${row.source.seq}|${orderId}`) ?? (orderId === '' ? undefined : nearestReport(reportsOfOrder.get(orderId), row.source.seq));
    const group = groupOf(report === undefined ? `${row.source.seq}|${orderId}` : reportGroupKey(report));
    if (deleted) group.deleted++;
    else group.results.push(row);
  }
  const labPosition = (row: ObservationRow) => corrections.replaced.get(row.recordId)?.at(-1) ?? row;
  const out: ResultGroup[] = [];
  for (const [key, group] of groups) {
    if (group.results.length === 0 && group.report === null) continue;
    const results = group.results.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : inMessageOrder(labPosition(a), labPosition(b))));
    out.push({ key, report: group.report, results, time: group.report?.time ?? results[0]!.time, earlierComments: earlierCommentsOf(group.report, group.versions), deleted: group.deleted });
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.key < b.key ? -1 : 1));
}

/** The report of an order a message without its own copy of it belongs to: the next one sent, else the last before. */
function nearestReport(reports: readonly ReportRow[] | undefined, seq: number): ReportRow | undefined {
  let after: ReportRow | undefined;
  let before: ReportRow | undefined;
  for (const report of reports ?? []) {
    if (report.source.seq >= seq) {
      if (after === undefined || report.source.seq < after.source.seq) after = report;
    } else if (before === undefined || report.source.seq > before.source.seq) before = report;
  }
  return after ?? before;
}

// ------------------------------------------------------------------------------------------------
// Flowsheet and trends

export interface TestColumn {
  /** system|code of the test. */
  readonly key: string;
  readonly label: string;
  /** The unit its newest numeric result was given in (UCUM code), '' when none. */
  readonly unit: string;
  /** Whether it has at least two numeric results (a trend to draw). */
  readonly trend: boolean;
  /** How many of its current results are plain numbers (the Trends view names the tests with fewer than two). */
  readonly numericResults: number;
}

export interface Flowsheet {
  readonly tests: readonly TestColumn[];
  /** Days (YYYY-MM-DD as recorded), newest first. */
  readonly days: readonly string[];
  /** test key → day → the results of that day, newest first (a later message first at equal times). */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, readonly ObservationRow[]>>;
}

export function testKeyOf(record: Observation): string {
  return `${record.code.system}|${record.code.code || record.code.display}`;
}

/** Tests (rows, by name) × days (columns, newest first) of every current observation (corrections applied). */
export function buildFlowsheet(records: readonly RecordRow[], corrections: Corrections = correctionsOf(records)): Flowsheet {
  const cells = new Map<string, Map<string, ObservationRow[]>>();
  // `comparedUnit`: the unit of a compared value (`>150 mmol/L`), the row's unit when no result is a plain number (D8).
  // `units`: each numeric result's unit, oldest first; the row's unit is the trend's choice (most results, a tie: the newest).
  const tests = new Map<string, { label: string; units: { time: string; row: ObservationRow; unit: string }[]; numeric: number; newest: string; comparedUnit: string; glucose: boolean }>();
  const days = new Set<string>();
  for (const row of records) {
    if (!isObservation(row) || corrections.superseded.has(row.recordId)) continue;
    const key = testKeyOf(row.record);
    const day = recordDay(row.time);
    days.add(day);
    let byDay = cells.get(key);
    if (byDay === undefined) cells.set(key, (byDay = new Map()));
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [row]);
    else list.push(row);
    const test = tests.get(key) ?? { label: conceptLabel(row.record.code), units: [], numeric: 0, newest: '', comparedUnit: '', glucose: false };
    // A pending, cancelled, withdrawn… result is shown in its cell, but is no value of the row (never charted).
    if (row.record.value.kind === 'numeric' && isCharted(row, corrections)) {
      test.numeric++;
      test.units.push({ time: row.time, row, unit: row.record.value.unit ?? '' });
      if (row.time >= test.newest) {
        test.newest = row.time;
        test.label = conceptLabel(row.record.code);
        test.glucose = isGlucose(row.record);
      }
    } else if (test.comparedUnit === '' && row.record.valueDetail?.kind === 'structured-numeric') {
      test.comparedUnit = row.record.valueDetail.unit ?? '';
    }
    tests.set(key, test);
  }
  // Newest first within a day, as the days are: the value on top of a cell is the current one (QA round 4, #12).
  for (const byDay of cells.values()) for (const list of byDay.values()) list.sort(byTimeDescending);
  return {
    tests: [...tests]
      .map(([key, test]) => ({ key, label: test.label, unit: test.numeric > 0 ? rowUnit(test.units, test.glucose) : test.comparedUnit, trend: test.numeric >= 2, numericResults: test.numeric }))
      .sort((a, b) => a.label.localeCompare(b.label, 'en') || (a.key < b.key ? -1 : 1)),
    days: [...days].sort().reverse(),
    cells,
  };
}

/** A flowsheet row's unit: the one its trend is drawn in (the unit most of its numeric results carry; a tie: the newest's). */
function rowUnit(units: { time: string; row: ObservationRow; unit: string }[], glucose: boolean): string {
  const ordered = [...units].sort((a, b) => -byTimeDescending(a.row, b.row));
  return chooseUnit(
    ordered.map((entry) => entry.unit),
    glucose ? 'glucose' : 'other',
  ).unit;
}

/** A reference range as numbers: `3.5-5.1`, `3.5 – 5.1`, `<200`, `>=60`; null when it is not one. */
export function parseReferenceRange(range: string | undefined): ParsedRange | null {
  const text = (range ?? '').trim();
  const number = '([+-]?\\d+(?:[.,]\\d+)?)';
  const toNumber = (value: string) => Number(value.replace(',', '.'));
  const between = new RegExp(`^${number}\\s*(?:-|–|to)\\s*${number}$`).exec(text);
  if (between !== null) {
    const low = toNumber(between[1]!);
    const high = toNumber(between[2]!);
    return low <= high ? { low, high, lowText: between[1]!, highText: between[2]! } : null;
  }
  const upper = new RegExp(`^<=?\\s*${number}$`).exec(text);
  if (upper !== null) return { low: null, high: toNumber(upper[1]!), lowText: null, highText: upper[1]! };
  const lower = new RegExp(`^>=?\\s*${number}$`).exec(text);
  if (lower !== null) return { low: toNumber(lower[1]!), high: null, lowText: lower[1]!, highText: null };
  return null;
}

/** A reference range's bounds as numbers and as the lab wrote them ("4.0", not 4: QA D6). */
export interface ParsedRange {
  readonly low: number | null;
  readonly high: number | null;
  readonly lowText: string | null;
  readonly highText: string | null;
}

export interface TrendPoint {
  /** Seconds since the epoch (what uPlot's time axis takes). */
  readonly at: number;
  /** In the trend's unit (converted when the result was reported in another). */
  readonly value: number;
  /** The value as the trend shows it: as reported, or converted and rounded. */
  readonly text: string;
  readonly row: ObservationRow;
  /** Set when the result was reported in another unit and converted into the trend's. */
  readonly reported?: { readonly value: number; readonly unit: string; readonly text?: string };
  /** Set when the result is not final yet (OBX-11 P, R, S): "preliminary", "not verified", "partial result" (T1 D7). */
  readonly provisional?: string;
}

export interface Trend {
  readonly label: string;
  readonly unit: string;
  /** Oldest first. */
  readonly points: readonly TrendPoint[];
  /** The reference range of the newest result in the trend's unit that gives one, as numbers. */
  readonly range: (ParsedRange & { readonly text: string }) | null;
  /**
   * Results in a unit with no certain conversion into the trend's ('' when none was given), per
   * unit, the unit with most results first: not drawn, and said so (the view offers their chart).
   */
  readonly omitted: readonly { readonly unit: string; readonly count: number }[];
  /** Those results themselves, oldest first (the view lists them). */
  readonly omittedRows: readonly ObservationRow[];
  /**
   * Current results of the test that are not a plain number (`> 150`, a ratio, text), or whose
   * status keeps them off the line (pending, cancelled, not asked), oldest first: not drawn, and
   * said so. Withdrawn results (OBX-11 W) are not in it: they are no result.
   */
  readonly notNumeric: readonly ObservationRow[];
  /**
   * The test's newest current result when it is not drawn (a `> 150`, or a result in a unit not
   * drawn, after the last point): the
   * latest result whatever its form, so no older number is called "latest" (QA2-11 Q8). Null when
   * the newest result is the line's last point.
   */
  readonly latestNotDrawn: ObservationRow | null;
}

// LOINC codes of glucose concentrations (serum/plasma, blood, capillary, urine, CSF; mass and molar).
const GLUCOSE_LOINC: ReadonlySet<string> = new Set(['2345-7', '2339-0', '2340-8', '2341-6', '41653-7', '32016-8', '14749-6', '15074-8', '14743-9', '2350-7', '2342-4', '1558-6', '14771-0']);

/** Whether a test measures glucose (mg/dL ↔ mmol/L converts by its molar mass, as device readings do). */
function isGlucose(record: Observation): boolean {
  if (record.code.system === 'LN' && GLUCOSE_LOINC.has(record.code.code)) return true;
  return /^glucose\b/i.test(record.code.display) && !/phosphate|dehydrogenase/i.test(record.code.display);
}

/** Decimals a number was written with (as the lab wrote it where the record kept that, else as JavaScript prints it). */
function decimalsOf(value: number, reported?: number): number {
  if (reported !== undefined) return reported;
  const text = String(value);
  const dot = text.indexOf('.');
  return dot < 0 || text.includes('e') ? 0 : text.length - dot - 1;
}

/**
 * One test's current numeric results (corrections applied) in time order, in one unit: the unit
 * most of them carry (a tie: the newest's; `unit` when the user asked for another), so one chart
 * never mixes units. A result in another unit is converted only where the conversion is certain
 * (unit-conversion.ts: one dimension with a fixed factor, mg/dL ↔ g/L; the devices' conversions;
 * glucose mg/dL ↔ mmol/L by its molar mass); any other (cholesterol mg/dL ↔ mmol/L needs the molar
 * mass) is not drawn and counted in `omitted` so the view says so. A converted value is rounded to
 * the decimals the results in the trend's unit carry (one at least), glucose to those its unit is
 * read at (whole mg/dL, mmol/L to one decimal): more would be precision nobody measured.
 */
export function trendOf(records: readonly RecordRow[], testKey: string, corrections: Corrections = correctionsOf(records), requestedUnit?: string): Trend {
  const rows = records
    .filter((row): row is ObservationRow => isObservation(row) && row.record.value.kind === 'numeric' && testKeyOf(row.record) === testKey && !corrections.superseded.has(row.recordId) && isCharted(row, corrections))
    .sort((a, b) => -byTimeDescending(a, b));
  const newest = rows.at(-1);
  const unitOf = (row: ObservationRow) => (row.record.value.kind === 'numeric' ? (row.record.value.unit ?? '') : '');
  const kind = newest !== undefined && isGlucose(newest.record) ? 'glucose' : 'other';
  const { unit } = chooseUnit(rows.map(unitOf), kind, requestedUnit);
  const native = rows.filter((row) => sameUnit(unitOf(row), unit));
  const decimals = Math.max(1, ...native.map((row) => (row.record.value.kind === 'numeric' ? decimalsOf(row.record.value.value, row.record.value.decimals) : 0)));
  const points: TrendPoint[] = [];
  const omitted = new Map<string, number>();
  const omittedRows: ObservationRow[] = [];
  const provisionalOf = (row: ObservationRow): { provisional?: string } => {
    const status = currentStatusOf(row, corrections);
    return isProvisionalStatus(status) ? { provisional: (resultStatusMarker(status) ?? status).toLowerCase() } : {};
  };
  for (const row of rows) {
    if (row.record.value.kind !== 'numeric') continue;
    const at = Date.parse(row.time) / 1000;
    const value = row.record.value.value;
    const from = unitOf(row);
    if (sameUnit(from, unit)) {
      points.push({ at, value, text: numberText(value, row.record.value.decimals), row, ...provisionalOf(row) });
      continue;
    }
    const converted = from === '' || unit === '' ? undefined : convertCertain(value, from, unit, kind);
    if (converted === undefined || !Number.isFinite(converted)) {
      omitted.set(from, (omitted.get(from) ?? 0) + 1);
      omittedRows.push(row);
      continue;
    }
    // Glucose at the precision its unit is read at (GLUCOSE_DECIMALS: whole mg/dL, mmol/L to one decimal): 5.5 mmol/L is 99 mg/dL, not 99.1.
    const text = converted.toFixed(kind === 'glucose' ? (GLUCOSE_DECIMALS[unit] ?? decimals) : decimals);
    points.push({ at, value: Number(text), text, row, reported: { value, unit: from, text: numberText(value, row.record.value.decimals) }, ...provisionalOf(row) });
  }
  let range: Trend['range'] = null;
  for (let index = native.length - 1; index >= 0 && range === null; index--) {
    const text = native[index]!.record.referenceRange;
    const parsed = parseReferenceRange(text);
    if (parsed !== null) range = { ...parsed, text: text! };
  }
  // A limit (`> 150`) is no point on the line, but a newer one must not hide behind "latest" (D8).
  // So is a result its status keeps off the line (pending, cancelled, not asked: result-status.ts); a withdrawn one is no result at all.
  const notNumeric = records
    .filter(
      (row): row is ObservationRow =>
        isObservation(row) && testKeyOf(row.record) === testKey && !corrections.superseded.has(row.recordId) && !corrections.withdrawn.has(row.recordId) && (row.record.value.kind !== 'numeric' || !isCharted(row, corrections)),
    )
    .sort((a, b) => -byTimeDescending(a, b));
  // The newest result not drawn, a `> 150` or one in a unit not drawn, is the latest if it is after the line's last point.
  const newestOther = [notNumeric.at(-1), omittedRows.at(-1)].filter((row) => row !== undefined).sort(byTimeDescending)[0];
  const lastDrawn = points.at(-1)?.row;
  const latestNotDrawn = newestOther !== undefined && (lastDrawn === undefined || byTimeDescending(newestOther, lastDrawn) < 0) ? newestOther : null;
  return {
    label: newest === undefined ? '' : conceptLabel(newest.record.code),
    unit,
    points,
    range,
    omitted: [...omitted].map(([from, count]) => ({ unit: from, count })).sort((a, b) => b.count - a.count),
    omittedRows,
    notNumeric,
    latestNotDrawn,
  };
}
