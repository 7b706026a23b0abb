import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceDedupe } from '../../../../electron/intake/devices/device-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/**
 * The shared tag index (through the device readings' index) knows which journal its files were made
 * from: files of another journal under the same key are rebuilt, not believed. A long report's single
 * readings (confirmed only by "a dvs1 record at that seq") were taken for duplicates before.
 */

const tempDir = useTempDirs();
const journals: Journal[] = [];
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close();
});

async function vault(): Promise<{ dir: string; journal: Journal }> {
  const root = await tempDir();
  const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
  journals.push(journal);
  return { dir: path.join(root, 'intake', 'device-dedupe'), journal };
}
const report = (id: number, readings = 2): string[] => Array.from({ length: readings }, (_, r) => `report ${id} reading ${r}`);
function wordsOf(dedupe: DeviceDedupe, keys: readonly string[]) {
  const words = keys.map((key) => dedupe.readingWord(key));
  const set = dedupe.reportWord(keys);
  return { words, set, tag: dedupe.journalTag(words, set) };
}
function store(dedupe: DeviceDedupe, journal: Journal, keys: readonly string[]) {
  const { words, set, tag } = wordsOf(dedupe, keys);
  return dedupe.store(words, set, () => journal.append({ kind: 'intake.device', dedupe: tag }));
}
/** Captures the index's 'opened' log line (rebuilt, caughtUp). */
function opening(): { log: { info: (o: object, m: string) => void; warn: () => void; error: () => void }; opened: () => { rebuilt: boolean; caughtUp: number } } {
  let last: { rebuilt: boolean; caughtUp: number } | null = null;
  return {
    log: { info: (o, m) => void (m === 'device duplicate index opened' ? (last = o as { rebuilt: boolean; caughtUp: number }) : undefined), warn: () => undefined, error: () => undefined },
    opened: () => last!,
  };
}
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('tag index: the journal its files were made from', () => {
  it("files of another journal under the same key are rebuilt: a long report's readings are not taken for duplicates", async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 8 });
    // seq 1: a long report (9 readings): its single readings are written out at close, under seq 1.
    await store(dedupe, journal, report(0, 9));
    await dedupe.close();
    await tick();
    // Another journal under the same key whose seq 1 is another long report.
    const other = await vault();
    await other.journal.append({ kind: 'intake.device', dedupe: wordsOf(dedupe, report(700, 9)).tag });
    const watch = opening();
    const reopened = await DeviceDedupe.open(dir, other.journal, { memoryEntries: 8, log: watch.log });
    expect(watch.opened().rebuilt).toBe(true);
    const { words } = wordsOf(reopened, report(0, 9));
    const each = await Promise.all(words.map((w) => reopened.hasReading(w)));
    // The session drops a report whose readings are all known: report 0 would never be stored in this journal.
    expect(each.some(Boolean)).toBe(false);
    const ours = await Promise.all(wordsOf(reopened, report(700, 9)).words.map((w) => reopened.hasReading(w)));
    expect(ours.every(Boolean)).toBe(false); // a rebuild knows a long report's set, not its single readings
    expect(await reopened.hasReport(wordsOf(reopened, report(700, 9)).set)).toBe(true);
    await reopened.close();
    // Its own journal again: the files are of the other one now, so rebuilt again (report 0 known by its set).
    const back = await DeviceDedupe.open(dir, journal, { memoryEntries: 8, log: watch.log });
    expect(watch.opened().rebuilt).toBe(true);
    expect(await back.hasReport(wordsOf(back, report(0, 9)).set)).toBe(true);
    await back.close();
  });

  it('a manifest of an earlier version (no journal named) is adopted, not rebuilt, and names the journal from then on', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DeviceDedupe.open(dir, journal, { memoryEntries: 8 });
    for (let i = 0; i < 10; i++) await store(dedupe, journal, report(i, i === 0 ? 9 : 2));
    await dedupe.close();
    const file = path.join(dir, 'manifest.json');
    const { journal: named, ...earlier } = JSON.parse(await readFile(file, 'utf8')) as { journal?: string; lastSeq: number };
    expect(named).toMatch(/^[0-9a-f]{16}$/);
    await writeFile(file, JSON.stringify(earlier));
    const watch = opening();
    const adopted = await DeviceDedupe.open(dir, journal, { memoryEntries: 8, log: watch.log });
    expect(watch.opened()).toMatchObject({ rebuilt: false, caughtUp: 0 });
    // A clean restart kept the long report's single readings: still known (a rebuild would not know them).
    expect((await Promise.all(wordsOf(adopted, report(0, 9)).words.map((w) => adopted.hasReading(w)))).every(Boolean)).toBe(true);
    expect((JSON.parse(await readFile(file, 'utf8')) as { journal?: string }).journal).toBe(named);
    await adopted.close();
  });
});
