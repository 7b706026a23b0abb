/**
 * A date range (`YYYY-MM-DD`, either end may be empty for "open") as the person meant it: From
 * after To is taken as the range the other way round, with a sentence saying so. Searching the
 * reversed range would find nothing and say only that nothing matched, as if nothing had happened
 * in those days. Used by every form that searches by dates (the message browser, the access report).
 */
export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** The range in order and the note saying it was swapped; null when it is in order (or open at an end). */
export function unreversedRange(range: DateRange): { readonly from: string; readonly to: string; readonly note: string } | null {
  if (range.from === '' || range.to === '' || range.from <= range.to) return null;
  return { from: range.to, to: range.from, note: `The dates were in reverse order (from ${range.from} to ${range.to}), so they were swapped.` };
}
