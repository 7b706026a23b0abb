import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { PUT_PART_ROWS, putInParts } from '../../../../renderer/vault/views/put-in-parts';

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
