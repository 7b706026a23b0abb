import { useMemo, useState } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import type { RecordRow } from '../../vault/vault-service';
import { FlagMarks } from './flag-marks';
import { ObservationValue } from './observation-value';
import { abnormalFlags, dayLabel, groupByDay, localDateTime, recordClock, recordName, recordTypeLabel, recordValue, sortNewestFirst, timeIsReceipt, undatedText } from './record-format';
import { correctionsOf, currentStatusOf, repeatedAllergies, type Corrections, type ObservationRow } from './results-model';
import { resultStatusMarker, resultStatusOf } from './result-status';

/** Records listed before "Show all": a patient with thousands of results opens as fast as one with a few. */
export const RECORDS_SHOWN = 100;

/**
 * A patient's records, newest first, one row group per day; each name opens the record's detail.
 * An allergy repeated unchanged by a later message is one row (its newest record).
 * The newest RECORDS_SHOWN at first (whole days), all of them on request.
 */
export function RecordTable({ patientId, records, labelledBy }: { patientId: string; records: readonly RecordRow[]; labelledBy: string }) {
  const [all, setAll] = useState(false);
  // An allergy a later message repeats unchanged is listed once, at its newest (QA D6: an A08 resending the A04's AL1).
  const sorted = useMemo(() => {
    const repeated = repeatedAllergies(records);
    return sortNewestFirst(repeated.size === 0 ? records : records.filter((row) => !repeated.has(row.recordId)));
  }, [records]);
  const corrections = useMemo(() => correctionsOf(records), [records]);
  const shown = all || sorted.length <= RECORDS_SHOWN ? sorted : sorted.slice(0, RECORDS_SHOWN);
  const days = groupByDay(shown);
  return (
    <>
    <div className="table-wrap record-table-wrap">
      <table className="data-table record-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
            <th scope="col">Reference range</th>
            <th scope="col">Flag</th>
          </tr>
        </thead>
        {days.map(({ day, rows }) => (
          <tbody key={day}>
            <tr className="record-table__day">
              <th scope="rowgroup" colSpan={6}>
                {dayLabel(day)}
              </th>
            </tr>
            {rows.map((row) => {
              const replacedBy = corrections.replacedBy.get(row.recordId);
              const deletedBy = corrections.deletedBy.get(row.recordId);
              // Withdrawn (OBX-11 W, and the original it posts as wrong) or deleted (D): history, never a current (critical) value (T1 D2, D3).
              const gone = corrections.withdrawn.has(row.recordId) || deletedBy !== undefined;
              const flags = gone || replacedBy !== undefined ? [] : abnormalFlags(row.record);
              const flagClasses = gone
                ? ' record-table__row--withdrawn'
                : replacedBy !== undefined
                  ? ' record-table__row--superseded'
                  : `${flags.length > 0 ? ' record-table__row--flagged' : ''}${flags.some((flag) => flag.critical) ? ' record-table__row--critical' : ''}`;
              return (
                <tr key={row.recordId} className={`record-table__row${flagClasses}`}>
                  <td className="record-table__time">
                    {timeIsReceipt(row.record) ? (
                      // No date of its own (T1 D6): filed by when it was recorded, and saying so, in local time.
                      <time dateTime={row.time} title={`${undatedText(row.record)}; recorded on ${localDateTime(row.time)}`}>
                        recorded {localDateTime(row.time).slice(11, 16)}
                      </time>
                    ) : (
                      <time dateTime={row.time}>{recordClock(row.time)}</time>
                    )}
                  </td>
                  <td>{recordTypeLabel(row.record)}</td>
                  <th scope="row" className="record-table__name">
                    <a href={hrefForPath('patients', patientId, 'records', row.recordId)}>{recordName(row.record)}</a>
                  </th>
                  <td className="record-table__value">
                    {row.record.type === 'observation' && (gone || replacedBy !== undefined) ? (
                      // Kept in the history, but no longer the result (QA D0): struck through, naming what replaced, withdrew or deleted it.
                      <>
                        <s>
                          <ObservationValue record={row.record} />
                        </s>
                        <span className={gone ? 'result-status' : 'result-corrected'}>{historyNote(corrections.withdrawn.has(row.recordId), deletedBy, replacedBy)}</span>
                      </>
                    ) : row.record.type === 'observation' ? (
                      <>
                        <ObservationValue record={row.record} />
                        {statusMarker(row as ObservationRow, corrections)}
                      </>
                    ) : (
                      recordValue(row.record)
                    )}
                  </td>
                  <td>{row.record.type === 'observation' ? (row.record.referenceRange ?? '') : ''}</td>
                  <td>
                    <FlagMarks flags={flags} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
    </div>
    {shown.length < sorted.length && (
      <p>
        Showing the newest {shown.length} of {sorted.length} records.{' '}
        <button type="button" className="button" onClick={() => setAll(true)}>
          Show all {sorted.length} records
        </button>
      </p>
    )}
    </>
  );
}

/** Why a result in the history is no longer current: withdrawn, deleted, or replaced by a newer version (with its value and status). */
function historyNote(withdrawn: boolean, deletedBy: ObservationRow | undefined, replacedBy: ObservationRow | undefined): string {
  if (withdrawn) return 'Withdrawn by the lab (sent in error)';
  if (deletedBy !== undefined) return 'Deleted by a later message';
  if (replacedBy === undefined) return '';
  const status = resultStatusOf(replacedBy.record);
  const value = recordValue(replacedBy.record);
  const how = status === 'C' ? 'corrected' : status === 'F' ? 'final' : (resultStatusMarker(status) ?? status).toLowerCase();
  return value.trim() === '' ? `Replaced by a later result (${how})` : `Replaced by ${value} (${how})`;
}

/** A current result's status in words where its value alone would look final ("Preliminary", "Deletes an earlier result"…). */
function statusMarker(row: ObservationRow, corrections: Corrections) {
  const marker = resultStatusMarker(currentStatusOf(row, corrections));
  return marker === null ? null : <span className="result-status">{marker}</span>;
}
