import { ACCESS_REPORT_CSV_HEADER, ACCESS_REPORT_KINDS } from '../../shared/ledger/access-report-csv';
import { EntryHasher, LedgerEntrySchema, type LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import { bytes32ToPseudonym, pseudonymToBytes32 } from './ledger-details';
import type { LedgerReader } from './ledger-reader';
import type { LedgerRow } from './ledger-rows';

/**
 * Access reports (issue 11, "Audit, as a compliance officer uses it"): who did what, when, from
 * which workstation, each with the ledger proof that holds it — for one patient, or for an operator
 * and a date range. Read from the ledger's view, so researchers, auditors and clinical sessions see
 * the same signed rows; names are resolved on this computer (the subject directory, the keyring),
 * as far as the session may know them, and never leave it except in an export asked for.
 *
 * When: the time the act was journaled (the details' `at`, in the entry's summary), which the
 * signing time (`createdAt`) follows by up to a session: entries are signed by the next clinical
 * session. Workstation: a sign-in names it (the body's audit record); an access, an export by the
 * mind or a quarantine action happened in the session of the operator's latest sign-in before it.
 */

// The kinds an access report lists (what people did, not what the node did by itself) and its CSV
// columns are shared with the verifier (`npm run access-report:verify`).
export { ACCESS_REPORT_CSV_HEADER, ACCESS_REPORT_KINDS } from '../../shared/ledger/access-report-csv';

/** At most this many rows in one report (the newest); the report says when there were more. */
export const ACCESS_REPORT_MAX_ROWS = 10_000;

export interface AccessReportFilter {
  /** Only entries about these patient subjects (bytes32), e.g. one patient's. */
  readonly subjects?: ReadonlySet<string>;
  /** Only this operator's (pseudonym, base64url). */
  readonly operator?: string;
  /** Unix ms, inclusive: when the act happened. */
  readonly from?: number;
  readonly to?: number;
}

export interface AccessReportRow {
  readonly seq: number;
  readonly kind: LedgerEntryKind;
  /** When it happened (ISO). */
  readonly at: string;
  /** Pseudonymous operator id ('' for none). */
  readonly operator: string;
  /** '' when this session may not know the name. */
  readonly operatorName: string;
  /** The role the operator signed in with (the sign-in entry's, public in the ledger); absent when none is signed. */
  readonly operatorRole?: string;
  readonly action: string;
  /** The patient subject (bytes32), or '' for acts about no patient. */
  readonly subject: string;
  /** Resolved on this computer, or ''. */
  readonly subjectName: string;
  readonly workstation: string;
  /** The entry's EIP-712 digest (what the next entry's prevHash names and the notary logs). */
  readonly entryHash: string;
  /** The notary's log position, once countersigned. */
  readonly notary?: { readonly leafIndex: number; readonly treeSize: number; readonly integratedAt: string };
}

/** At most this many of the patients a Patient filter matched are named with the report (the rest counted). */
export const ACCESS_REPORT_MATCHED_SHOWN = 5;

export interface AccessReport {
  readonly rows: readonly AccessReportRow[];
  /** More rows matched than ACCESS_REPORT_MAX_ROWS; the oldest were left out. */
  readonly truncated: boolean;
  /**
   * With a patient filter: the patients it matched, whether or not they have rows (so "no such
   * patient" and "no access recorded" read apart, and a printed report names whom it covers):
   * how many, and the first ACCESS_REPORT_MATCHED_SHOWN by name ('' where this session knows none).
   */
  readonly matched?: { readonly count: number; readonly patients: readonly { readonly subject: string; readonly name: string }[] };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** When the act happened: the summary's `at` when it has one, else when the entry was signed. */
export function actTime(row: Pick<LedgerRow, 'createdAt' | 'summary'>): number {
  const at = Date.parse(text(row.summary['at']));
  return Number.isNaN(at) ? row.createdAt : at;
}

/** One sentence for what the entry records, from its kind and summary (numbers and words only). */
export function actionOf(kind: string, summary: Readonly<Record<string, string | number>>, operatorNames: Readonly<Record<string, string>> = {}): string {
  switch (kind) {
    case 'ACCESS':
      if (summary['opened'] === 'quarantined input') return `Opened a quarantined input${typeof summary['quarantine record'] === 'number' ? ` (record ${summary['quarantine record']})` : ''}`;
      if (summary['opened'] === 'raw message') return `Opened a raw message${typeof summary['message'] === 'number' ? ` (journal record ${summary['message']})` : ''}`;
      if (summary['opened'] === 'imaging study') return 'Opened an imaging study';
      if (summary['opened'] === 'message page') return `Opened a message in the message browser${typeof summary['message'] === 'number' ? ` (journal record ${summary['message']})` : ''}`;
      return summary['opened'] === 'one record' ? 'Opened a record' : 'Opened the patient';
    case 'SESSION': {
      const failed = summary['failed unlocks before'];
      if (summary['event'] === 'signed in') {
        const how = summary['unlocked with'] === 'recovery' ? ' with the recovery key' : summary['unlocked with'] === 'keychain' ? ' automatically (OS keychain)' : '';
        return `Signed in${how}${typeof failed === 'number' && failed > 0 ? ` after ${failed} failed unlock${failed === 1 ? '' : 's'}` : ''}`;
      }
      if (summary['event'] === 'unlock failed') {
        // Its operator is the account whose key slot was tried, not a proven person.
        const how = summary['tried with'] === 'recovery' ? ' with the recovery key' : summary['tried with'] === 'keychain' ? ' through the OS keychain' : '';
        return `Failed unlock${how}${typeof failed === 'number' && failed > 0 ? ` (${failed + 1} in a row)` : ''}`;
      }
      if (summary['event'] === 'locked') return 'Locked';
      if (summary['event'] === 'window closed') return 'Closed the window (session ended)';
      // An administrator's keyring change ended the session (ledger-details.ts SESSION_REVOCATION_WORDS).
      const event = text(summary['event']);
      if (event.startsWith('signed out: ')) {
        // Entries signed before the administrator was recorded say "an administrator".
        const by = text(summary['signed out by']);
        return `Signed out by ${by === '' ? 'an administrator' : (operatorNames[by] ?? by)}: ${event.slice('signed out: '.length)}`;
      }
      return 'Session';
    }
    case 'EXPORT': {
      const what = text(summary['export']);
      const label =
        what === 'accessReport'
          ? 'an access report'
          : what === 'ledger'
            ? 'the ledger'
            : what === 'nodeInfo'
              ? 'the node info'
              : what === 'backup'
                ? 'a backup'
                : what === 'document'
                  ? 'an imaging document (saved from the viewer)'
                  : what === ''
                    ? 'a file'
                    : what;
      if (what === 'backup' && summary['result'] === 'failed') {
        const reason = text(summary['reason']);
        return `${summary['scheduled'] === 'on' ? 'Scheduled backup' : 'Backup by hand'} failed${reason === '' ? '' : `: ${reason}`}`;
      }
      if (what === 'backup' && summary['scheduled'] === 'on') return 'Scheduled backup made by the node';
      const entries = summary['entries'];
      return `Exported ${label}${typeof entries === 'number' ? ` (${entries} ${entries === 1 ? 'row' : 'rows'})` : ''}`;
    }
    case 'QUARANTINE': {
      const verb = summary['action'] === 'reprocessed' ? 'Reprocessed' : summary['action'] === 'discarded' ? 'Discarded' : 'Acted on';
      return `${verb} a quarantined input${typeof summary['quarantine record'] === 'number' ? ` (record ${summary['quarantine record']})` : ''}`;
    }
    case 'ERASURE':
      return 'Erased the patient';
    default:
      return kind;
  }
}

/**
 * The report, newest first. Reads the ledger's view once (kinds above), joins each row to the
 * sign-in it happened under, and resolves names through the reader.
 */
export async function buildAccessReport(reader: LedgerReader, filter: AccessReportFilter): Promise<AccessReport> {
  const kinds = new Set<string>(ACCESS_REPORT_KINDS);
  const table = reader.db().ledger;
  // Through the indexes: a patient's entries by subject; otherwise the report's kinds (never the intake batches).
  const rows =
    filter.subjects !== undefined
      ? await table.where('subject').anyOf([...filter.subjects]).filter((row) => kinds.has(row.kind)).toArray()
      : await table.where('kind').anyOf([...kinds]).toArray();
  // A patient's entries also include the exports of access reports that name them (their EXPORT
  // entries name no patient: one report names many), found by the record each covers; such an
  // entry is a row of each patient asked for that it names.
  const naming = filter.subjects !== undefined ? await namingExports(reader, filter.subjects) : new Map<number, string[]>();
  if (naming.size > 0) {
    const have = new Set(rows.map((row) => row.seq));
    for (const row of await table.where('coversTo').anyOf([...naming.keys()]).toArray()) {
      if (row.kind === 'EXPORT' && !have.has(row.seq)) {
        rows.push(row);
        have.add(row.seq);
      }
    }
  }
  const sessions = filter.subjects !== undefined ? await table.where('kind').equals('SESSION').toArray() : rows.filter((row) => row.kind === 'SESSION');
  // Each operator's sign-ins in chain order (the chain follows the journal): seq → workstation.
  sessions.sort((a, b) => a.seq - b.seq);
  const signIns = new Map<string, { seq: number; workstation: string; role: string }[]>();
  for (const row of sessions) {
    if (row.kind !== 'SESSION' || row.summary['event'] !== 'signed in') continue;
    const operator = bytes32ToPseudonym(row.operator);
    const list = signIns.get(operator) ?? [];
    list.push({ seq: row.seq, workstation: text(row.summary['workstation']), role: text(row.summary['role']) });
    signIns.set(operator, list);
  }
  const signInOf = (row: LedgerRow, operator: string): { workstation: string; role: string } => {
    let found = { workstation: '', role: '' };
    for (const signIn of signIns.get(operator) ?? []) {
      if (signIn.seq > row.seq) break;
      found = signIn;
    }
    return found;
  };
  const workstationOf = (row: LedgerRow, operator: string): string => {
    const own = text(row.summary['workstation']);
    return own !== '' ? own : signInOf(row, operator).workstation;
  };
  // The role this act was done in: the entry's own (a sign-in), else the sign-in it happened under.
  const roleOf = (row: LedgerRow, operator: string): string => (row.kind === 'SESSION' && text(row.summary['role']) !== '' ? text(row.summary['role']) : signInOf(row, operator).role);
  const matching = rows
    .filter((row) => {
      if (filter.subjects !== undefined && !filter.subjects.has(row.subject) && !(row.kind === 'EXPORT' && naming.has(row.coversTo))) return false;
      if (filter.operator !== undefined && bytes32ToPseudonym(row.operator) !== filter.operator) return false;
      const at = actTime(row);
      return (filter.from === undefined || at >= filter.from) && (filter.to === undefined || at <= filter.to);
    })
    .sort((a, b) => b.seq - a.seq);
  // Everyone's report: an access report that named one patient is that patient's row, as in their
  // own report (H8 F3: its Patient read "—" here and the name there); one naming several stays one
  // row of no patient (a row per patient would repeat a whole-trail export thousands of times).
  const single = filter.subjects === undefined ? await singlePatientExports(reader, matching) : new Map<number, string>();
  const named = (row: LedgerRow): readonly string[] | undefined => {
    if (row.kind !== 'EXPORT') return undefined;
    if (filter.subjects === undefined) {
      const only = single.get(row.coversTo);
      return only === undefined ? undefined : [only];
    }
    return filter.subjects.has(row.subject) ? undefined : naming.get(row.coversTo);
  };
  const items = matching.flatMap((row) => (named(row) ?? [row.subject]).map((subject) => ({ row, subject })));
  const kept = items.slice(0, ACCESS_REPORT_MAX_ROWS);
  const [operatorNames, subjectNames] = await Promise.all([
    reader.operatorNames(),
    reader.subjectNames([...new Set(kept.map((item) => item.subject).filter((subject) => bytes32ToPseudonym(subject) !== ''))]),
  ]);
  const hasher = new EntryHasher(reader.domain);
  const matched = filter.subjects === undefined ? undefined : await matchedPatients(reader, filter.subjects, subjectNames);
  return {
    ...(matched === undefined ? {} : { matched }),
    truncated: items.length > kept.length,
    rows: kept.map(({ row, subject: about }): AccessReportRow => {
      const operator = bytes32ToPseudonym(row.operator);
      const parsed = LedgerEntrySchema.safeParse(row.entry);
      const subject = bytes32ToPseudonym(about) === '' ? '' : about;
      const role = operator === '' ? '' : roleOf(row, operator);
      return {
        seq: row.seq,
        kind: row.kind as LedgerEntryKind,
        at: new Date(actTime(row)).toISOString(),
        operator,
        operatorName: operatorNames[operator] ?? '',
        ...(role === '' ? {} : { operatorRole: role }),
        action: actionOf(row.kind, row.summary, operatorNames),
        subject,
        subjectName: subject === '' ? '' : (subjectNames[subject] ?? ''),
        workstation: workstationOf(row, operator),
        entryHash: parsed.success ? hasher.hash(parsed.data) : '',
        ...(row.notary === undefined
          ? {}
          : { notary: { leafIndex: row.notary.leafIndex, treeSize: row.notary.treeSize, integratedAt: new Date(row.notary.integratedAt).toISOString() } }),
      };
    }),
  };
}

/** One row of a patient's "Who accessed this record" (ledger-service.ts accessesOf). */
export interface PatientAccessItem {
  readonly operatorName: string;
  readonly operator: string;
  readonly operatorRole?: string;
  readonly at: string;
  readonly seq: number;
  readonly what: string;
  readonly workstation: string;
  readonly leafIndex?: number;
}

/**
 * A patient's "Who accessed this record", from the same report their "Export access report (CSV)"
 * writes (H8 F3: the page listed opens and exports only, the CSV also the quarantine acts filed
 * under them): every row, in the report's order, so what the page shows is what the file holds.
 */
export function patientAccessList(rows: readonly AccessReportRow[]): PatientAccessItem[] {
  return rows.map((row) => ({
    operatorName: row.operatorName,
    operator: row.operator,
    ...(row.operatorRole === undefined ? {} : { operatorRole: row.operatorRole }),
    at: row.at,
    seq: row.seq,
    what: row.action,
    workstation: row.workstation,
    ...(row.notary === undefined ? {} : { leafIndex: row.notary.leafIndex }),
  }));
}

/** The patients a filter matched: named ones first, by name, then by pseudonym; names already resolved are reused. */
async function matchedPatients(reader: LedgerReader, subjects: ReadonlySet<string>, known: Readonly<Record<string, string>>): Promise<NonNullable<AccessReport['matched']>> {
  const all = [...subjects].filter((subject) => bytes32ToPseudonym(subject) !== '');
  // A short prefix may match thousands: names are resolved for a bounded number only.
  const asked = all.slice(0, 200);
  const missing = asked.filter((subject) => known[subject] === undefined);
  const names = missing.length === 0 ? known : { ...known, ...(await reader.subjectNames(missing)) };
  const patients = asked
    .map((subject) => ({ subject, name: names[subject] ?? '' }))
    .sort((a, b) => (a.name === '') !== (b.name === '') ? (a.name === '' ? 1 : -1) : a.name.localeCompare(b.name) || a.subject.localeCompare(b.subject))
    .slice(0, ACCESS_REPORT_MATCHED_SHOWN);
  return { count: all.length, patients };
}

/**
 * The journal records (`audit.exported`) of the access reports exported that name any of `subjects`
 * (the views' `namedExports`, from what the body journaled with each export), each with those of
 * `subjects` it names (sorted).
 */
async function namingExports(reader: LedgerReader, subjects: ReadonlySet<string>): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (subjects.size === 0) return out;
  // Keys only (subject, record): a report may name thousands, and a patient be named by many reports.
  await reader
    .db()
    .namedExports.where('subjects')
    .anyOf([...subjects])
    .eachKey((subject, cursor) => {
      const seq = cursor.primaryKey as number;
      const list = out.get(seq);
      if (list === undefined) out.set(seq, [String(subject)]);
      else list.push(String(subject));
    });
  for (const list of out.values()) list.sort();
  return out;
}

/** The access-report exports among `rows` that named exactly one patient: the record each covers → that patient. */
async function singlePatientExports(reader: LedgerReader, rows: readonly LedgerRow[]): Promise<Map<number, string>> {
  const covers = rows.filter((row) => row.kind === 'EXPORT' && row.summary['export'] === 'accessReport').map((row) => row.coversTo);
  const out = new Map<number, string>();
  if (covers.length === 0) return out;
  const found = await reader.db().namedExports.bulkGet(covers);
  found.forEach((entry, index) => {
    if (entry !== undefined && entry.subjects.length === 1) out.set(covers[index]!, entry.subjects[0]!);
  });
  return out;
}

const BYTES32 = /^0x[0-9a-f]{64}$/;

/**
 * What a report was filtered to, for its file's name (the contract's ACCESS_REPORT_SCOPE: pseudonym
 * starts, a count and dates, never a name): `patient-0xdf1548`, `patients-3`, `operator-0x1a2b3c`,
 * `from-20261201`, `to-20261207`; '' for the whole trail. The CSV itself stays as the verifier pins it.
 */
export function accessReportScope(filter: Pick<AccessReportFilter, 'subjects' | 'operator'>, dates: { readonly from?: string; readonly to?: string }): string {
  const parts: string[] = [];
  const subjects = [...(filter.subjects ?? [])].filter((subject) => BYTES32.test(subject));
  if (filter.subjects !== undefined) parts.push(subjects.length === 1 ? `patient-${subjects[0]!.slice(0, 8)}` : `patients-${Math.min(subjects.length, 999_999)}`);
  if (filter.operator !== undefined) {
    const operator = pseudonymToBytes32(filter.operator);
    if (BYTES32.test(operator)) parts.push(`operator-${operator.slice(0, 8)}`);
  }
  const day = (value: string | undefined): string | null => (value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value.replace(/-/g, '') : null);
  const from = day(dates.from);
  const to = day(dates.to);
  if (from !== null) parts.push(`from-${from}`);
  if (to !== null) parts.push(`to-${to}`);
  return parts.join('-');
}

/**
 * The patients a report names, as ledger subjects (bytes32 pseudonyms): every row's patient, and the
 * patient the report was asked for (whose name its file carries even with no rows). What the body
 * keeps beside the written file, so that erasing one of them removes it.
 */
export function reportSubjects(rows: readonly Pick<AccessReportRow, 'subject'>[], filter: Pick<AccessReportFilter, 'subjects'>): string[] {
  const out = new Set<string>();
  for (const row of rows) if (BYTES32.test(row.subject)) out.add(row.subject);
  // A patient's report: a name or prefix may match a few; a longer list than that was no one's report.
  if (filter.subjects !== undefined && filter.subjects.size <= 64) for (const subject of filter.subjects) if (BYTES32.test(subject)) out.add(subject);
  return [...out].sort();
}

/**
 * One CSV cell (RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled).
 * A cell a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first) gets
 * a leading apostrophe (OWASP's advice against CSV injection): names come from HL7 messages.
 */
export function csvCell(value: string | number): string {
  let cell = String(value);
  if (/^[=+\-@\t\r]/.test(cell)) cell = `'${cell}`;
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/**
 * Pseudonyms, digests and numbers: never a formula, kept exactly as signed. The operator and subject
 * pseudonyms are the entry's `operator` and `subject` as the ledger export signs them (bytes32,
 * `0x` and 64 hex digits), so a text search for a cell finds it in the exported JSONL (QA s32
 * finding 3: the operator was base64url here); '' for none (the signed zero value).
 */
const PLAIN_COLUMNS = new Set([2, 5, 7, 8, 9, 10]);
const plainCell = (value: string | number): string => String(value);

/** The report as CSV (a header line, then one line per row, CRLF as RFC 4180 has it). */
export function accessReportCsv(rows: readonly AccessReportRow[]): string {
  const lines = [ACCESS_REPORT_CSV_HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.at,
        // As the screen shows them (access-report-view.tsx): the node's own acts, and a workstation not recorded.
        row.operatorName === '' && row.operator === '' ? 'Node' : row.operatorName,
        row.operator === '' ? '' : pseudonymToBytes32(row.operator),
        row.action,
        row.subjectName,
        row.subject,
        row.workstation === '' ? 'not recorded' : row.workstation,
        row.seq,
        row.entryHash,
        row.notary?.leafIndex ?? '',
        row.notary?.treeSize ?? '',
      ]
        .map((cell, index) => (PLAIN_COLUMNS.has(index) ? plainCell(cell) : csvCell(cell)))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
