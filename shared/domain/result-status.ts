import type { Observation } from './clinical';

/**
 * The rules of a result's OBX-11 status (HL7 table 0085) that the patient views and the research
 * export both follow (renderer/features/patients/result-status.ts has each code in the table's
 * words and what the views show; results-model.ts applies the replacing rules across results).
 * The mapping stores F, C and P as `status` and any other code in `resultStatus` (with an
 * approximated `status`), so the code read is `resultStatus` when there is one.
 */

export type ResultStatusCode = string;

/** The OBX-11 code a result was sent with (F when it was empty). */
export function resultStatusOf(record: Pick<Observation, 'status' | 'resultStatus'>): ResultStatusCode {
  const code = (record.resultStatus ?? record.status).trim().toUpperCase();
  return code === '' ? 'F' : code;
}

/**
 * Statuses whose value is a result: F, C, U (made final), and the provisional P, R, S. Never I
 * (pending), X (cannot be obtained), W (posted as wrong), D (deletes an earlier one), N (not
 * asked), O (order detail only), nor a code of a later HL7 version: the views never chart their
 * value and the research export never releases it as a result.
 */
const VALUE_STATUSES: ReadonlySet<string> = new Set(['F', 'C', 'U', 'P', 'R', 'S']);

export function isValueStatus(code: ResultStatusCode): boolean {
  return VALUE_STATUSES.has(code);
}

/** Not yet final: preliminary, not verified, partial (a later F, C or newer one replaces it; U makes it final). */
export function isProvisionalStatus(code: ResultStatusCode): boolean {
  return code === 'P' || code === 'R' || code === 'S';
}

/** W ("post original as wrong", e.g. sent for the wrong patient) and D ("deletes the OBX record"): no result of the patient at all. */
export function isRetractionStatus(code: ResultStatusCode): boolean {
  return code === 'W' || code === 'D';
}
