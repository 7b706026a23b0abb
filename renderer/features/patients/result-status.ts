import { isValueStatus, type ResultStatusCode } from '../../../shared/domain/result-status';

// The status rules the research export follows too live in shared/domain/result-status.ts.
export { isProvisionalStatus, resultStatusOf, type ResultStatusCode } from '../../../shared/domain/result-status';

/**
 * A result's status (HL7 OBX-11, table 0085) in words, and what each one lets a view do with the
 * result. The mapping stores F, C and P as `status` and any other code in `resultStatus` (with an
 * approximated `status`), so the code read here is `resultStatus` when there is one: records stored
 * before this read the same way (T1 D1: an X was shown as a preliminary result with no value).
 *
 * Table 0085 in its own words, and what the views do (results-model.ts applies the replacing rules):
 * - F "Final results; can only be changed with a corrected result": the result.
 * - C "Record coming over is a correction and thus replaces a final result": replaces the earlier
 *   result of the same test in the same order (any status but W and D), "Corrected from …".
 * - P "Preliminary results", R "Results entered – not verified", S "Partial results": shown with
 *   "Preliminary", "Not verified" or "Partial result" on every row, cell and trend point; charted;
 *   a later F, C, P, R, S, X replaces them.
 * - I "Specimen in lab; results pending": "Pending (specimen in lab)", never charted; replaced by
 *   any later result of the test.
 * - X "Results cannot be obtained for this observation": "Cancelled / not done", never charted;
 *   replaces a pending or preliminary result (I, P, R, S), never a final one.
 * - W "Post original as wrong, e.g., transmitted for wrong patient": the original (and the W
 *   itself) is withdrawn: struck through, "Withdrawn by the lab (sent in error)", never charted,
 *   never a current (critical) value.
 * - D "Deletes the OBX record": the earlier result is removed from the report, flowsheet and trend
 *   (the list of every record keeps it, struck through, "Deleted by a later message"); the D itself
 *   is no result.
 * - U "Results status change to final without retransmitting results already sent as
 *   'preliminary'": the preliminary result it follows becomes final (the U itself is not shown
 *   again); a U with nothing before it is a final result.
 * - N "Not asked; used to affirmatively document that the observation identified in the OBX was
 *   not sought…": "Not asked", never charted.
 * - O "Order detail description only (no result)": "Order detail only (no result)", never charted.
 * - Any other code (a later HL7 version's): shown as sent ("Status A (as sent)"), never charted.
 */

interface StatusWords {
  /** The record page's "Status". */
  readonly label: string;
  /** The marker on a result's row, flowsheet cell and trend point; null when the plain value says it. */
  readonly marker: string | null;
}

const STATUS: Readonly<Record<string, StatusWords>> = {
  F: { label: 'Final', marker: null },
  C: { label: 'Corrected', marker: null },
  U: { label: 'Final (made final by a later message)', marker: null },
  P: { label: 'Preliminary', marker: 'Preliminary' },
  R: { label: 'Not verified (results entered, not verified)', marker: 'Not verified' },
  S: { label: 'Partial result', marker: 'Partial result' },
  I: { label: 'Pending (specimen in lab)', marker: 'Pending (specimen in lab)' },
  X: { label: 'Cancelled / not done (results cannot be obtained)', marker: 'Cancelled / not done' },
  W: { label: 'Withdrawn by the lab (sent in error)', marker: 'Withdrawn by the lab (sent in error)' },
  D: { label: 'Deletes an earlier result (sent by the lab)', marker: 'Deletes an earlier result' },
  N: { label: 'Not asked (not sought)', marker: 'Not asked' },
  O: { label: 'Order detail only (no result)', marker: 'Order detail only (no result)' },
};

function wordsOf(code: ResultStatusCode): StatusWords {
  return STATUS[code] ?? { label: `Status ${code} (as sent)`, marker: `Status ${code} (as sent)` };
}

/** The status in words, for the record page (never "shown as preliminary"). */
export function resultStatusLabel(code: ResultStatusCode): string {
  return wordsOf(code).label;
}

/** The words a row, a flowsheet cell and a trend point carry for this status; null for a final or corrected result. */
export function resultStatusMarker(code: ResultStatusCode): string | null {
  return wordsOf(code).marker;
}

/** Whether a numeric result with this status is drawn (never a pending, cancelled, withdrawn, deleted or not-asked one). */
export function isChartedStatus(code: ResultStatusCode): boolean {
  return isValueStatus(code);
}
