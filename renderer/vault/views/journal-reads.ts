/**
 * How the mind reads the journal in parts (the views' replay, the ledger writer). An answer of
 * 500 intake records is megabytes of JSON that Chromium receives and parses in one main-thread
 * task, so reads are smaller; and they end on a multiple of JOURNAL_READ_PART because the body
 * finds a cursor from an index of every 256th record and steps over the records before it within
 * that stretch (electron/storage/journal.ts; by their length, but it still reads their bytes):
 * reads that start on the boundary step over nothing.
 */
export const JOURNAL_READ_PART = 256;

/** The `limit` for a journal.read after `after`: at most `wanted`, ending on a part boundary. */
export function readLimitAfter(after: number, wanted: number = JOURNAL_READ_PART): number {
  return Math.max(1, Math.min(wanted, JOURNAL_READ_PART - (after % JOURNAL_READ_PART)));
}
