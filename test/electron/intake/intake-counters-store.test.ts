import { fstatSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountersStore } from '../../../electron/intake/intake-counters-store';

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

async function storeWithSyncs(): Promise<{ store: CountersStore; synced: number[]; file: string; openWhenSynced: boolean[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-counters-'));
  dirs.push(dir);
  const file = path.join(dir, 'hl7-counters.json');
  const synced: number[] = [];
  const openWhenSynced: boolean[] = [];
  const store = new CountersStore(file, { warn: () => undefined }, {
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
