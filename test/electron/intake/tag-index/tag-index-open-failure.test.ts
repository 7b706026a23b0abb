import { mkdir, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyHash, journalTag, openHl7Dedupe, payloadHash, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/**
 * The shared tag index (through HL7's) opened while writing out fails: the catch-up keeps memory
 * bounded (a failed flush is tried again a few times), and when writes keep failing the open fails
 * with a clear error instead of holding the whole journal in memory.
 */

const tempDir = useTempDirs();
const journals: Journal[] = [];
const indexes: Hl7Dedupe[] = [];
afterEach(async () => {
  for (const index of indexes.splice(0)) await index.close();
  for (const journal of journals.splice(0)) await journal.close();
});

const keyOf = (id: string): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'F', controlId: id });
const fast = { firstDelayMs: 10, maxDelayMs: 50, maxWaitMs: 400, openAttempts: 4 };

/** A vault whose journal holds `count` HL7 records under the index's key, and no index files (rebuilt at the next open). */
async function vaultWithRecords(count: number): Promise<{ dir: string; journal: Journal }> {
  const root = await tempDir();
  const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
  journals.push(journal);
  const dir = path.join(root, 'intake', 'hl7-dedupe');
  const first = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
  for (let i = 0; i < count; i++) await journal.append({ kind: 'intake.hl7', dedupe: journalTag(first.tag(keyOf(`C-${i}`), payloadHash(`m${i}`)), 'AA') });
  await first.close();
  // The key stays; the index files go: the next open builds the index from the whole journal.
  for (const name of await readdir(dir)) if (name !== 'key') await rm(path.join(dir, name), { recursive: true });
  return { dir, journal };
}

async function openFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out;
}

describe('tag index: opened while writing out fails', () => {
  it('a catch-up whose flush failed once tries it again: memory stays bounded, every record is known', async () => {
    const { dir, journal } = await vaultWithRecords(300);
    // The first run file's temp name is a folder: that flush fails (EISDIR), as ENOSPC or EIO would.
    await mkdir(path.join(dir, 'run-1.hdx.tmp'));
    const errors: string[] = [];
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4, writeRetry: fast, log: { info: () => undefined, warn: () => undefined, error: (_o, m) => void errors.push(m) } });
    indexes.push(dedupe);
    expect(errors.length).toBeGreaterThan(0);
    const stats = dedupe.stats();
    expect(stats.memoryEntries).toBeLessThanOrEqual(stats.memoryLimitEntries); // it held all 300 before
    expect(stats.entries).toBe(300);
    for (let i = 0; i < 300; i += 37) expect((await dedupe.check(dedupe.tag(keyOf(`C-${i}`), payloadHash(`m${i}`)))).status).toBe('duplicate');
  }, 20_000);

  it('when writing out keeps failing the open fails with a clear error (no files left open) rather than holding the journal in memory', async () => {
    const { dir, journal } = await vaultWithRecords(300);
    // Every run file a flush could write is blocked.
    for (let n = 1; n <= 60; n++) await mkdir(path.join(dir, `run-${n}.hdx.tmp`));
    const opened = openHl7Dedupe({ dir, journal, memoryEntries: 4, writeRetry: fast, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const outcome = await opened.then(
      (dedupe) => {
        indexes.push(dedupe);
        return dedupe.stats();
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(outcome).toMatch(/HL7 duplicate index cannot write to disk.*could not be opened/);
    if (process.platform === 'linux') expect(await openFiles(dir)).toEqual([]);
  }, 20_000);
});
