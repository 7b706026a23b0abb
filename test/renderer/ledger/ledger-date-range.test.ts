import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerService, type LedgerServiceHost } from '../../../renderer/ledger/create-ledger-service';
import type { LedgerReader } from '../../../renderer/ledger/ledger-reader';
import type { LedgerRow } from '../../../renderer/ledger/ledger-rows';
import { localZoneLabel, rangeEnd, rangeStart } from '../../../renderer/ledger/local-days';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { ledgerDomain } from '../../../shared/ledger/ledger-schema';

/**
 * Tester's finding 1 (QA s32): the access report's and the Ledger's From/To are the local calendar
 * days the person sees, not UTC days. The computer here is in Pacific/Auckland (UTC+13 in December,
 * +12 in winter; DST ends 2026-04-05 03:00 → 02:00 and begins 2026-09-27 02:00 → 03:00).
 */
const SUBJECT = `0x${'11'.repeat(32)}`;
const OPERATOR = `0x${'ad'.repeat(32)}`;

function access(seq: number, at: string): LedgerRow {
  const createdAt = Date.parse(at);
  return { seq, journalSeq: seq, kind: 'ACCESS', subject: SUBJECT, operator: OPERATOR, createdAt, coversTo: seq, entry: { seq }, signature: '0x', summary: { opened: 'patient page', at } };
}

const ROWS: readonly LedgerRow[] = [
  // 2026-12-07 11:40 in Auckland.
  access(1, '2026-12-06T22:40:00.000Z'),
  // 2026-12-06 23:59:30 in Auckland.
  access(2, '2026-12-06T10:59:30.000Z'),
  // 2026-04-05 23:30 in Auckland, on the 25-hour day DST ends.
  access(3, '2026-04-05T11:30:00.000Z'),
  // 2026-04-06 00:10 in Auckland.
  access(4, '2026-04-05T12:10:00.000Z'),
  // 2026-09-27 00:30 in Auckland (NZST, before the clocks go forward), on the 23-hour day.
  access(5, '2026-09-26T12:30:00.000Z'),
];

let savedTz: string | undefined;
beforeAll(() => {
  savedTz = process.env['TZ'];
  process.env['TZ'] = 'Pacific/Auckland';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

async function service() {
  const db = openVaultDb(`date-range-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.open();
  await db.ledger.bulkPut([...ROWS]);
  const reader: LedgerReader = {
    domain: ledgerDomain(),
    address: `0x${'a'.repeat(40)}`,
    intakePublicKey: '',
    last: null,
    db: () => db,
    verify: () => Promise.reject(new Error('not here')),
    operatorNames: async () => ({}),
    subjectNames: async () => ({}),
    subjectsNamed: async () => new Set(),
  };
  const host: LedgerServiceHost = { current: () => null, restricted: async () => reader, restrictedNow: () => reader, appVersion: async () => '1.0.0' };
  return createLedgerService(host, new Set());
}

describe('date ranges are local calendar days (Pacific/Auckland)', () => {
  it('the test runs in Auckland', () => {
    expect(new Date('2026-12-06T22:40:00.000Z').getHours()).toBe(11);
    expect(localZoneLabel(new Date('2026-12-06T22:40:00.000Z'))).toBe('Pacific/Auckland, UTC+13:00');
  });

  it('access report: From = To = 2026-12-07 holds the view at 11:40 that day; 2026-12-06 does not', async () => {
    const ledger = await service();
    const seven = await ledger.accessReport({ from: '2026-12-07', to: '2026-12-07' });
    expect(seven.rows.map((row) => row.seq)).toEqual([1]);
    const six = await ledger.accessReport({ from: '2026-12-06', to: '2026-12-06' });
    expect(six.rows.map((row) => row.seq)).toEqual([2]);
  });

  it('access report: a 25-hour day (DST ends) is covered to its last hour, a 23-hour day from its first', async () => {
    const ledger = await service();
    expect((await ledger.accessReport({ from: '2026-04-05', to: '2026-04-05' })).rows.map((row) => row.seq)).toEqual([3]);
    expect((await ledger.accessReport({ from: '2026-04-06', to: '2026-04-06' })).rows.map((row) => row.seq)).toEqual([4]);
    expect((await ledger.accessReport({ from: '2026-09-27', to: '2026-09-27' })).rows.map((row) => row.seq)).toEqual([5]);
    expect((await ledger.accessReport({ from: '2026-09-26', to: '2026-09-26' })).rows.map((row) => row.seq)).toEqual([]);
  });

  it('the Ledger list: From/To are the same local days', async () => {
    const ledger = await service();
    const page = { limit: 100 };
    expect((await ledger.entries({ from: '2026-12-07', to: '2026-12-07' }, page)).map((entry) => entry.seq)).toEqual([1]);
    expect((await ledger.entries({ from: '2026-12-06', to: '2026-12-06' }, page)).map((entry) => entry.seq)).toEqual([2]);
    expect((await ledger.entries({ from: '2026-04-05', to: '2026-04-05' }, page)).map((entry) => entry.seq)).toEqual([3]);
  });

  it('range ends: local midnight to the next local midnight minus 1 ms; full instants as given; no such day is no bound', () => {
    expect(new Date(rangeStart('2026-12-07')).toISOString()).toBe('2026-12-06T11:00:00.000Z');
    expect(new Date(rangeEnd('2026-12-07')).toISOString()).toBe('2026-12-07T10:59:59.999Z');
    expect(new Date(rangeEnd('2026-04-05')).toISOString()).toBe('2026-04-05T11:59:59.999Z');
    expect(rangeStart('2026-12-07T00:00:00Z')).toBe(Date.parse('2026-12-07T00:00:00Z'));
    expect(rangeStart('2026-02-30')).toBeNaN();
    expect(rangeEnd('nonsense')).toBeNaN();
  });
});
