import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { ACCESS_REPORT_CSV_HEADER, ACCESS_REPORT_KINDS, kindOfAction } from '../../shared/ledger/access-report-csv';
import { EntryHasher, LedgerEntrySchema, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { verifyLedgerFile } from './ledger-file-verify';

/**
 * Checks an exported access report (CSV, renderer/ledger/access-report.ts) against the node's
 * exported ledger (JSONL), without the vault: `npm run --silent access-report:verify -- REPORT
 * LEDGER`. The report is written by the mind, which the body cannot check, so a session allowed to
 * export one could write rows no signed entry holds. Each row names its ledger entry (seq and
 * EIP-712 digest), so once the ledger itself verifies (every signature and the hash chain,
 * ledger-file-verify.ts) every row must agree with the entry it names:
 *
 *   - the entry exists and its digest is the row's `entry_digest`;
 *   - the row's action is one of that entry kind's sentences (ACCESS: "Opened …", SESSION, EXPORT,
 *     QUARANTINE, ERASURE);
 *   - `operator_pseudonym` and `subject_pseudonym` are the entry's operator and subject ('' for the
 *     zero value). An access report's export is listed under each patient it named, which the
 *     journal records and the ledger does not: such a row's patient is not checkable here;
 *   - `time_utc` (when the act happened) is not after the entry was signed (`createdAt`).
 *
 * And the file as a whole: the body hashes each report it writes and the EXPORT entry signed for the
 * export holds that SHA-256 among its inputs, so a report changed after it was exported (a row
 * removed, a name, time or workstation edited: none of which a row's entry can show) matches no
 * signed entry. Reports exported before this check, and an auditor's not yet signed (the next
 * clinical session signs it), fail it too: say so, not "changed".
 *
 * What it cannot check: names (the ledger holds pseudonyms only; the file digest shows they are as
 * exported, not that they are right), the workstation, and the notary columns (they need the
 * notary's log). It also lists the ledger's ACCESS, QUARANTINE and ERASURE
 * entries about the report's patients, signed in the span its rows cover, that the report does not
 * list: a report filtered by operator or date leaves such entries out on purpose, so they are
 * information, not a failure.
 *
 * Nothing from the report's name columns is ever repeated in the output (they name patients).
 */

/** At most this many problems are listed; `problemCount` counts them all. */
const MAX_LISTED_PROBLEMS = 20;
const MAX_LISTED_UNLISTED = 50;
/** A report is at most a few MB (the mind caps its rows); refuse anything far larger before reading it. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;
/** The act's time and the signing time come from one computer's clock; allow rounding. */
const CLOCK_SLACK_MS = 1000;
const BYTES32 = /^0x[0-9a-f]{64}$/;

export interface RowProblem {
  /** The CSV line (1 = the header). */
  readonly line: number;
  readonly problem: string;
}

export type AccessReportVerification =
  | {
      readonly ok: true;
      readonly rows: number;
      readonly entries: number;
      readonly node: string;
      /** The EXPORT entry whose inputs hold the file's SHA-256: the file is byte for byte as exported then. */
      readonly exportedIn: number;
      /** Rows whose patient comes from the journal (an access report's export), not from the entry. */
      readonly patientsNotCheckable: number;
      readonly unlisted: readonly number[];
      readonly unlistedCount: number;
    }
  | {
      readonly ok: false;
      readonly rows: number;
      /** The ledger's own verification, when it failed (then no row is checked). */
      readonly ledger?: { readonly entries: number; readonly node: string | null; readonly firstBreak: { readonly seq: number; readonly problem: string } };
      readonly problems: readonly RowProblem[];
      readonly problemCount: number;
    };

interface ReportRow {
  readonly line: number;
  readonly time: number;
  readonly operator: string;
  readonly action: string;
  readonly subject: string;
  readonly seq: number;
  readonly digest: string;
}

class ReportFormatError extends Error {}

/** The report's rows, each checked for form; throws ReportFormatError for a file that is no report. */
function readReport(text: string, problems: RowProblem[]): ReportRow[] {
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ReportFormatError(`the report is not CSV${typeof line === 'number' ? ` (line ${line})` : ''}`);
  }
  const [header, ...body] = records;
  if (header === undefined || header.join(',') !== ACCESS_REPORT_CSV_HEADER.join(',')) {
    throw new ReportFormatError(`the first line is not the access report's header (${ACCESS_REPORT_CSV_HEADER.join(',')})`);
  }
  const column = (name: (typeof ACCESS_REPORT_CSV_HEADER)[number]): number => ACCESS_REPORT_CSV_HEADER.indexOf(name);
  const rows: ReportRow[] = [];
  body.forEach((cells, index) => {
    const line = index + 2;
    const fail = (problem: string): void => {
      problems.push({ line, problem });
    };
    if (cells.length !== ACCESS_REPORT_CSV_HEADER.length) return fail(`has ${cells.length} columns, not ${ACCESS_REPORT_CSV_HEADER.length}`);
    const cell = (name: (typeof ACCESS_REPORT_CSV_HEADER)[number]): string => cells[column(name)]!;
    const time = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/.test(cell('time_utc')) ? Date.parse(cell('time_utc')) : Number.NaN;
    if (Number.isNaN(time)) return fail('time_utc is not a UTC time (YYYY-MM-DDThh:mm:ss.sssZ)');
    const operator = cell('operator_pseudonym');
    if (operator !== '' && !BYTES32.test(operator)) return fail('operator_pseudonym is not a 0x-prefixed 32-byte value');
    const subject = cell('subject_pseudonym');
    if (subject !== '' && !BYTES32.test(subject)) return fail('subject_pseudonym is not a 0x-prefixed 32-byte value');
    const seq = /^[1-9]\d{0,15}$/.test(cell('ledger_seq')) ? Number(cell('ledger_seq')) : Number.NaN;
    if (!Number.isSafeInteger(seq)) return fail('ledger_seq is not an entry number');
    const digest = cell('entry_digest');
    if (!BYTES32.test(digest)) return fail(`entry_digest is not a 0x-prefixed 32-byte value, so row ${line} names no verifiable entry`);
    rows.push({ line, time, operator, action: cell('action'), subject, seq, digest });
  });
  return rows;
}

