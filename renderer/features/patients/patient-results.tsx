import { Fragment, useId, useMemo, useState } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import type { Observation } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../vault/vault-service';
import { FlagMarks } from './flag-marks';
import { FormattedText, formattedTextLines } from './formatted-text';
import { ObservationValue, UnitMark } from './observation-value';
import { abnormalFlags, conceptLabel, dayLabel, notNumberNote, observationParts, observationUnit, recordClock, recordDateTime, recordDay, recordValue, reportStatusLabel } from './record-format';
import { buildFlowsheet, correctionsOf, currentStatusOf, groupResults, type Corrections, type Flowsheet, type ObservationRow, type ResultGroup } from './results-model';
import { resultStatusMarker, resultStatusOf } from './result-status';
import { TrendChart } from './trend-chart';
import { sameUnit as isSameUnit } from './unit-conversion';

/** Reports shown before "Show more": a page with thousands of results stays quick to open. */
export const REPORTS_SHOWN = 10;
/** Days (columns) the flowsheet shows before "Show all days". */
export const FLOWSHEET_DAYS = 10;

type ResultsView = 'reports' | 'flowsheet' | 'trends';
const VIEW_LABELS: Readonly<Record<ResultsView, string>> = { reports: 'By report', flowsheet: 'Flowsheet', trends: 'Trends' };

/**
 * A patient's results (issue 11): by report (each report's results under it, with its comments),
 * as a flowsheet (tests × days), or as the trend of one numeric test against its reference range.
 */
export function PatientResults({ patientId, records }: { patientId: string; records: readonly RecordRow[] }) {
  const headingId = useId();
  const [view, setView] = useState<ResultsView>('reports');
  const corrections = useMemo(() => correctionsOf(records), [records]);
  const groups = useMemo(() => groupResults(records, corrections), [records, corrections]);
  // A result the lab withdrew (OBX-11 W) is listed, struck through, but is no result (T1 D2: "3 results").
  const withdrawn = groups.reduce((sum, group) => sum + group.results.filter((row) => corrections.withdrawn.has(row.recordId)).length, 0);
  const count = groups.reduce((sum, group) => sum + group.results.length, 0) - withdrawn;
  if (groups.length === 0) return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="results-header">
        <h2 id={headingId}>Results</h2>
        <div className="segmented" role="group" aria-label="Show results">
          {(Object.keys(VIEW_LABELS) as ResultsView[]).map((key) => (
            <button key={key} type="button" className="segmented__button" aria-pressed={view === key} onClick={() => setView(key)}>
              {VIEW_LABELS[key]}
            </button>
          ))}
        </div>
      </div>
      <p className="muted">
        {count === 1 ? '1 result' : `${count} results`} in {groups.length === 1 ? '1 report' : `${groups.length} reports`}
        {withdrawn === 0 ? '' : `; ${withdrawn} withdrawn by the lab (struck through)`}.
      </p>
      {view === 'reports' && <ResultsByReport patientId={patientId} groups={groups} corrections={corrections} />}
      {view === 'flowsheet' && <FlowsheetTable patientId={patientId} records={records} corrections={corrections} />}
      {view === 'trends' && <Trends records={records} corrections={corrections} />}
    </section>
  );
}

function ResultsByReport({ patientId, groups, corrections }: { patientId: string; groups: readonly ResultGroup[]; corrections: Corrections }) {
  const [shown, setShown] = useState(REPORTS_SHOWN);
  return (
    <>
      {groups.slice(0, shown).map((group) => (
        <ReportBlock key={group.key} patientId={patientId} group={group} corrections={corrections} />
      ))}
      {groups.length > shown && (
        <p>
          Showing the newest {shown} of {groups.length} reports.{' '}
          <button type="button" className="button" onClick={() => setShown((current) => current + REPORTS_SHOWN * 5)}>
            Show more reports
          </button>
        </p>
      )}
    </>
  );
}

