import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyHash, openHl7Dedupe, payloadHash, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/**
 * The shared tag index (through HL7's) when the compaction after `forget` (an erasure) fails: it is
 * tried again with the flush's backoff, so the forgotten entries leave the run files and a restart
 * does not bring them back; nothing is tried after close.
 */

const tempDir = useTempDirs();
const journals: Journal[] = [];
const indexes: Hl7Dedupe[] = [];
afterEach(async () => {
  for (const index of indexes.splice(0)) await index.close();
  for (const journal of journals.splice(0)) await journal.close();
});

const keyOf = (id: string): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'F', controlId: id });
const tagOf = (dedupe: Hl7Dedupe, i: number) => dedupe.tag(keyOf(`C-${i}`), payloadHash(`m${i}`));
function store(dedupe: Hl7Dedupe, journal: Journal, i: number): Promise<{ seq: number }> {
  return dedupe.store(tagOf(dedupe, i), 'AA', (t) => journal.append({ kind: 'intake.hl7', dedupe: t }));
}
function logger(errors: string[]) {
  return { info: () => undefined, warn: () => undefined, error: (_o: object, m: string) => void errors.push(m) };
}
async function until(what: string, probe: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const fast = { firstDelayMs: 20, maxDelayMs: 100, maxWaitMs: 400 };

/** An index with four stored messages written out to one run file, and the names its next run files will take. */
async function written(errors: string[]): Promise<{ dir: string; journal: Journal; dedupe: Hl7Dedupe; seqs: number[]; nextRuns: (n: number) => Promise<string[]> }> {
  const root = await tempDir();
  const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
  journals.push(journal);
  const dir = path.join(root, 'intake', 'hl7-dedupe');
  const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, log: logger(errors), writeRetry: fast });
  indexes.push(dedupe);
  const seqs: number[] = [];
  for (let i = 0; i < 4; i++) seqs.push((await store(dedupe, journal, i)).seq);
  await until('the flush', () => dedupe.stats().runs === 1 && dedupe.stats().memoryEntries === 0);
  const nextRuns = async (n: number): Promise<string[]> => {
    const { next } = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { next: number };
    return Array.from({ length: n }, (_, i) => path.join(dir, `run-${next + i}.hdx.tmp`));
  };
  return { dir, journal, dedupe, seqs, nextRuns };
}

describe('tag index: a compaction after forget that fails', () => {
  it('is tried again with the backoff a failed flush uses: the forgotten entries leave the run files, and a restart does not see them', async () => {
    const errors: string[] = [];
    const { dir, journal, dedupe, seqs, nextRuns } = await written(errors);
    // The next three run files' temp names are folders: open(temp, 'w') fails (EISDIR), as ENOSPC or EIO would.
    const obstacles = await nextRuns(3);
    for (const obstacle of obstacles) await mkdir(obstacle);
    await dedupe.forget([seqs[1]!, seqs[2]!]);
    expect(errors.length).toBeGreaterThan(0);
    // Lookups ignore them at once; the run file still holds them.
    expect((await dedupe.check(tagOf(dedupe, 1))).status).toBe('new');
    expect(dedupe.stats().entries).toBe(4);
    // Tried again (three failures in a row, then the fourth name is free): the run file holds two.
    await until('the compaction retried', () => dedupe.stats().entries === 2);
    expect(errors.length).toBe(3);
    for (const obstacle of obstacles) await rm(obstacle, { recursive: true });
    await dedupe.close();
    indexes.splice(0);

    const reopened = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    indexes.push(reopened);
    expect(reopened.stats().entries).toBe(2);
    expect((await reopened.check(tagOf(reopened, 1))).status).toBe('new');
    expect((await reopened.check(tagOf(reopened, 2))).status).toBe('new');
    expect((await reopened.check(tagOf(reopened, 0))).status).toBe('duplicate');
    expect((await reopened.check(tagOf(reopened, 3))).status).toBe('duplicate');
  }, 20_000);

  it('is not tried again after close', async () => {
    const errors: string[] = [];
    const { dir, dedupe, seqs, nextRuns } = await written(errors);
    const [obstacle] = await nextRuns(1);
    await mkdir(obstacle!);
    await dedupe.forget([seqs[0]!]);
    expect(errors.length).toBe(1);
    await dedupe.close();
    indexes.splice(0);
    const after = (await readdir(dir)).sort();
    // Several retry delays later: nothing tried, nothing written.
    await new Promise((resolve) => setTimeout(resolve, 5 * fast.maxDelayMs));
    expect(errors.length).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(after);
  });
});