const orZero = (pseudonym: string): string => (pseudonym === '' ? ZERO_HASH : pseudonym);

export async function verifyAccessReport(reportFile: string, ledgerFile: string): Promise<AccessReportVerification> {
  const problems: RowProblem[] = [];
  const size = (await stat(reportFile)).size;
  if (size > MAX_REPORT_BYTES) throw new ReportFormatError(`the report is ${size} bytes, more than any access report this app writes`);
  const bytes = await readFile(reportFile);
  const fileDigest = `0x${createHash('sha256').update(bytes).digest('hex')}`;
  const rows = readReport(bytes.toString('utf8'), problems);

  const wanted = new Set(rows.map((row) => row.seq));
  const subjects = new Set(rows.map((row) => row.subject).filter((subject) => subject !== ''));
  const named = new Map<number, unknown>();
  /** ACCESS, QUARANTINE and ERASURE entries about the report's patients: seq → createdAt. */
  const about = new Map<number, number>();
  const aboutKinds = new Set<string>(ACCESS_REPORT_KINDS.filter((kind) => kind !== 'SESSION' && kind !== 'EXPORT'));
  // Set from the callback below (a holder, so control-flow narrowing does not assume it stays null).
  const file: { exportedIn: number | null } = { exportedIn: null };
  const ledger = await verifyLedgerFile(ledgerFile, undefined, (entry) => {
    const e = entry as Partial<LedgerEntry> | null;
    if (typeof e?.seq !== 'number') return;
    if (wanted.has(e.seq)) named.set(e.seq, entry);
    if (file.exportedIn === null && e.kind === 'EXPORT' && Array.isArray(e.inputs) && e.inputs.includes(fileDigest)) file.exportedIn = e.seq;
    if (typeof e.subject === 'string' && subjects.has(e.subject) && typeof e.kind === 'string' && aboutKinds.has(e.kind) && typeof e.createdAt === 'number') about.set(e.seq, e.createdAt);
  });
  if (!ledger.ok) return { ok: false, rows: rows.length, ledger, problems: problems.slice(0, MAX_LISTED_PROBLEMS), problemCount: problems.length };
  if (ledger.format !== 'hdms-ledger') {
    return { ok: false, rows: rows.length, problems: [{ line: 0, problem: 'the second file is a node-info document, not an exported ledger' }], problemCount: 1 };
  }

  const { exportedIn } = file;
  if (exportedIn === null) {
    problems.push({
      line: 0,
      problem:
        "no signed EXPORT entry holds this file's SHA-256: it was changed after it was exported (a row removed, a cell edited), " +
        'or it is not signed yet (an auditor\'s export is signed when a clinical operator next unlocks: export the ledger again after that), ' +
        'or the ledger export is older than the report, or the report was exported before this check existed',
    });
  }
  const hasher = new EntryHasher(ledger.domain);
  let patientsNotCheckable = 0;
  const seen = new Set<string>();
  for (const row of rows) {
    const before = problems.length;
    const fail = (problem: string): void => {
      problems.push({ line: row.line, problem });
    };
    const parsed = LedgerEntrySchema.safeParse(named.get(row.seq));
    if (!parsed.success) {
      fail(`ledger_seq ${row.seq}: the ledger has no entry ${row.seq} (it holds ${ledger.entries})`);
      continue;
    }
    const entry = parsed.data;
    if (hasher.hash(entry) !== row.digest) {
      fail(`entry_digest is not the digest of ledger entry ${row.seq}`);
      continue;
    }
    const kind = kindOfAction(row.action);
    if (kind === null) fail(`the action is not one this app writes in an access report`);
    else if (kind !== entry.kind) fail(`the action stands for ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} entry, but ledger entry ${row.seq} is ${entry.kind}`);
    if (orZero(row.operator) !== entry.operator) fail(`operator_pseudonym is not the operator ledger entry ${row.seq} names`);
    if (orZero(row.subject) !== entry.subject) {
      // An access report's export is listed under each patient it named: the journal says which, not the entry.
      if (entry.kind === 'EXPORT' && entry.subject === ZERO_HASH && /^Exported an access report\b/.test(row.action)) patientsNotCheckable++;
      else fail(`subject_pseudonym is not the patient ledger entry ${row.seq} names`);
    }
    if (row.time > entry.createdAt + CLOCK_SLACK_MS) fail(`time_utc is after ledger entry ${row.seq} was signed (${new Date(entry.createdAt).toISOString()})`);
    // A row that agrees with its entry, listed twice for the same patient.
    const key = `${row.seq} ${row.subject}`;
    if (problems.length === before && seen.has(key)) fail(`lists ledger entry ${row.seq} for the same patient a second time`);
    seen.add(key);
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    return { ok: false, rows: rows.length, problems: problems.slice(0, MAX_LISTED_PROBLEMS), problemCount: problems.length };
  }

  // The span the rows cover: from the earliest act to the latest signing of an entry they name.
  const from = rows.reduce((min, row) => Math.min(min, row.time), Infinity);
  const to = rows.reduce((max, row) => Math.max(max, LedgerEntrySchema.parse(named.get(row.seq)).createdAt), -Infinity);
  const unlisted = [...about]
    .filter(([seq, createdAt]) => !wanted.has(seq) && createdAt >= from && createdAt <= to)
    .map(([seq]) => seq)
    .sort((a, b) => a - b);
  return {
    ok: true,
    rows: rows.length,
    entries: ledger.entries,
    node: ledger.node,
    exportedIn: exportedIn ?? 0,
    patientsNotCheckable,
    unlisted: unlisted.slice(0, MAX_LISTED_UNLISTED),
    unlistedCount: unlisted.length,
  };
}

export { ReportFormatError };
