import type { Table } from 'dexie';

/**
 * Rows per bulkPut inside a page's write transaction. IndexedDB clones every row of one call on
 * the main thread in one task, so a page's rows are put in parts of this many, each call awaited
 * (the transaction stays open while its requests run): with pages of 2,048 records (journal-replay.ts
 * READS_PER_PAGE) a table put whole made tasks of 200 ms and more while a user worked.
 */
export const PUT_PART_ROWS = 256;

/** `table.bulkPut(rows)` in parts of PUT_PART_ROWS, one after the other, in the caller's transaction. */
export async function putInParts<T>(table: Table<T>, rows: readonly T[]): Promise<void> {
  for (let start = 0; start < rows.length; start += PUT_PART_ROWS) await table.bulkPut(rows.slice(start, start + PUT_PART_ROWS));
}
