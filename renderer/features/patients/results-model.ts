import type { Allergy, Observation, Report, Visit } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../vault/vault-service';
import { conceptLabel, recordDay } from './record-format';

/**
 * What the patient page derives from a patient's records (pure, so it is tested without a DOM and
 * measured by the patient-page benchmark): the banner's facts, results grouped under their report,
 * the flowsheet (tests × days) and the trend of one numeric test.
 */

/** Newest first; equal times by record id, so the order is stable. */
function byTimeDescending(a: RecordRow, b: RecordRow): number {
  return a.time < b.time ? 1 : a.time > b.time ? -1 : a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0;
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

/** The patient's allergies, each allergen once (the newest record of it). */
export function allergiesOf(records: readonly RecordRow[]): (RecordRow & { readonly record: Allergy })[] {
  const seen = new Map<string, RecordRow & { readonly record: Allergy }>();
  for (const row of [...records].sort(byTimeDescending)) {
    if (row.record.type !== 'allergy') continue;
    const key = `${row.record.allergen.system}|${row.record.allergen.code}|${row.record.allergen.display}`;
    if (!seen.has(key)) seen.set(key, row as RecordRow & { readonly record: Allergy });
  }
  return [...seen.values()];
}

/** The newest visit (by its start), or null. */
export function lastVisitOf(records: readonly RecordRow[]): (RecordRow & { readonly record: Visit }) | null {
  let last: (RecordRow & { readonly record: Visit }) | null = null;
  for (const row of records) {
    if (row.record.type !== 'visit') continue;
    if (last === null || row.time > last.time) last = row as RecordRow & { readonly record: Visit };
  }
  return last;
}

// ------------------------------------------------------------------------------------------------
// Results grouped under their report

export interface ResultGroup {
  readonly key: string;
  /** The report (OBR) the results came under, when the message carried one. */
  readonly report: ReportRow | null;
  /** Newest first. */
  readonly results: readonly ObservationRow[];
  /** The report's time, else its newest result's. */
  readonly time: string;
}

/** A report's order number, as its results carry it (observation.orderId: OBR-3, else OBR-2). */
function reportOrderId(report: Report): string {
  return report.fillerOrderId ?? report.placerOrderId ?? '';
}

/**
 * Observations under the result report of the same message and order number; observations of a
 * message without a report form a group of their own (one per message). Newest group first.
 */
export function groupResults(records: readonly RecordRow[]): ResultGroup[] {
  const groups = new Map<string, { report: ReportRow | null; results: ObservationRow[] }>();
  const groupOf = (key: string) => {
    let group = groups.get(key);
    if (group === undefined) {
      group = { report: null, results: [] };
      groups.set(key, group);
    }
    return group;
  };
  for (const row of records) {
    if (row.record.type === 'report' && row.record.kind === 'result') {
      groupOf(`${row.source.seq}|${reportOrderId(row.record)}`).report = row as ReportRow;
    } else if (isObservation(row)) {
      groupOf(`${row.source.seq}|${row.record.orderId ?? ''}`).results.push(row);
    }
  }
  const out: ResultGroup[] = [];
  for (const [key, group] of groups) {
    if (group.results.length === 0 && group.report === null) continue;
    const results = group.results.sort(byTimeDescending);
    out.push({ key, report: group.report, results, time: group.report?.time ?? results[0]!.time });
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.key < b.key ? -1 : 1));
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
}

export interface Flowsheet {
  readonly tests: readonly TestColumn[];
  /** Days (YYYY-MM-DD as recorded), newest first. */
  readonly days: readonly string[];
  /** test key → day → the results of that day, in time order. */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, readonly ObservationRow[]>>;
}

export function testKeyOf(record: Observation): string {
  return `${record.code.system}|${record.code.code || record.code.display}`;
}

