import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountersStore } from '../../../../electron/intake/intake-counters-store';
import { DICOM_COUNTERS, DicomCounts, type DicomCountedChange } from '../../../../electron/intake/dicom/dicom-counters';

/**
 * T1 F4: the DICOM receiver's counters in the generic counters store. What a crash leaves (the
 * write-ahead log after the last snapshot) adds up to what was counted, refusals and the other
 * called AE titles included.
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function store(dir: string) {
  const made = new CountersStore(DICOM_COUNTERS, path.join(dir, 'dicom-counters.json'), { warn: () => undefined }, { sync: async () => undefined });
  return { made, loaded: await made.load() };
}

const CHANGES: DicomCountedChange[] = [
  ['a', 'CT_ONE', '127.0.0.1'],
  ['o', 'CT_ONE', '127.0.0.1', 'stored'],
  ['s', 'CT_ONE', '127.0.0.1', 0, 5000],
  ['s', 'CT_ONE', '127.0.0.1', 1, 20],
  ['e'],
  ['p'],
  ...['P1', 'P2', 'P3', 'P4', 'P5', 'P4'].map((called): DicomCountedChange => ['r', 'MR_TWO', '10.0.0.9', 'called-ae-title', called]),
];

describe('the DICOM counters store (T1 F4)', () => {
  it('a crash after counting: the next start adds the write-ahead log to the last snapshot, as live counting did', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-counters-'));
    dirs.push(dir);
    const live = new DicomCounts('2026-12-07T08:00:00.000Z');
    const first = await store(dir);
    expect(first.loaded).toBeNull();
    await first.made.save(live.snapshot());
    for (const change of CHANGES.slice(0, 4)) live.apply(change);
    first.made.appendAll(CHANGES.slice(0, 4));
    // A snapshot in between: the log before it is covered, the one after it replayed.
    await first.made.save(live.snapshot());
    for (const change of CHANGES.slice(4)) live.apply(change);
    first.made.appendAll(CHANGES.slice(4));
    await first.made.durable();
    first.made.close(); // no save at stop: the process died

    const second = await store(dir);
    expect(second.loaded).toEqual(live.snapshot());
    const again = DicomCounts.of(second.loaded!);
    expect(again.totals()).toEqual({ associations: 1, rejectedAssociations: 6, echoes: 1, received: 2, stored: 1, held: 0, duplicates: 0, conflicts: 0, failed: 1, protocolErrors: 1, bytes: 5020 });
    const mr = again.list().find((row) => row.aeTitle === 'MR_TWO')!;
    expect(mr).toMatchObject({ rejected: 6, rejections: { 'called-ae-title': 6 }, calledAeTitles: [{ aeTitle: 'P1', count: 1 }, { aeTitle: 'P2', count: 1 }, { aeTitle: 'P3', count: 1 }], otherCalledAeTitles: { titles: 2, more: false } });
    // The other titles told apart survive too: P4 asked again is not a new one.
    again.apply(['r', 'MR_TWO', '10.0.0.9', 'called-ae-title', 'P4']);
    expect(again.list().find((row) => row.aeTitle === 'MR_TWO')!.otherCalledAeTitles).toEqual({ titles: 2, more: false });
    expect((await readdir(dir)).filter((name) => name.endsWith('.log'))).toHaveLength(1);
  });
});
