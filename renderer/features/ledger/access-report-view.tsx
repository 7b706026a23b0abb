import { useEffect, useId, useState, type FormEvent } from 'react';
import { CopyButton } from '../../app/copy-button';
import { SaveFileButton } from '../../app/save-file-button';
import { hrefForPath } from '../../app/router/hash-route';
import { useAction } from '../../app/use-action';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import { unreversedRange } from '../../app/form/date-range';
import type { AccessReport, AccessReportQuery, ExportedFile, LedgerService } from '../../ledger/ledger-service';
import { useCurrentOperator } from '../../vault/vault-context';
import { accessReportExportRefusal, mayExportAccessReport } from '../../../shared/ipc/method-access';
import { localZoneLabel } from '../../ledger/local-days';
import { ledgerPseudonym, ledgerTime, otherOperatorWords, shortHash, SIGNING_ORDER_NOTE } from './ledger-format';

/** What a row without a notary leaf is (H8 F4: "not yet" said nothing more). */
const NOTARY_NOT_YET = 'signed on this node and in its chain, not yet countersigned by a network’s notary (this node is in no network, or the notary’s receipt comes with the next sync).';

/** What the report's form holds: empty means "any". Dates are `YYYY-MM-DD`. */
interface ReportInputs {
  readonly subject: string;
  readonly operator: string;
  readonly from: string;
  readonly to: string;
}

const EMPTY: ReportInputs = { subject: '', operator: '', from: '', to: '' };

function queryOf(inputs: ReportInputs): AccessReportQuery {
  const subject = inputs.subject.trim();
  return {
    ...(subject === '' ? {} : { subject }),
    ...(inputs.operator === '' ? {} : { operator: inputs.operator }),
    ...(inputs.from === '' ? {} : { from: inputs.from }),
    ...(inputs.to === '' ? {} : { to: inputs.to }),
  };
}

type Shown =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly report: AccessReport; readonly query: AccessReportQuery; readonly note: string };

/**
 * Ledger › Access report (`#/ledger/access`): who signed in, opened which patient, acted on the
 * quarantine or exported what, when and from which computer, each row with the signed entry that
 * proves it (its digest, and its leaf in the notary's log once countersigned). For one patient
 * (by name, looked up on this computer, or by pseudonym), an operator, a date range, or any mix;
 * exported as CSV into the data folder's exports.
 */