function ReportBlock({ patientId, group, corrections }: { patientId: string; group: ResultGroup; corrections: Corrections }) {
  const headingId = useId();
  const report = group.report;
  const title = report === null ? 'Results without a report' : conceptLabel(report.record.code);
  const comments = report?.record.comments ?? [];
  return (
    <article className="report-block" aria-labelledby={headingId}>
      <h3 id={headingId} className="report-block__title">
        {report === null ? title : <a href={hrefForPath('patients', patientId, 'records', report.recordId)}>{title}</a>}
      </h3>
      <p className="report-block__meta muted">
        <time dateTime={group.time}>{recordDateTime(group.time)}</time>
        {report?.record.status === undefined ? '' : `, ${reportStatusLabel(report.record.status)}`}
        {report?.record.author === undefined ? '' : `, ${report.record.author}`}
      </p>
      {comments.length > 0 && (
        <div className="report-comments" role="note" aria-label="Report comments">
          {comments.map((comment, index) => (
            <p key={index} className="report-comments__item">
              <FormattedText text={comment} />
            </p>
          ))}
        </div>
      )}
      {group.earlierComments.length > 0 && (
        <div className="report-comments" role="note" aria-label="Comments on the earlier report">
          {group.earlierComments.map(({ report: earlier, comments: earlierComments }) => (
            <Fragment key={earlier.recordId}>
              <p className="report-comments__item muted">
                From the report of {recordDateTime(earlier.record.time)}
                {earlier.record.status === undefined ? '' : `, ${reportStatusLabel(earlier.record.status)}`}:
              </p>
              {earlierComments.map((comment, index) => (
                <p key={index} className="report-comments__item">
                  <FormattedText text={comment} />
                </p>
              ))}
            </Fragment>
          ))}
        </div>
      )}
      {group.results.length === 0 && group.deleted > 0 && (
        // T1 D3: the deleted result is gone, but its report's heading is not left empty without a word.
        <p className="muted" role="note" aria-label="Deleted results">
          {`No current result: ${group.deleted === 1 ? '1 result was' : `${group.deleted} results were`} deleted by the lab in a later message (the list of every record keeps ${group.deleted === 1 ? 'it' : 'them'}).`}
        </p>
      )}
      {group.results.length > 0 && (
        <div className="table-wrap">
          <table className="data-table result-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Value</th>
                <th scope="col">Reference range</th>
                <th scope="col">Flag</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {group.results.map((row) => (
                <ResultRow key={row.recordId} patientId={patientId} row={row} corrections={corrections} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

function ResultRow({ patientId, row, corrections }: { patientId: string; row: ObservationRow; corrections: Corrections }) {
  // A withdrawn result (OBX-11 W) is struck through and flags nothing: it is no current (critical) value (T1 D2).
  const withdrawn = corrections.withdrawn.has(row.recordId);
  const flags = withdrawn ? [] : abnormalFlags(row.record);
  const critical = flags.some((flag) => flag.critical);
  const comments = row.record.comments ?? [];
  return (
    <tr className={withdrawn ? 'result-table__row result-table__row--withdrawn' : critical ? 'result-table__row result-table__row--critical' : flags.length > 0 ? 'result-table__row result-table__row--flagged' : 'result-table__row'}>
      <th scope="row" className="result-table__test">
        <a href={hrefForPath('patients', patientId, 'records', row.recordId)}>{conceptLabel(row.record.code)}</a>
        {comments.map((comment, index) => (
          <span key={index} className="result-table__comment">
            <FormattedText text={comment} />
          </span>
        ))}
      </th>
      <td className="result-table__value">
        {withdrawn ? (
          <s>
            <ObservationValue record={row.record} />
          </s>
        ) : (
          <ObservationValue record={row.record} />
        )}
        <StatusMarker row={row} corrections={corrections} />
        {withdrawn ? null : <CorrectedFrom row={row} replaced={corrections.replaced.get(row.recordId)} />}
      </td>
      <td className="nowrap">{row.record.referenceRange ?? ''}</td>
      <td>
        <FlagMarks flags={flags} />
      </td>
      <td className="nowrap">
        <time dateTime={row.time}>{`${recordDay(row.time)} ${recordClock(row.time)}`}</time>
      </td>
    </tr>
  );
}

function FlowsheetTable({ patientId, records, corrections }: { patientId: string; records: readonly RecordRow[]; corrections: Corrections }) {
  const sheet: Flowsheet = useMemo(() => buildFlowsheet(records, corrections), [records, corrections]);
  const [allDays, setAllDays] = useState(false);
  const days = allDays ? sheet.days : sheet.days.slice(0, FLOWSHEET_DAYS);
  return (
    <>
      {sheet.days.length > FLOWSHEET_DAYS && (
        <p>
          {allDays ? `All ${sheet.days.length} days, newest first.` : `The newest ${FLOWSHEET_DAYS} of ${sheet.days.length} days.`}{' '}
          <button type="button" className="button" onClick={() => setAllDays((value) => !value)}>
            {allDays ? `Show the newest ${FLOWSHEET_DAYS}` : `Show all ${sheet.days.length} days`}
          </button>
        </p>
      )}
      <div className="table-wrap flowsheet-wrap">
        <table className="data-table flowsheet" aria-label="Flowsheet">
          <thead>
            <tr>
              <th scope="col" className="flowsheet__test">
                Test
              </th>
              {days.map((day) => (
                <th key={day} scope="col" className="flowsheet__day">
                  <time dateTime={day} title={dayLabel(day)}>
                    {day}
                  </time>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sheet.tests.map((test) => {
              const byDay = sheet.cells.get(test.key);
              return (
                <tr key={test.key}>
                  <th scope="row" className="flowsheet__test">
                    <span className="flowsheet__label">
                      {test.label}
                      {test.unit === '' ? null : (
                        <>
                          {' '}
                          <span className="flowsheet__unit">
                            (<UnitMark code={test.unit} />)
                          </span>
                        </>
                      )}
                    </span>
                  </th>
                  {days.map((day) => (
                    <td key={day} className="flowsheet__cell">
                      {(byDay?.get(day) ?? []).map((row) => (
                        <FlowsheetValue key={row.recordId} patientId={patientId} row={row} unit={test.unit} corrections={corrections} />
                      ))}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * One value in a flowsheet cell, after its clock time (a cell may hold several values of one day,
 * newest first): the unit only when it differs from the row's.
 */
function FlowsheetValue({ patientId, row, unit, corrections }: { patientId: string; row: ObservationRow; unit: string; corrections: Corrections }) {
  const withdrawn = corrections.withdrawn.has(row.recordId);
  const flags = withdrawn ? [] : abnormalFlags(row.record);
  const critical = flags.some((flag) => flag.critical);
  const sameUnit = (row.record.value.kind === 'numeric' || row.record.valueDetail?.kind === 'structured-numeric') && isSameUnit(observationUnit(row.record), unit);
  // A result with no value (a cancelled or pending one) links by its status, so the cell is never a bare time (T1 D1).
  const marker = resultStatusMarker(currentStatusOf(row, corrections));
  const empty = recordValue(row.record).trim() === '' && marker !== null;
  const value = empty ? marker : sameUnit ? observationParts(row.record).amount : <FlowsheetText record={row.record} />;
  return (
    <span className={withdrawn ? 'flowsheet__value flowsheet__value--withdrawn' : critical ? 'flowsheet__value flowsheet__value--critical' : flags.length > 0 ? 'flowsheet__value flowsheet__value--flagged' : 'flowsheet__value'}>
      <time className="flowsheet__time" dateTime={row.time} title={recordDateTime(row.time)}>
        {recordClock(row.time)}
      </time>{' '}
      <a href={hrefForPath('patients', patientId, 'records', row.recordId)} title={recordDateTime(row.time)}>
        {withdrawn ? <s>{value}</s> : value}
      </a>{' '}
      <FlagMarks flags={flags} />
      {empty ? null : <StatusMarker row={row} corrections={corrections} />}
      {withdrawn ? null : <CorrectedFrom row={row} replaced={corrections.replaced.get(row.recordId)} />}
    </span>
  );
}

/**
 * A result's status in words where its value alone would look final (OBX-11, result-status.ts):
 * "Preliminary", "Not verified", "Cancelled / not done", "Withdrawn by the lab (sent in error)"…
 * Nothing for a final or corrected result.
 */
function StatusMarker({ row, corrections }: { row: ObservationRow; corrections: Corrections }) {
  const marker = resultStatusMarker(currentStatusOf(row, corrections));
  return marker === null ? null : <span className="result-status">{marker}</span>;
}

/**
 * A value in a flowsheet cell that is not a number: text or a code ("Gram-positive cocci in
 * clusters") may wrap between its words so a few days fit the panel, never inside one (each word
 * is kept whole, hyphens included). Numbers, units and flags stay on one line.
 */
function FlowsheetText({ record }: { record: Observation }) {
  const { amount, unit } = observationParts(record);
  // Text sent under NM reads with its flag ("not a number: sent as NM"), as everywhere else.
  if (record.value.kind === 'numeric' || unit !== '' || notNumberNote(record) !== null) return <ObservationValue record={record} />;
  const lines = record.value.kind === 'text' && record.valueDetail === undefined ? formattedTextLines(amount) : [amount];
  return (
    <span className="flowsheet__text">
      {lines.map((line, index) => (
        <Fragment key={index}>
          {index > 0 && <br />}
          {line.split(/(\s+)/).map((part, at) => (part.trim() === '' ? part : <span key={at} className="flowsheet__word">{part}</span>))}
        </Fragment>
      ))}
    </span>
  );
}

function Trends({ records, corrections }: { records: readonly RecordRow[]; corrections: Corrections }) {
  const selectId = useId();
  const sheet = useMemo(() => buildFlowsheet(records, corrections), [records, corrections]);
  const noteId = useId();
  const tests = sheet.tests.filter((test) => test.trend);
  // Tests with fewer than two numeric results have no line to draw: named, never left out silently (QA s32 t3 #3).
  const leftOut = sheet.tests
    .filter((test) => !test.trend)
    .map((test) => `${test.label} (${test.numericResults === 0 ? 'no numeric result' : 'one numeric result'})`)
    .join(', ');
  const [chosen, setChosen] = useState<string | null>(null);
  const current = tests.find((test) => test.key === chosen) ?? tests[0];
  if (current === undefined) return <p>No test has two or more numeric results yet: there is no trend to draw.{leftOut === '' ? '' : ` The flowsheet shows ${leftOut}.`}</p>;
  return (
    <>
      <div className="trend-picker">
        <label htmlFor={selectId}>Test</label>
        <select id={selectId} className="input select" value={current.key} onChange={(event) => setChosen(event.target.value)} aria-describedby={leftOut === '' ? undefined : noteId}>
          {tests.map((test) => (
            <option key={test.key} value={test.key}>
              {test.label}
            </option>
          ))}
        </select>
      </div>
      {leftOut === '' ? null : (
        <p id={noteId} className="trend-picker__note muted">
          Not in this list (fewer than two numeric results; the flowsheet shows them): {leftOut}.
        </p>
      )}
      <TrendChart key={current.key} records={records} testKey={current.key} corrections={corrections} />
    </>
  );
}

/**
 * What a current result replaced (D0), as a note under it, never as results of their own: the
 * value it corrected (or the preliminary one a final result replaced), then any older ones.
 */
function CorrectedFrom({ row, replaced }: { row: ObservationRow; replaced: readonly ObservationRow[] | undefined }) {
  const [previous, ...older] = replaced ?? [];
  if (previous === undefined) return null;
  const before = older.length === 0 ? '' : `; before that ${older.map((earlier) => replacedValue(earlier)).join(', ')}`;
  const text = resultStatusOf(row.record) === 'C' ? `Corrected from ${replacedValue(previous)}` : `${replacedKind(previous)} was ${replacedValue(previous)}`;
  return <span className="result-corrected">{`${text}${before}`}</span>;
}

/** An earlier version's value, or its status when it had none ("pending (specimen in lab)"). */
function replacedValue(row: ObservationRow): string {
  const value = recordValue(row.record);
  if (value.trim() !== '') return value;
  return (resultStatusMarker(resultStatusOf(row.record)) ?? 'no value').toLowerCase();
}

/** What a replaced version was: "Preliminary result", "Unverified result", "Partial result", "Earlier final result" (an F the lab sent again), "Earlier result". */
function replacedKind(row: ObservationRow): string {
  const words: Readonly<Record<string, string>> = { P: 'Preliminary result', R: 'Unverified result', S: 'Partial result', F: 'Earlier final result' };
  return words[resultStatusOf(row.record)] ?? 'Earlier result';
}
