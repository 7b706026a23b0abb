import type { Observation } from '../../../shared/domain/clinical';

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

export type ResultStatusCode = string;

/** The OBX-11 code a result was sent with (F when it was empty). */
export function resultStatusOf(record: Observation): ResultStatusCode {
  const code = (record.resultStatus ?? record.status).trim().toUpperCase();
  return code === '' ? 'F' : code;
}

interface StatusWords {
  /** The record page's "Status". */
  readonly label: string;
  /** The marker on a result's row, flowsheet cell and trend point; null when the plain value says it. */
  readonly marker: string | null;
  /** Whether a numeric result with this status is drawn in a trend. */
  readonly charted: boolean;
}

const STATUS: Readonly<Record<string, StatusWords>> = {
  F: { label: 'Final', marker: null, charted: true },
  C: { label: 'Corrected', marker: null, charted: true },
  U: { label: 'Final (made final by a later message)', marker: null, charted: true },
  P: { label: 'Preliminary', marker: 'Preliminary', charted: true },
  R: { label: 'Not verified (results entered, not verified)', marker: 'Not verified', charted: true },
  S: { label: 'Partial result', marker: 'Partial result', charted: true },
  I: { label: 'Pending (specimen in lab)', marker: 'Pending (specimen in lab)', charted: false },
  X: { label: 'Cancelled / not done (results cannot be obtained)', marker: 'Cancelled / not done', charted: false },
  W: { label: 'Withdrawn by the lab (sent in error)', marker: 'Withdrawn by the lab (sent in error)', charted: false },
  D: { label: 'Deletes an earlier result (sent by the lab)', marker: 'Deletes an earlier result', charted: false },
  N: { label: 'Not asked (not sought)', marker: 'Not asked', charted: false },
  O: { label: 'Order detail only (no result)', marker: 'Order detail only (no result)', charted: false },
};

function wordsOf(code: ResultStatusCode): StatusWords {
  return STATUS[code] ?? { label: `Status ${code} (as sent)`, marker: `Status ${code} (as sent)`, charted: false };
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
  return wordsOf(code).charted;
}

/** Not yet final: preliminary, not verified, partial (a later F, C or newer one replaces it; U makes it final). */
export function isProvisionalStatus(code: ResultStatusCode): boolean {
  return code === 'P' || code === 'R' || code === 'S';
}