export function AccessReportView({ ledger, names }: { ledger: LedgerService; names: Readonly<Record<string, string>> }) {
  const headingId = useId();
  const subjectId = useId();
  const subjectHintId = useId();
  const operatorId = useId();
  const fromId = useId();
  const toId = useId();
  const [inputs, setInputs] = useState<ReportInputs>(EMPTY);
  // The query last asked for (the whole trail at first, newest first), what to say about it (a swap of reversed dates), and its answer.
  const [applied, setApplied] = useState<{ readonly query: AccessReportQuery; readonly attempt: number; readonly note: string }>({ query: {}, attempt: 0, note: '' });
  const key = `${applied.attempt}\u0000${JSON.stringify(applied.query)}`;
  const [answer, setAnswer] = useState<(Shown & { readonly key: string }) | null>(null);
  const [exported, setExported] = useState<{ readonly path: string; readonly rows: number; readonly file: ExportedFile } | null>(null);
  const operators = Object.entries(names)
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

  useEffect(() => {
    let current = true;
    const { query, note } = applied;
    ledger.accessReport(query).then(
      (report) => {
        if (current) setAnswer({ key, phase: 'ready', report, query, note });
      },
      (error: unknown) => {
        if (current) setAnswer({ key, phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
    // `key` names the query and the attempt exactly.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ledger, key]);
  const shown: Shown = answer !== null && answer.key === key ? answer : { phase: 'loading' };

  const show = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    // What the form holds as it is sent (never an older render's copy of it).
    const form = new FormData(event.currentTarget);
    const field = (name: keyof ReportInputs): string => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    const asked = { subject: field('subject'), operator: field('operator'), from: field('from'), to: field('to') };
    // Reversed dates are the range meant (as in the message browser): the form shows it, the report says so.
    const swapped = unreversedRange(asked);
    const sent = swapped === null ? asked : { ...asked, from: swapped.from, to: swapped.to };
    if (swapped !== null) setInputs((prev) => ({ ...prev, from: sent.from, to: sent.to }));
    const query = queryOf(sent);
    setExported(null);
    setApplied((prev) => ({ query, attempt: prev.attempt + 1, note: swapped?.note ?? '' }));
  };

  // Writing the report as a file is for the roles that export access reports (the body refuses the others).
  const current = useCurrentOperator();
  const role = current?.role ?? null;
  // Who printed it: a report handed to a regulator says who produced it (QA s35 T2 F5).
  const printedBy = current?.name ?? '';
  const mayExport = role === null || mayExportAccessReport(role);
  const exportCsv = useAction(async () => {
    if (shown.phase !== 'ready') return;
    setExported(null);
    setExported(await ledger.exportAccessReport(shown.query));
  });

  const set = (key: keyof ReportInputs) => (event: { target: { value: string } }) => {
    const value = event.target.value;
    setInputs((prev) => ({ ...prev, [key]: value }));
  };

  return (
    <section className={mayExport ? 'panel access-report' : 'panel access-report access-report--screen-only'} aria-labelledby={headingId}>
      <p className="no-print">
        <a href={hrefForPath('ledger')}>Back to the ledger</a>
      </p>
      <h2 id={headingId}>Access report</h2>
      <p className="muted">
        Who signed in, opened a patient, acted on the quarantine or exported data: when, from which computer, and the
        signed ledger entry that proves it. Names are looked up on this computer only.
      </p>
      <form className="ledger-filters" aria-label="Which accesses" onSubmit={show}>
        <div className="ledger-filters__row">
          <div className="field ledger-filters__subject">
            <label htmlFor={subjectId} className="field__label">
              Patient
            </label>
            <input id={subjectId} name="subject" type="search" className="input" value={inputs.subject} spellCheck={false} autoComplete="off" aria-describedby={subjectHintId} onChange={set('subject')} />
            <p id={subjectHintId} className="field__hint">
              The start of the patient’s name (family or given), or a subject pseudonym as an entry shows it (0x3c6896…43e3) or its start (0x3c6896, 3c6896). Empty: every
              patient, and acts about none (sign-ins, exports).
            </p>
          </div>
          <div className="field">
            <label htmlFor={operatorId} className="field__label">
              Operator
            </label>
            <select id={operatorId} name="operator" className="input select" value={inputs.operator} onChange={set('operator')}>
              <option value="">All operators</option>
              {operators.map((operator) => (
                <option key={operator.id} value={operator.id}>
                  {operator.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={fromId} className="field__label">
              From
            </label>
            <input id={fromId} name="from" type="date" className="input ledger-filters__date" value={inputs.from} onChange={set('from')} />
          </div>
          <div className="field">
            <label htmlFor={toId} className="field__label">
              To
            </label>
            <input id={toId} name="to" type="date" className="input ledger-filters__date" value={inputs.to} onChange={set('to')} />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button button--primary">
            Show report
          </button>
          {mayExport && (
            <button type="button" className="button" disabled={shown.phase !== 'ready' || exportCsv.busy} aria-busy={exportCsv.busy || undefined} onClick={() => void exportCsv.run()}>
              Export CSV
            </button>
          )}
          {/* The print dialog also saves a PDF; the printed page is the report alone, with full digests (data-full, ledger.css).
              A PDF takes the report out as a CSV does: the same roles (QA s32). */}
          {mayExport && (
            <button type="button" className="button" disabled={shown.phase !== 'ready'} onClick={() => window.print()}>
              Print or save as PDF
            </button>
          )}
          {exportCsv.busy && (
            <p role="status" className="form-actions__reason">
              Writing the report…
            </p>
          )}
          {!mayExport && role !== null && <p className="form-actions__reason">{accessReportExportRefusal(role)}</p>}
        </div>
      </form>
      <ActionError error={exportCsv.error} />
      {exported !== null && (
        <div className="note note--ok ledger-export">
          <p role="status">
            Exported {exported.rows === 1 ? '1 row' : `${exported.rows} rows`} to <code className="path">{exported.path}</code>
          </p>
          <p className="ledger-export__hint">The file names patients and operators: keep it as you would a printed report. Its export is itself in the ledger.</p>
          <SaveFileButton file={exported.file} label="Download report (CSV)" />
          <CopyButton variant="path" value={exported.path} label="Copy report path" />
        </div>
      )}
      {shown.phase === 'loading' && (
        <p role="status" className="loading-text">
          Reading the ledger…
        </p>
      )}
      {shown.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The report could not be made: {vaultErrorMessage(shown.error)}</p>
        </div>
      )}
      {shown.phase === 'ready' && (
        <p className="access-report__print-title">
          Printed {ledgerTime(new Date().toISOString())}
          {printedBy === '' ? '' : ` by ${printedBy}`} · {describeQuery(shown.query, shown.report, names)} · times and dates in local time: {localZoneLabel()}
        </p>
      )}
      {shown.phase === 'ready' && <ReportTable report={shown.report} query={shown.query} note={shown.note} labelledBy={headingId} />}
    </section>
  );
}

/**
 * A name, an action or a workstation in the report: wraps at spaces within a bounded width, so
 * that long operator names or host names cannot push the Notary column out of the panel at
 * 1,000 px (QA explore-11 D16); only a single word longer than that width is broken.
 */
function CellText({ children }: { children: string }) {
  return <span className="access-report__text">{children}</span>;
}

/**
 * When, as the ledger shows it: the date and the clock each whole (printed at A4 width the column may
 * wrap between them, never inside the date at its hyphens or inside the clock: QA11 D4).
 */
function ReportTime({ at }: { at: string }) {
  const text = ledgerTime(at);
  const space = text.indexOf(' ');
  if (space < 0) return <time dateTime={at}>{text}</time>;
  return (
    <time dateTime={at}>
      <span className="nowrap">{text.slice(0, space)}</span> <span className="nowrap">{text.slice(space + 1)}</span>
    </time>
  );
}

/** A patient as a report names them: the name and the shortened pseudonym (the pseudonym alone when no name is known here). */
function patientLabel(patient: { readonly subject: string; readonly name: string }): string {
  return patient.name === '' ? shortHash(patient.subject) : `${patient.name} (${shortHash(patient.subject)})`;
}

/**
 * Whom a patient filter found, in words: the patients matched (not the text typed: QA s35 T2 F5),
 * a few of many with how many more.
 */
function describePatients(matched: NonNullable<AccessReport['matched']>, typed: string | undefined): string {
  if (matched.count === 0) return typed === undefined ? 'no patient' : `no patient matching “${typed}”`;
  const listed = matched.patients.map(patientLabel).join('; ');
  const more = matched.count - matched.patients.length;
  if (matched.count === 1) return `patient ${listed}`;
  return `${matched.count} patients: ${listed}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What a printed report covers, in words (its dates are local calendar days). */
function describeQuery(query: AccessReportQuery, report: AccessReport, names: Readonly<Record<string, string>>): string {
  const parts = [
    report.matched !== undefined ? describePatients(report.matched, query.subject) : query.subject === undefined ? 'every patient and act' : `patient “${query.subject}”`,
    query.operator === undefined ? 'all operators' : `operator ${names[query.operator] ?? query.operator}`,
    // The range is of local calendar days (local-days.ts), the zone the title names after it.
    query.from === undefined && query.to === undefined ? 'all dates' : `${query.from ?? 'the start'} to ${query.to ?? 'today'} (local days)`,
  ];
  return parts.join(', ');
}

/** The rows, and above them how many; `note` says what became of the query (reversed dates swapped), '' for nothing. */
function ReportTable({ report, query, note, labelledBy }: { report: AccessReport; query: AccessReportQuery; note: string; labelledBy: string }) {
  const after = note === '' ? '' : ` ${note}`;
  if (report.rows.length === 0) {
    // "No such patient" and "no access recorded" are different answers (QA s35 T2 F4).
    const matched = report.matched;
    const why =
      matched === undefined
        ? 'No signed entry records such an access.'
        : matched.count === 0
          ? `No patient on this node matches “${query.subject ?? ''}” (a name, or a pseudonym the ledger holds).`
          : matched.count === 1
            ? `${patientLabel(matched.patients[0]!)} has no recorded access for these filters.`
            : `None of the ${matched.count} patients matching “${query.subject ?? ''}” has a recorded access for these filters.`;
    return (
      <p role="status" className="ledger-empty">
        {why}
        {after}
      </p>
    );
  }
  return (
    <>
      <p role="status" className="muted">
        {report.rows.length === 1 ? '1 row' : `${report.rows.length} rows`}, newest first{report.truncated ? ' (the newest 10,000; narrow the dates for older ones)' : ''}.{after}
      </p>
      <p className="muted access-report__order">{SIGNING_ORDER_NOTE}</p>
      <div className="table-wrap">
        <table className="data-table access-report__table" aria-labelledby={labelledBy}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Operator</th>
              <th scope="col">Action</th>
              <th scope="col">Patient</th>
              <th scope="col">Workstation</th>
              <th scope="col">Ledger entry</th>
              <th scope="col">Notary</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => (
              <tr key={`${row.seq}:${row.subject}`}>
                <td className="ledger-time">
                  <ReportTime at={row.at} />
                </td>
                <th scope="row">
                  {row.operatorName !== '' ? (
                    <CellText>{row.operatorName}</CellText>
                  ) : row.operator === '' ? (
                    'Node'
                  ) : (
                    // Another operator's name is for administrators and auditors (issue 11): the role in words,
                    // the pseudonym as the ledger signs it on hover and, printed, below (QA s35 T2 F6).
                    <>
                      <span title={`Ledger pseudonym ${ledgerPseudonym(row.operator)}`}>
                        <CellText>{otherOperatorWords(row.operatorRole)}</CellText>
                      </span>
                      <code className="hash access-report__print-only" data-full={ledgerPseudonym(row.operator)} aria-hidden="true" />
                    </>
                  )}
                </th>
                <td>
                  <CellText>{row.action}</CellText>
                </td>
                <td>
                  {row.subjectName !== '' ? (
                    <>
                      <CellText>{row.subjectName}</CellText>
                      {/* Printed, the pseudonym the ledger signs stands below the name, whole (QA s32 finding 6), from data-full
                          (ledger.css): no text of its own, so the cell reads as the name on screen and to a screen reader. */}
                      <code className="hash access-report__print-only" data-full={row.subject} aria-hidden="true" />
                    </>
                  ) : row.subject === '' ? (
                    <span className="muted">—</span>
                  ) : (
                    <code className="hash" title={row.subject} data-full={row.subject}>
                      {shortHash(row.subject)}
                    </code>
                  )}
                </td>
                <td>{row.workstation === '' ? <span className="muted">not recorded</span> : <CellText>{row.workstation}</CellText>}</td>
                <td>
                  <a href={hrefForPath('ledger', String(row.seq))} aria-label={`Entry ${row.seq}`}>
                    {row.seq}
                  </a>{' '}
                  <code className="hash" title={`Entry digest ${row.entryHash}`} data-full={row.entryHash}>
                    {shortHash(row.entryHash)}
                  </code>
                </td>
                <td className="access-report__notary">
                  {row.notary === undefined ? (
                    <span className="muted" title={NOTARY_NOT_YET}>
                      not yet
                    </span>
                  ) : (
                    `leaf ${row.notary.leafIndex}`
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.rows.some((row) => row.notary === undefined) && <p className="muted">Notary “not yet”: {NOTARY_NOT_YET}</p>}
    </>
  );
}