/** Tests (rows, by name) × days (columns, newest first) of every observation. */
export function buildFlowsheet(records: readonly RecordRow[]): Flowsheet {
  const cells = new Map<string, Map<string, ObservationRow[]>>();
  const tests = new Map<string, { label: string; unit: string; numeric: number; newest: string }>();
  const days = new Set<string>();
  for (const row of records) {
    if (!isObservation(row)) continue;
    const key = testKeyOf(row.record);
    const day = recordDay(row.time);
    days.add(day);
    let byDay = cells.get(key);
    if (byDay === undefined) cells.set(key, (byDay = new Map()));
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [row]);
    else list.push(row);
    const test = tests.get(key) ?? { label: conceptLabel(row.record.code), unit: '', numeric: 0, newest: '' };
    if (row.record.value.kind === 'numeric') {
      test.numeric++;
      if (row.time >= test.newest) {
        test.newest = row.time;
        test.unit = row.record.value.unit ?? '';
        test.label = conceptLabel(row.record.code);
      }
    }
    tests.set(key, test);
  }
  for (const byDay of cells.values()) for (const list of byDay.values()) list.sort((a, b) => -byTimeDescending(a, b));
  return {
    tests: [...tests]
      .map(([key, test]) => ({ key, label: test.label, unit: test.unit, trend: test.numeric >= 2 }))
      .sort((a, b) => a.label.localeCompare(b.label, 'en') || (a.key < b.key ? -1 : 1)),
    days: [...days].sort().reverse(),
    cells,
  };
}

/** A reference range as numbers: `3.5-5.1`, `3.5 – 5.1`, `<200`, `>=60`; null when it is not one. */
export function parseReferenceRange(range: string | undefined): { readonly low: number | null; readonly high: number | null } | null {
  const text = (range ?? '').trim();
  const number = '([+-]?\\d+(?:[.,]\\d+)?)';
  const toNumber = (value: string) => Number(value.replace(',', '.'));
  const between = new RegExp(`^${number}\\s*(?:-|–|to)\\s*${number}$`).exec(text);
  if (between !== null) {
    const low = toNumber(between[1]!);
    const high = toNumber(between[2]!);
    return low <= high ? { low, high } : null;
  }
  const upper = new RegExp(`^<=?\\s*${number}$`).exec(text);
  if (upper !== null) return { low: null, high: toNumber(upper[1]!) };
  const lower = new RegExp(`^>=?\\s*${number}$`).exec(text);
  if (lower !== null) return { low: toNumber(lower[1]!), high: null };
  return null;
}

export interface TrendPoint {
  /** Seconds since the epoch (what uPlot's time axis takes). */
  readonly at: number;
  readonly value: number;
  readonly row: ObservationRow;
}

export interface Trend {
  readonly label: string;
  readonly unit: string;
  /** Oldest first. */
  readonly points: readonly TrendPoint[];
  /** The reference range of the newest result that gives one, as numbers. */
  readonly range: { readonly low: number | null; readonly high: number | null; readonly text: string } | null;
}

/** One test's numeric results in time order (results in another unit than the newest are left out). */
export function trendOf(records: readonly RecordRow[], testKey: string): Trend {
  const rows = records.filter((row): row is ObservationRow => isObservation(row) && row.record.value.kind === 'numeric' && testKeyOf(row.record) === testKey).sort((a, b) => -byTimeDescending(a, b));
  const newest = rows.at(-1);
  const unit = newest?.record.value.kind === 'numeric' ? (newest.record.value.unit ?? '') : '';
  const points: TrendPoint[] = [];
  for (const row of rows) {
    if (row.record.value.kind !== 'numeric' || (row.record.value.unit ?? '') !== unit) continue;
    points.push({ at: Date.parse(row.time) / 1000, value: row.record.value.value, row });
  }
  let range: Trend['range'] = null;
  for (let index = rows.length - 1; index >= 0 && range === null; index--) {
    const text = rows[index]!.record.referenceRange;
    const parsed = parseReferenceRange(text);
    if (parsed !== null) range = { ...parsed, text: text! };
  }
  return { label: newest === undefined ? '' : conceptLabel(newest.record.code), unit, points, range };
}
