import { describe, expect, it } from 'vitest';
import { OpenedRows } from '../../../../renderer/vault/views/opened-rows';
import type { MessagePayload } from '../../../../renderer/vault/views/intake-rows';
import type { ViewRecord } from '../../../../renderer/vault/vault-service';

const PAYLOAD = { records: [] } as unknown as MessagePayload;
const records = (n: number) => Array.from({ length: n }, () => ({ type: 'visit' }) as unknown as ViewRecord);

describe('OpenedRows: rows a session decrypted and checked already', () => {
  it('serves a row only while its stored ciphertext is the same bytes, and keeps its own copy of them', () => {
    const opened = new OpenedRows();
    const enc = Uint8Array.of(1, 2, 3, 4);
    opened.set({ id: 'p.1', enc }, PAYLOAD, records(2));
    expect(opened.get({ id: 'p.1', enc: Uint8Array.of(1, 2, 3, 4) })?.records).toHaveLength(2);
    // The caller's buffer changing later does not change what was opened.
    enc[0] = 9;
    expect(opened.get({ id: 'p.1', enc: Uint8Array.of(1, 2, 3, 4) })).toBeDefined();
    // Written again since (another IV, other bytes): not served, and forgotten.
    expect(opened.get({ id: 'p.1', enc: Uint8Array.of(1, 2, 3, 5) })).toBeUndefined();
    expect(opened.get({ id: 'p.1', enc: Uint8Array.of(1, 2, 3, 4) })).toBeUndefined();
    expect(opened.size).toBe(0);
  });

  it('holds at most its bound of records, forgetting the least recently used rows; clear forgets all', () => {
    const opened = new OpenedRows(10);
    opened.set({ id: 'a', enc: Uint8Array.of(1) }, PAYLOAD, records(4));
    opened.set({ id: 'b', enc: Uint8Array.of(2) }, PAYLOAD, records(4));
    // 'a' used again: 'b' is now the oldest.
    expect(opened.get({ id: 'a', enc: Uint8Array.of(1) })).toBeDefined();
    opened.set({ id: 'c', enc: Uint8Array.of(3) }, PAYLOAD, records(4));
    expect(opened.get({ id: 'b', enc: Uint8Array.of(2) })).toBeUndefined();
    expect(opened.get({ id: 'a', enc: Uint8Array.of(1) })).toBeDefined();
    expect(opened.get({ id: 'c', enc: Uint8Array.of(3) })).toBeDefined();
    opened.clear();
    expect(opened.size).toBe(0);
    expect(opened.get({ id: 'a', enc: Uint8Array.of(1) })).toBeUndefined();
  });
});
