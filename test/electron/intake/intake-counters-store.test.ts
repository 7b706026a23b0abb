import { fstatSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountersStore } from '../../../electron/intake/intake-counters-store';
import { HL7_COUNTERS } from '../../../electron/intake/hl7/hl7-counters';
import type { CountersSnapshot } from '../../../electron/intake/intake-monitor';
import type { Hl7CountedChange } from '../../../electron/intake/hl7/hl7-intake';

/**
 * The counters' write-ahead log is fdatasynced (leftover 5 of s35): a power cut, unlike a crash,
 * loses what is still in the page cache. One sync at a time, not per message: lines appended while
 * one runs are covered by the next, so a burst of ACKed messages costs one or two syncs.
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const change = (sender: string) => ({ sender, received: 1, accepted: 1, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, oversize: 0, lastAt: '2026-12-07T08:00:00.000Z' });

async function storeWithSyncs(): Promise<{ store: CountersStore<CountersSnapshot, Hl7CountedChange>; synced: number[]; file: string; openWhenSynced: boolean[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-counters-'));
  dirs.push(dir);
  const file = path.join(dir, 'hl7-counters.json');
  const synced: number[] = [];
  const openWhenSynced: boolean[] = [];
  const store = new CountersStore(HL7_COUNTERS, file, { warn: () => undefined }, {
    sync: async (fd) => {
      synced.push(fd);
      await new Promise((resolve) => setTimeout(resolve, 5));
      // The log must still be open when its sync ends (a snapshot may have started the next one meanwhile).
      try {
        fstatSync(fd);
        openWhenSynced.push(true);
      } catch {
        openWhenSynced.push(false);
      }
    },
  });
  await store.load();
  return { store, synced, file, openWhenSynced };
}

describe('the HL7 counters write-ahead log is synced to disk, grouped', () => {
  it('syncs the log after a burst of appends once or twice, not once per line, and every line is in the file', async () => {
    const { store, synced, file } = await storeWithSyncs();
    for (let i = 0; i < 100; i++) store.append(change(`APP|FAC${i % 3}`));
    await store.durable();
    expect(synced.length).toBeGreaterThanOrEqual(1);
    expect(synced.length).toBeLessThanOrEqual(2);
    const lines = (await readFile(path.join(path.dirname(file), 'hl7-counters.1.log'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(100);
    store.close();
  });

  it('a line appended while a sync runs is covered by another sync before durable() resolves', async () => {
    const { store, synced } = await storeWithSyncs();
    store.append(change('APP|FAC'));
    const first = store.durable();
    await new Promise((resolve) => setTimeout(resolve, 1));
    store.append(change('APP|FAC'));
    await first;
    await store.durable();
    expect(synced.length).toBe(2);
    // Nothing new: no sync.
    await store.durable();
    expect(synced.length).toBe(2);
    store.close();
  });

  it('a snapshot taken while the log is syncing closes that log after its sync, and the next log is synced in turn', async () => {
    const { store, synced, openWhenSynced } = await storeWithSyncs();
    store.append(change('APP|FAC'));
    const saved = store.save({ since: '2026-12-07T08:00:00.000Z', totals: { received: 1, accepted: 1, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 }, senders: [] });
    store.append(change('APP|FAC'));
    await saved;
    await store.durable();
    expect(synced).toHaveLength(2);
    expect(synced[0]).not.toBe(synced[1]);
    expect(openWhenSynced).toEqual([true, true]);
    store.close();
  });
});

describe('an existing vault\'s HL7 counters files load in the generic store (T1 F4)', () => {
  const since = '2026-11-30T09:00:00.000Z';
  const sender = { sender: 'LABSYS|NORTHCLINIC', received: 4, accepted: 2, errored: 1, duplicates: 1, conflicts: 0, reprocessed: 0, lastAt: '2026-12-01T10:00:00.000Z' };

  async function folder(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-counters-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }

  it('a snapshot as the HL7-only store wrote it, with the logs after it added and the covered ones ignored', async () => {
    const snapshot = { v: 1, since, totals: { received: 4, accepted: 2, errored: 1, duplicates: 1, conflicts: 0, oversize: 0, reprocessed: 0 }, senders: [sender], log: 2 };
    const dir = await folder({
      'hl7-counters.json': `${JSON.stringify(snapshot)}\n`,
      // Covered by the snapshot (left by a crash before its removal): not counted again.
      'hl7-counters.2.log': '["LABSYS|NORTHCLINIC",1,1,0,0,0,0,0,"2026-12-01T09:00:00.000Z"]\n',
      'hl7-counters.3.log': '["LABSYS|NORTHCLINIC",1,1,0,0,0,0,0,"2026-12-02T08:00:00.000Z"]\n[null,1,0,1,0,0,0,1,""]\n',
    });
    const store = new CountersStore(HL7_COUNTERS, path.join(dir, 'hl7-counters.json'), { warn: () => undefined });
    const loaded = await store.load();
    expect(loaded).toEqual({
      since,
      totals: { received: 6, accepted: 3, errored: 2, duplicates: 1, conflicts: 0, oversize: 1, reprocessed: 0 },
      senders: [{ ...sender, received: 5, accepted: 3, lastAt: '2026-12-02T08:00:00.000Z' }],
    });
    // Saved again in the same format, the logs it covers removed; the next log is numbered after them.
    await store.save(loaded!);
    await store.flush();
    expect(JSON.parse(await readFile(path.join(dir, 'hl7-counters.json'), 'utf8'))).toEqual({ v: 1, ...loaded, log: 4 });
    expect((await readdir(dir)).sort()).toEqual(['hl7-counters.json']);
    store.append(change('APP|FAC'));
    store.close();
    expect((await readdir(dir)).sort()).toEqual(['hl7-counters.5.log', 'hl7-counters.json']);
  });

  it('a snapshot written before there were logs (no `log`, no reprocessed counts) loads as it is', async () => {
    const { reprocessed: _reprocessed, ...older } = sender;
    const dir = await folder({ 'hl7-counters.json': JSON.stringify({ v: 1, since, totals: { received: 4, accepted: 2, errored: 1, duplicates: 1, conflicts: 0, oversize: 0 }, senders: [older] }) });
    const warnings: string[] = [];
    const store = new CountersStore(HL7_COUNTERS, path.join(dir, 'hl7-counters.json'), { warn: (_fields, message) => warnings.push(message) });
    expect(await store.load()).toEqual({ since, totals: { received: 4, accepted: 2, errored: 1, duplicates: 1, conflicts: 0, oversize: 0 }, senders: [older] });
    expect(warnings).toEqual([]);
  });

  it('a snapshot that does not fit the schema is said and counting starts again from the logs', async () => {
    const dir = await folder({ 'hl7-counters.json': JSON.stringify({ v: 1, since, totals: {}, senders: [], extra: 1 }), 'hl7-counters.1.log': '["A|B",1,1,0,0,0,0,0,"2026-12-02T08:00:00.000Z"]\n' });
    const warnings: string[] = [];
    const store = new CountersStore(HL7_COUNTERS, path.join(dir, 'hl7-counters.json'), { warn: (_fields, message) => warnings.push(message) });
    expect((await store.load())?.totals.received).toBe(1);
    expect(warnings).toEqual(['HL7 counters: the saved counters do not fit their schema; counting starts again']);
  });
});
