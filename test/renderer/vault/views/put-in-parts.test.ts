import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { GET_PART_KEYS, getInParts, PUT_PART_ROWS, putInParts } from '../../../../renderer/vault/views/put-in-parts';

describe('putInParts', () => {
  it('puts every row in calls of at most PUT_PART_ROWS, one after the other, inside the caller’s transaction', async () => {
    const db = new Dexie('put-in-parts', { indexedDB: new IDBFactory(), IDBKeyRange });
    db.version(1).stores({ rows: 'id' });
    await db.open();
    const table = db.table<{ id: number; value: string }>('rows');
    const rows = Array.from({ length: PUT_PART_ROWS * 2 + 7 }, (_, id) => ({ id, value: `row ${id}` }));
    const calls: number[] = [];
    const bulkPut = table.bulkPut.bind(table);
    const spy = vi.spyOn(table, 'bulkPut').mockImplementation((items: readonly { id: number; value: string }[]) => {
      calls.push(items.length);
      return bulkPut(items);
    });
    await db.transaction('rw', table, () => putInParts(table, rows));
    expect(calls).toEqual([PUT_PART_ROWS, PUT_PART_ROWS, 7]);
    expect(await table.count()).toBe(rows.length);
    expect(await table.get(PUT_PART_ROWS * 2 + 6)).toEqual({ id: PUT_PART_ROWS * 2 + 6, value: `row ${PUT_PART_ROWS * 2 + 6}` });
    await putInParts(table, []);
    expect(calls).toHaveLength(3);
    spy.mockRestore();
    db.close();
  });
});

describe('getInParts', () => {
  it('reads every key in calls of at most GET_PART_KEYS, the rows in the order of the keys, inside or outside a transaction', async () => {
    const db = new Dexie('get-in-parts', { indexedDB: new IDBFactory(), IDBKeyRange });
    db.version(1).stores({ rows: 'id' });
    await db.open();
    const table = db.table<{ id: number; value: string }, number>('rows');
    await table.bulkPut(Array.from({ length: GET_PART_KEYS * 2 }, (_, id) => ({ id, value: `row ${id}` })));
    // Reversed, with keys that hold no row in between.
    const keys = Array.from({ length: GET_PART_KEYS * 2 + 7 }, (_, index) => GET_PART_KEYS * 2 + 6 - index);
    const calls: number[] = [];
    const bulkGet = table.bulkGet.bind(table);
    const spy = vi.spyOn(table, 'bulkGet').mockImplementation((items: number[]) => {
      calls.push(items.length);
      return bulkGet(items);
    });
    const expected = keys.map((id) => (id < GET_PART_KEYS * 2 ? { id, value: `row ${id}` } : undefined));
    expect(await getInParts(table, keys)).toEqual(expected);
    expect(calls).toEqual([GET_PART_KEYS, GET_PART_KEYS, 7]);
    expect(await db.transaction('r', table, () => getInParts(table, keys))).toEqual(expected);
    expect(await getInParts(table, [])).toEqual([]);
    expect(calls).toHaveLength(6);
    spy.mockRestore();
    db.close();
  });
});
