import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceDedupe } from '../../../../electron/intake/devices/device-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/** The device duplicate index on disk: bounded memory, caught up from lastSeq, retention by day, crash-safe, erasure. */

const tempDir = useTempDirs();
const DAY_MS = 86_400_000;

async function vault(): Promise<{ dir: string; journal: Journal }> {
  const root = await tempDir();
  return { dir: path.join(root, 'intake', 'device-dedupe'), journal: await Journal.open(path.join(root, 'journal'), silentLogger()) };
}

/** A report: the session's hex keys of its readings (a SHA-256 stands in as any string). */
const report = (id: number, readings = 2): string[] => Array.from({ length: readings }, (_, r) => `report ${id} reading ${r}`);

function wordsOf(dedupe: DeviceDedupe, keys: readonly string[]): { words: string[]; set: string; tag: string } {
  const words = keys.map((key) => dedupe.readingWord(key));
  const set = dedupe.reportWord(keys);
  return { words, set, tag: dedupe.journalTag(words, set) };
}

/** What the session does: the journal append carrying the tag, its words remembered once durable. */
function store(dedupe: DeviceDedupe, journal: Journal, keys: readonly string[]): Promise<{ seq: number }> {
  const { words, set, tag } = wordsOf(dedupe, keys);
  return dedupe.store(words, set, () => journal.append({ kind: 'intake.device', dedupe: tag }));
}

/** Whether the session would take the report for a resend: every reading known, or the whole set. */
async function known(dedupe: DeviceDedupe, keys: readonly string[]): Promise<boolean> {
  const { words, set } = wordsOf(dedupe, keys);
  const readings = await Promise.all(words.map((word) => dedupe.hasReading(word)));
  return readings.every(Boolean) || (await dedupe.hasReport(set));
}

/** A journal that counts what the index reads from it. */
function counting(journal: Journal): { journal: Pick<Journal, 'read'>; afters: number[]; records: () => number } {
  const afters: number[] = [];
  let records = 0;
  return {
    journal: {
      read: async (query) => {
        // The journal's first record, read at every open to tell journals apart: not a catch-up.
        if (query.after === 0 && query.limit === 1) return journal.read(query);
        afters.push(query.after ?? 0);
        const page = await journal.read(query);
        records += page.records.length;
        return page;
      },
    },
    afters,
    records: () => records,
  };
}

