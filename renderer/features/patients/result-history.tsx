import { useId, useMemo } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import { Fact } from '../../app/fact';
import type { RecordRow } from '../../vault/vault-service';
import { recordValue } from './record-format';
import { resultStatusLabel, resultStatusOf } from './result-status';
import { correctionsOf, currentStatusOf, type Corrections, type ObservationRow } from './results-model';

/**
 * A result's other versions on its record page: what replaced, withdrew (OBX-11 W), deleted (D) or
 * made final (U) this result, and what it replaces, withdraws, deletes or makes final, each a link.
 * A clinician landing on a struck-through result finds the one that took its place, and back
 * (results-model.ts correctionsOf decides, as for the lists). Nothing when the result has no other version.
 */
export function ResultHistory({ row, results }: { row: RecordRow; results: readonly RecordRow[] }) {
  const headingId = useId();
  const corrections = useMemo(() => correctionsOf(results), [results]);
  const byId = useMemo(() => new Map(results.map((result) => [result.recordId, result])), [results]);
  const id = row.recordId;
  const withdrawn = corrections.withdrawn.has(id);
  const deletedBy = corrections.deletedBy.get(id);
  const replacedBy = corrections.replacedBy.get(id);
  // A W is in `replacedBy` of what it withdrew: that is "Withdrawn by"; what came after the W is "Replaced by".
  const withdrawnBy = withdrawn && replacedBy !== undefined && replacedBy.recordId !== id ? replacedBy : undefined;
  const facts: [term: string, rows: readonly ObservationRow[]][] = [
    ['Withdrawn by', withdrawnBy === undefined ? [] : [withdrawnBy]],
    ['Deleted by', deletedBy === undefined ? [] : [deletedBy]],
    ['Made final by', once(corrections.madeFinalBy.get(id))],
    ['Replaced by', once(withdrawn || deletedBy !== undefined ? corrections.succeededBy.get(id) : replacedBy)],
    // Newest first, as `replaced` keeps them; the withdrawn or deleted results it took the place of after them.
    [row.record.type === 'observation' && resultStatusOf(row.record) === 'W' ? 'Withdraws' : 'Replaces', [...(corrections.replaced.get(id) ?? []), ...(corrections.succeeds.get(id) ?? [])]],
    ['Deletes', reverse(corrections.deletedBy, id, byId)],
    ['Makes final', reverse(corrections.madeFinalBy, id, byId)],
  ];
  const shown = facts.filter(([, rows]) => rows.length > 0);
  if (shown.length === 0) return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>History of this result</h2>
      <dl className="facts">
        {shown.map(([term, rows]) => (
          <Fact key={term} term={term}>
            <ul className="plain-list">
              {rows.map((other) => (
                <li key={other.recordId}>
                  <a href={hrefForPath('patients', row.patientId, 'records', other.recordId)}>{versionText(other, corrections)}</a>
                </li>
              ))}
            </ul>
          </Fact>
        ))}
      </dl>
    </section>
  );
}

function once(row: ObservationRow | undefined): readonly ObservationRow[] {
  return row === undefined ? [] : [row];
}

/** The results a map sends to `recordId` (the results a D deleted, a U made final), in the lab's order. */
function reverse(map: ReadonlyMap<string, ObservationRow>, recordId: string, byId: ReadonlyMap<string, RecordRow>): ObservationRow[] {
  const out: ObservationRow[] = [];
  for (const [earlierId, by] of map) {
    const earlier = byId.get(earlierId);
    if (by.recordId === recordId && earlier !== undefined) out.push(earlier as ObservationRow);
  }
  return out;
}

/** "Potassium 6.9 mmol/L (withdrawn by the lab; message ORU-10)": the value, what became of it, and which message sent it. */
function versionText(row: ObservationRow, corrections: Corrections): string {
  const state = corrections.withdrawn.has(row.recordId)
    ? 'withdrawn by the lab'
    : corrections.deletedBy.has(row.recordId)
      ? 'deleted'
      : resultStatusLabel(currentStatusOf(row, corrections)).toLowerCase();
  const value = recordValue(row.record).trim();
  const message = row.source.messageId === undefined ? '' : `; message ${row.source.messageId}`;
  return `${row.record.code.display || row.record.code.code}${value === '' ? '' : ` ${value}`} (${state}${message})`;
}
