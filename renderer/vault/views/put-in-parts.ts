import type { Table } from 'dexie';

/**
 * Rows per bulkPut inside a page's write transaction. IndexedDB clones every row of one call on
 * the main thread in one task, so a page's rows are put in parts of this many, each call awaited
 * (the transaction stays open while its requests run): with pages of 2,048 records (journal-replay.ts
 * READS_PER_PAGE) a table put whole made tasks of 200 ms and more while a user worked.
 */
export const PUT_PART_ROWS = 256;

/**
 * Keys per bulkGet. A bulkGet issues one request per key in one task and reads every answer in
 * the task of the last one: a page's 1,000 and more patient rows (each with its list of tokens) or
 * alias rows read in one call made main-thread tasks of 100–190 ms during an ingest.
 */
export const GET_PART_KEYS = 256;

/** `table.bulkPut(rows)` in parts of PUT_PART_ROWS, one after the other, in the caller's transaction. */
export async function putInParts<T>(table: Table<T>, rows: readonly T[]): Promise<void> {
  for (let start = 0; start < rows.length; start += PUT_PART_ROWS) await table.bulkPut(rows.slice(start, start + PUT_PART_ROWS));
}

/**
 * `table.bulkGet(keys)` in parts of GET_PART_KEYS, one after the other (in the caller's
 * transaction, if any: each part is awaited, no other task comes between): the rows in the order
 * of `keys`, undefined where none.
 */
export async function getInParts<T, K>(table: Table<T, K>, keys: readonly K[]): Promise<(T | undefined)[]> {
  const rows: (T | undefined)[] = [];
  for (let start = 0; start < keys.length; start += GET_PART_KEYS) {
    for (const row of await table.bulkGet(keys.slice(start, start + GET_PART_KEYS))) rows.push(row);
  }
  return rows;
}