describe('device duplicate index on disk', () => {
  it('keeps memory under its bound with many reports (short and long); every one stays known across flushes, merges and a restart', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 64 });
    // 1 to 10 readings: reports of more than 7 take one entry per reading plus one for the set.
    const reports = Array.from({ length: 1500 }, (_, i) => report(i, 1 + (i % 10)));
    let largest = 0;
    for (let i = 0; i < reports.length; i += 50) {
      // 50 appends in flight at once, as from several devices.
      await Promise.all(
        reports.slice(i, i + 50).map(async (keys) => {
          await store(dedupe, journal, keys);
          largest = Math.max(largest, dedupe.stats().memoryEntries);
        }),
      );
    }
    const stats = dedupe.stats();
    expect(stats.memoryLimitEntries).toBe(128);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(128);
    expect(stats.runs).toBeGreaterThan(0);
    expect(stats.entries).toBeGreaterThanOrEqual(1500 * 5.5);
    for (const i of [0, 1, 7, 8, 9, 63, 64, 749, 1499]) expect(await known(dedupe, reports[i]!)).toBe(true);
    expect(await known(dedupe, report(1500))).toBe(false);
    // One reading of a stored report and one new reading: not a resend.
    expect(await known(dedupe, [reports[3]![0]!, 'a new reading'])).toBe(false);
    await dedupe.close();
    const reopened = await DeviceDedupe.open(dir, journal, { memoryEntries: 64 });
    expect(reopened.stats().memoryEntries).toBe(0); // nothing to catch up after a clean close
    for (let i = 0; i < 1500; i += 37) expect(await known(reopened, reports[i]!)).toBe(true);
    // A long report's single readings were written out with the rest: known after a clean restart.
    expect(await reopened.hasReading(reopened.readingWord(reports[9]![4]!))).toBe(true);
    await reopened.close();
    await journal.close();
  });

  it('an existing vault without the index files builds it once from the journal; a restart then reads only the journal after lastSeq', async () => {
    const { dir, journal } = await vault();
    // A vault of an earlier version: the journal holds the tags, the folder only the key.
    const earlier = await DeviceDedupe.open(dir, journal);
    const reports = Array.from({ length: 500 }, (_, i) => report(i, i % 50 === 0 ? 9 : 3));
    for (const keys of reports) await journal.append({ kind: 'intake.device', dedupe: wordsOf(earlier, keys).tag });
    for (let i = 0; i < 20; i++) await journal.append({ kind: 'record.viewed' });
    await earlier.close();
    await rm(path.join(dir, 'manifest.json'), { force: true });
    expect((await readdir(dir)).sort()).toEqual(['key']);

    const first = counting(journal);
    const built = await DeviceDedupe.open(dir, first.journal, { memoryEntries: 64 });
    expect(first.afters[0]).toBe(0);
    expect(first.records()).toBe(520); // the whole journal, once
    expect(await known(built, reports[250]!)).toBe(true);
    expect(await known(built, reports[100]!)).toBe(true); // a long report, by its set
    // Built from the journal, a long report's single readings are not known (its tag has only the set).
    expect(await built.hasReading(built.readingWord(reports[100]![0]!))).toBe(false);
    await built.close();
    expect(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ lastSeq: 520 });

    // Later reports, then a process killed before the index wrote them (no close).
    const running = await DeviceDedupe.open(dir, journal, { memoryEntries: 64 });
    const later = Array.from({ length: 5 }, (_, i) => report(1000 + i, 4));
    for (const keys of later) await store(running, journal, keys);

    const second = counting(journal);
    const restarted = await DeviceDedupe.open(dir, second.journal, { memoryEntries: 64 });
    expect(second.afters[0]).toBe(520); // after lastSeq (the records up to it are in the run files)…
    expect(second.records()).toBe(5); // …so only the five newer records are read
    for (const keys of later) expect(await known(restarted, keys)).toBe(true);
    expect(await known(restarted, reports[0]!)).toBe(true);
    expect(await known(restarted, reports[499]!)).toBe(true);
    await restarted.close();
    await running.close(); // (the killed process's files, closed for the test run)
    await journal.close();
  });

  it('records of other channels after the last report are not read again after a clean close', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal);
    await store(dedupe, journal, report(1));
    for (let i = 0; i < 300; i++) await journal.append({ kind: 'record.viewed' });
    await dedupe.close();
    const watched = counting(journal);
    const reopened = await DeviceDedupe.open(dir, watched.journal);
    expect(watched.afters).toEqual([301]);
    expect(watched.records()).toBe(0);
    expect(await known(reopened, report(1))).toBe(true);
    await reopened.close();
    await journal.close();
  });

  it('a crash after a flush wrote its run file but before the manifest: the next open drops that file and catches up from the old lastSeq', async () => {
    const { dir, journal } = await vault();
    const snapshot = path.join(path.dirname(dir), 'snapshot');
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 16 });
    const reports = Array.from({ length: 100 }, (_, i) => report(i, 3));
    for (const keys of reports.slice(0, 40)) await store(dedupe, journal, keys);
    await dedupe.close();
    const before = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { lastSeq: number; runs: { name: string }[] };
    expect(before.lastSeq).toBe(40);
    await cp(dir, snapshot, { recursive: true });

    // More reports: flushes write new run files (merging the old ones) and replace the manifest.
    const again = await DeviceDedupe.open(dir, journal, { memoryEntries: 16 });
    for (const keys of reports.slice(40)) await store(again, journal, keys);
    await again.close();
    const after = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { lastSeq: number; runs: { name: string }[] };
    const newRuns = after.runs.map((run) => run.name).filter((name) => !before.runs.some((run) => run.name === name));
    expect(newRuns.length).toBeGreaterThan(0);

    // The folder as a crash would leave it: the old manifest and its runs, plus a new run file it
    // does not name and a half-written one.
    const newRunBytes = await Promise.all(newRuns.map((name) => readFile(path.join(dir, name))));
    await rm(dir, { recursive: true });
    await cp(snapshot, dir, { recursive: true });
    for (const [i, name] of newRuns.entries()) await writeFile(path.join(dir, name), newRunBytes[i]!);
    await writeFile(path.join(dir, 'run-999.hdx.tmp'), Buffer.alloc(100));

    const watched = counting(journal);
    const reopened = await DeviceDedupe.open(dir, watched.journal, { memoryEntries: 16 });
    expect(watched.afters[0]).toBe(40);
    expect(watched.records()).toBe(60);
    expect(reopened.stats().entries).toBe(100 * 3); // each reading once: the stray run file was not taken in
    for (const keys of reports) expect(await known(reopened, keys)).toBe(true);
    await reopened.close();
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { lastSeq: number; runs: { name: string }[] };
    expect(manifest.lastSeq).toBe(100);
    expect((await readdir(dir)).filter((name) => name !== 'key' && name !== 'manifest.json').sort()).toEqual(manifest.runs.map((run) => run.name).sort());
    await journal.close();
  });

  it('readings older than the retention window are not recognized, and merges drop them from the run files', async () => {
    const { dir, journal } = await vault();
    let now = Date.now();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 16, retentionDays: 30, now: () => now });
    const old = Array.from({ length: 40 }, (_, i) => report(i, 3));
    for (const keys of old) await store(dedupe, journal, keys);
    now += 20 * DAY_MS;
    const recent = Array.from({ length: 40 }, (_, i) => report(100 + i, 3));
    for (const keys of recent) await store(dedupe, journal, keys);
    expect(await known(dedupe, old[0]!)).toBe(true);
    await dedupe.close();

    // 31 days after the first reports, 11 after the others.
    now += 11 * DAY_MS;
    const reopened = await DeviceDedupe.open(dir, journal, { memoryEntries: 16, retentionDays: 30, now: () => now });
    expect(reopened.stats().entries).toBe(240);
    for (const keys of old) expect(await known(reopened, keys)).toBe(false);
    for (const keys of recent) expect(await known(reopened, keys)).toBe(true);
    // A merge of every run (the compaction a forget asks for) writes only the entries still in the window.
    await reopened.forget([1_000_000]);
    expect(reopened.stats()).toMatchObject({ runs: 1, entries: 120 });
    for (const keys of recent) expect(await known(reopened, keys)).toBe(true);
    await reopened.close();

    // Built from the journal: its records' times decide (the journal says when each was made).
    await rm(dir, { recursive: true });
    const rebuilt = await DeviceDedupe.open(dir, journal, { retentionDays: 30, now: () => Date.now() + 31 * DAY_MS });
    expect(rebuilt.stats().entries).toBe(0);
    await rebuilt.close();
    await journal.close();
  });

  it('an erased report is new again: forget() after the journal rewrite (memtable and run files), and even without it (hits are confirmed against the journal)', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 8 });
    const reports = Array.from({ length: 40 }, (_, i) => report(i, i === 5 || i === 6 ? 9 : 2));
    const seqs: number[] = [];
    for (const keys of reports) seqs.push((await store(dedupe, journal, keys)).seq);
    // Records 3 (in a run file by now), 6 (a long report) and 39 (in the memtable) become tombstones.
    await journal.rewrite(new Set([seqs[3]!, seqs[6]!, seqs[39]!]));
    await dedupe.forget([seqs[3]!, seqs[6]!, seqs[39]!]);
    for (const i of [3, 6, 39]) expect(await known(dedupe, reports[i]!)).toBe(false);
    expect(await dedupe.hasReading(dedupe.readingWord(reports[6]![2]!))).toBe(false);
    expect(await known(dedupe, reports[4]!)).toBe(true);
    // Erased without telling the index (a crash between the rewrite and forget()): not believed.
    await journal.rewrite(new Set([seqs[5]!, seqs[7]!]));
    expect(await known(dedupe, reports[5]!)).toBe(false);
    expect(await dedupe.hasReading(dedupe.readingWord(reports[5]![8]!))).toBe(false);
    expect(await known(dedupe, reports[7]!)).toBe(false);
    await dedupe.close();
    // The compaction rewrote the runs without them, and the journal's tombstones carry no tag.
    const reopened = await DeviceDedupe.open(dir, journal, { memoryEntries: 8 });
    for (const i of [3, 5, 6, 7, 39]) expect(await known(reopened, reports[i]!)).toBe(false);
    expect(await known(reopened, reports[4]!)).toBe(true);
    // Stored again, it is known again.
    await store(reopened, journal, reports[3]!);
    expect(await known(reopened, reports[3]!)).toBe(true);
    await reopened.close();
    await journal.close();
  });

  it('an entry naming a record that carries other words (a journal replaced under the index) is not believed', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 8 });
    for (let i = 0; i < 20; i++) await store(dedupe, journal, report(i, i === 0 ? 9 : 2));
    await dedupe.close();
    // Another journal, longer, of other readings under the same key: the run files name its seqs 1-20.
    const other = await vault();
    for (let i = 0; i < 25; i++) await other.journal.append({ kind: 'intake.device', dedupe: wordsOf(dedupe, report(500 + i)).tag });
    const reopened = await DeviceDedupe.open(dir, other.journal, { memoryEntries: 8 });
    for (let i = 0; i < 20; i++) expect(await known(reopened, report(i, i === 0 ? 9 : 2))).toBe(false);
    for (let i = 20; i < 25; i++) expect(await known(reopened, report(500 + i))).toBe(true);
    await reopened.close();
    await journal.close();
    await other.journal.close();
  });
});
