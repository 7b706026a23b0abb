import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyHash, openHl7Dedupe, payloadHash, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/**
 * The shared tag index (through HL7's) when writing out fails (ENOSPC, EIO): a failed flush is tried
 * again with a growing delay, and while writes keep failing an append waits a bounded time for room,
 * then is refused (the intake answers a failure and the sender resends), instead of hanging.
 */

const tempDir = useTempDirs();
const journals: Journal[] = [];
const indexes: Hl7Dedupe[] = [];
afterEach(async () => {
  for (const index of indexes.splice(0)) await index.close();
  for (const journal of journals.splice(0)) await journal.close();
});

async function vault(): Promise<{ dir: string; journal: Journal }> {
  const root = await tempDir();
  const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
  journals.push(journal);
  return { dir: path.join(root, 'intake', 'hl7-dedupe'), journal };
}
const keyOf = (id: string): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'F', controlId: id });
const tagOf = (dedupe: Hl7Dedupe, i: number) => dedupe.tag(keyOf(`C-${i}`), payloadHash(`m${i}`));
function store(dedupe: Hl7Dedupe, journal: Journal, i: number): Promise<{ seq: number }> {
  return dedupe.store(tagOf(dedupe, i), 'AA', (t) => journal.append({ kind: 'intake.hl7', dedupe: t }));
}
/** The promise's value, or 'timeout' (a store that hangs fails the test instead of the run). */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
function logger(errors: string[]) {
  return { info: () => undefined, warn: () => undefined, error: (_o: object, m: string) => void errors.push(m) };
}
const fast = { firstDelayMs: 20, maxDelayMs: 100, maxWaitMs: 400 };

describe('tag index: writing out fails', () => {
  it('a flush that failed once is tried again: later stores go on (they waited for ever before)', async () => {
    const { dir, journal } = await vault();
    const errors: string[] = [];
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, log: logger(errors), writeRetry: fast });
    indexes.push(dedupe);
    // The next run file's temp name is a folder: open(temp, 'w') fails (EISDIR), as ENOSPC or EIO would.
    const obstacle = path.join(dir, 'run-1.hdx.tmp');
    await mkdir(obstacle);
    for (let i = 0; i < 4; i++) await store(dedupe, journal, i);
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors.length).toBeGreaterThan(0);
    await rm(obstacle, { recursive: true });
    // Twice the memtable and more: without a retry the ninth store waits for room for ever.
    for (let i = 4; i < 20; i++) expect(await within(store(dedupe, journal, i), 5000)).toMatchObject({ seq: i + 1 });
    const stats = dedupe.stats();
    expect(stats.memoryEntries).toBeLessThanOrEqual(stats.memoryLimitEntries);
    expect(stats.runs).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await dedupe.check(tagOf(dedupe, i))).status).toBe('duplicate');
  }, 20_000);

  it('while writes keep failing a store is refused after a bounded wait (nothing appended, memory bounded); once the disk is back stores go on and nothing is lost', async () => {
    const { dir, journal } = await vault();
    const errors: string[] = [];
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, log: logger(errors), writeRetry: fast });
    indexes.push(dedupe);
    // manifest.json is a folder: every flush fails at its manifest, for as long as it is there.
    const obstacle = path.join(dir, 'manifest.json');
    await mkdir(obstacle);
    // Two memtables' worth fit in memory (one being written out, one filling).
    for (let i = 0; i < 8; i++) expect(await within(store(dedupe, journal, i), 5000)).toMatchObject({ seq: i + 1 });
    const refused = await within(
      store(dedupe, journal, 8).then(
        () => 'stored',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      5000,
    );
    expect(refused).toMatch(/HL7 duplicate index cannot write to disk.*resend/);
    expect(journal.lastSeq).toBe(8); // refused before the journal append: the sender's resend is the only copy
    expect(dedupe.stats().memoryEntries).toBeLessThanOrEqual(dedupe.stats().memoryLimitEntries);
    expect(errors.length).toBeGreaterThan(1); // tried again
    // The disk is back: the resend is stored (the retries write the memtables out).
    await rm(obstacle, { recursive: true });
    expect(await within(store(dedupe, journal, 8), 5000)).toMatchObject({ seq: 9 });
    await dedupe.close();
    indexes.splice(0);
    const reopened = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    indexes.push(reopened);
    for (let i = 0; i < 9; i++) expect((await reopened.check(tagOf(reopened, i))).status).toBe('duplicate');
  }, 20_000);
});
