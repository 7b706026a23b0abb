import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DicomDedupe, MAX_COPIES_PER_UID } from '../../../../electron/intake/dicom/dicom-duplicates';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/** The DICOM duplicate index on disk: bounded memory, caught up from lastSeq, crash-safe, erasure. */

const tempDir = useTempDirs();

async function vault(): Promise<{ root: string; dir: string; journal: Journal }> {
  const root = await tempDir();
  return { root, dir: path.join(root, 'intake', 'dicom-dedupe'), journal: await Journal.open(path.join(root, 'journal'), silentLogger()) };
}

interface Copy {
  readonly uid: string;
  readonly bytes: string;
  readonly patient?: string;
}

/** The journal tag the intake would write for a copy (a SHA-256 stands in as any hex string). */
function tagOf(dedupe: DicomDedupe, copy: Copy): string {
  return dedupe.journalTag(dedupe.keyTag(copy.uid), dedupe.payloadTag(copy.bytes), dedupe.patientTag(copy.patient ?? 'MRN-1', 'HOSP'));
}

/** What the intake does: the journal append carrying the tag, remembered once durable. */
function store(dedupe: DicomDedupe, journal: Journal, copy: Copy): Promise<{ seq: number }> {
  const tag = tagOf(dedupe, copy);
  return dedupe.store(tag, () => journal.append({ kind: 'intake.dicom', dedupe: tag }));
}

function check(dedupe: DicomDedupe, copy: Copy): Promise<string> {
  return dedupe.check(dedupe.keyTag(copy.uid), dedupe.payloadTag(copy.bytes), dedupe.patientTag(copy.patient ?? 'MRN-1', 'HOSP'));
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

const uid = (i: number): string => `1.2.826.0.1.3680043.10.999.${i}`;

describe('DICOM duplicate index on disk', () => {
  it('keeps memory under its bound with many instances; every one stays known across flushes, merges and a restart', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 64 });
    const copies = Array.from({ length: 3000 }, (_, i) => ({ uid: uid(i), bytes: `b${i}` }));
    let largest = 0;
    for (let i = 0; i < copies.length; i += 100) {
      // 100 appends in flight at once, as from several associations.
      await Promise.all(
        copies.slice(i, i + 100).map(async (copy) => {
          await store(dedupe, journal, copy);
          largest = Math.max(largest, dedupe.stats().memoryEntries);
        }),
      );
    }
    const stats = dedupe.stats();
    expect(stats.memoryLimitEntries).toBe(128);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(128);
    expect(stats.runs).toBeGreaterThan(0);
    expect(stats.entries).toBeGreaterThanOrEqual(3000);
    for (const i of [0, 1, 63, 64, 65, 1500, 2999]) expect(await check(dedupe, copies[i]!)).toBe('duplicate');
    expect(await check(dedupe, { uid: uid(17), bytes: 'other' })).toBe('conflict');
    expect(await check(dedupe, { uid: uid(3000), bytes: 'b3000' })).toBe('new');
    await dedupe.close();
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 64 });
    expect(reopened.stats().memoryEntries).toBe(0); // nothing to catch up after a clean close
    for (let i = 0; i < 3000; i += 37) expect(await check(reopened, copies[i]!)).toBe('duplicate');
    await reopened.close();
    await journal.close();
  });

  it('an existing vault without the index files builds it once from the journal; a restart then reads only the journal after lastSeq', async () => {
    const { dir, journal } = await vault();
    // A vault of an earlier version: the journal holds the tags, the folder only the key.
    const earlier = await DicomDedupe.open(dir, journal);
    const copies = Array.from({ length: 500 }, (_, i) => ({ uid: uid(i), bytes: `b${i}` }));
    for (const copy of copies) {
      const tag = tagOf(earlier, copy);
      await journal.append({ kind: 'intake.dicom', dedupe: tag });
    }
    for (let i = 0; i < 20; i++) await journal.append({ kind: 'record.viewed' });
    await rm(path.join(dir, 'manifest.json'), { force: true });
    expect((await readdir(dir)).sort()).toEqual(['key']);

    const first = counting(journal);
    const built = await DicomDedupe.open(dir, first.journal, { memoryEntries: 64 });
    expect(first.afters[0]).toBe(0);
    expect(first.records()).toBe(520); // the whole journal, once
    expect(await check(built, copies[250]!)).toBe('duplicate');
    await built.close();
    expect(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ lastSeq: 520 });

    // Later instances, then a process killed before the index wrote them (no close).
    const running = await DicomDedupe.open(dir, journal, { memoryEntries: 64 });
    const later = Array.from({ length: 5 }, (_, i) => ({ uid: uid(1000 + i), bytes: `late${i}` }));
    for (const copy of later) await store(running, journal, copy);

    const second = counting(journal);
    const restarted = await DicomDedupe.open(dir, second.journal, { memoryEntries: 64 });
    expect(second.afters[0]).toBe(520); // after lastSeq (the records up to it are in the run files)…
    expect(second.records()).toBe(5); // …so only the five newer records are read
    for (const copy of later) expect(await check(restarted, copy)).toBe('duplicate');
    expect(await check(restarted, copies[0]!)).toBe('duplicate');
    expect(await check(restarted, copies[499]!)).toBe('duplicate');
    await restarted.close();
    await running.close(); // (the killed process's files, closed for the test run)
    await journal.close();
  });

  it('a crash after a flush wrote its run file but before the manifest: the next open drops that file and catches up from the old lastSeq', async () => {
    const { dir, journal } = await vault();
    const snapshot = path.join(path.dirname(dir), 'snapshot');
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 16 });
    const copies = Array.from({ length: 100 }, (_, i) => ({ uid: uid(i), bytes: `b${i}` }));
    for (const copy of copies.slice(0, 40)) await store(dedupe, journal, copy);
    await dedupe.close();
    const before = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { lastSeq: number; runs: { name: string }[] };
    expect(before.lastSeq).toBe(40);
    await cp(dir, snapshot, { recursive: true });

    // More instances: flushes write new run files (merging the old ones) and replace the manifest.
    const again = await DicomDedupe.open(dir, journal, { memoryEntries: 16 });
    for (const copy of copies.slice(40)) await store(again, journal, copy);
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
    const reopened = await DicomDedupe.open(dir, watched.journal, { memoryEntries: 16 });
    expect(watched.afters[0]).toBe(40);
    expect(watched.records()).toBe(60);
    for (const copy of copies) expect(await check(reopened, copy)).toBe('duplicate');
    // Each copy once: the stray run file was not taken in beside the journal's records.
    for (let i = 0; i < 100; i++) expect(reopened.lookup(reopened.keyTag(uid(i)))).toHaveLength(1);
    await reopened.close();
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { lastSeq: number; runs: { name: string }[] };
    expect(manifest.lastSeq).toBe(100);
    expect((await readdir(dir)).filter((name) => name !== 'key' && name !== 'manifest.json').sort()).toEqual(manifest.runs.map((run) => run.name).sort());
    await journal.close();
  });

  it('records of other channels after the last instance are not read again after a clean close', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal);
    await store(dedupe, journal, { uid: uid(1), bytes: 'b' });
    // HL7 messages, views, acts: far more records than instances.
    for (let i = 0; i < 300; i++) await journal.append({ kind: 'record.viewed' });
    await dedupe.close();
    const watched = counting(journal);
    const reopened = await DicomDedupe.open(dir, watched.journal);
    expect(watched.afters).toEqual([301]);
    expect(watched.records()).toBe(0);
    expect(await check(reopened, { uid: uid(1), bytes: 'b' })).toBe('duplicate');
    await reopened.close();
    await journal.close();
  });

  it('a build from a long journal is written out at open: a process killed right after does not read the journal again', async () => {
    const { dir, journal } = await vault();
    const earlier = await DicomDedupe.open(dir, journal);
    const copies = Array.from({ length: 1200 }, (_, i) => ({ uid: uid(i), bytes: `b${i}` }));
    await Promise.all(copies.map((copy) => journal.append({ kind: 'intake.dicom', dedupe: tagOf(earlier, copy) })));
    const first = counting(journal);
    const killed = await DicomDedupe.open(dir, first.journal, { memoryEntries: 4096 }); // not closed before the restart: killed
    expect(first.records()).toBe(1200);
    const second = counting(journal);
    const restarted = await DicomDedupe.open(dir, second.journal, { memoryEntries: 4096 });
    expect(second.afters).toEqual([1200]);
    expect(second.records()).toBe(0);
    for (const i of [0, 600, 1199]) expect(await check(restarted, copies[i]!)).toBe('duplicate');
    await restarted.close();
    await killed.close(); // (the killed process's files, closed for the test run)
    await journal.close();
  });

  it('a record read again from the journal while a run file holds it too counts once', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 64 });
    for (let i = 0; i < 20; i++) await store(dedupe, journal, { uid: uid(i), bytes: 'x' });
    const seqs: number[] = [];
    for (const bytes of ['A', 'B', 'C']) seqs.push((await store(dedupe, journal, { uid: uid(99), bytes })).seq);
    await dedupe.close();
    // A manifest behind its run files (as a flush leaves it when an append from before it resolves late).
    const manifestFile = path.join(dir, 'manifest.json');
    await writeFile(manifestFile, JSON.stringify({ ...(JSON.parse(await readFile(manifestFile, 'utf8')) as object), lastSeq: 0 }));
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 64 });
    expect(reopened.stats().memoryEntries).toBe(23);
    expect(reopened.lookup(reopened.keyTag(uid(99))).map((copy) => copy.seq)).toEqual(seqs);
    await reopened.close();
    await journal.close();
  });

  it('copies of one UID spread over the memtable and several runs all count; a conflict needs the same patient; a restart keeps them', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    const fill = async (from: number): Promise<void> => {
      for (let i = from; i < from + 30; i++) await store(dedupe, journal, { uid: uid(i), bytes: `f${i}` });
    };
    const one = { uid: uid(5000), bytes: 'ONE' };
    const two = { uid: uid(5000), bytes: 'TWO' };
    const three = { uid: uid(5000), bytes: 'THREE' };
    const seqs: number[] = [];
    seqs.push((await store(dedupe, journal, one)).seq);
    await fill(0);
    seqs.push((await store(dedupe, journal, two)).seq);
    await fill(100);
    seqs.push((await store(dedupe, journal, three)).seq); // this one still in memory
    expect(dedupe.stats().runs).toBeGreaterThanOrEqual(1);
    expect(dedupe.stats().memoryEntries).toBeLessThanOrEqual(16);
    const verdicts = async (index: DicomDedupe): Promise<void> => {
      expect(index.lookup(index.keyTag(uid(5000))).map((copy) => copy.seq)).toEqual(seqs);
      for (const copy of [one, two, three]) expect(await check(index, copy)).toBe('duplicate');
      expect(await check(index, { uid: uid(5000), bytes: 'FOUR' })).toBe('conflict');
      // Another patient's copy of the UID: stored as that patient's first (QA2-12 Q2)…
      expect(await check(index, { uid: uid(5000), bytes: 'FOUR', patient: 'MRN-2' })).toBe('new');
      // …and the same bytes as any stored copy are a duplicate whoever it names.
      expect(await check(index, { uid: uid(5000), bytes: 'TWO', patient: 'MRN-2' })).toBe('duplicate');
    };
    await verdicts(dedupe);
    await dedupe.close();
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    await verdicts(reopened);
    await reopened.close();
    await journal.close();
  });

  it(`keeps the newest ${MAX_COPIES_PER_UID} copies of a UID, in memory and in the run files`, async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    const copies = Array.from({ length: MAX_COPIES_PER_UID + 8 }, (_, i) => ({ uid: uid(7), bytes: `v${i}` }));
    for (const copy of copies) {
      await store(dedupe, journal, copy);
      await store(dedupe, journal, { uid: uid(10_000 + copies.indexOf(copy)), bytes: 'x' }); // other UIDs between
    }
    const expectNewest = async (index: DicomDedupe): Promise<void> => {
      expect(index.lookup(index.keyTag(uid(7)))).toHaveLength(MAX_COPIES_PER_UID);
      for (const copy of copies.slice(0, 8)) expect(await check(index, copy)).toBe('conflict');
      for (const copy of copies.slice(8)) expect(await check(index, copy)).toBe('duplicate');
    };
    await expectNewest(dedupe);
    await dedupe.close();
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    await expectNewest(reopened);
    // A merge of every run (the compaction a forget asks for) keeps only the cap of them on disk.
    await reopened.forget([1_000_000]);
    expect(reopened.stats()).toMatchObject({ runs: 1, entries: copies.length + MAX_COPIES_PER_UID });
    await expectNewest(reopened);
    await reopened.close();
    await journal.close();
  });

  it('an erased copy is new again: forget() after the journal rewrite (memtable and run files), and even without it (hits are confirmed against the journal)', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    const copies = Array.from({ length: 40 }, (_, i) => ({ uid: uid(i), bytes: `b${i}` }));
    const seqs: number[] = [];
    for (const copy of copies) seqs.push((await store(dedupe, journal, copy)).seq);
    // Records 3 (in a run file by now) and 39 (in the memtable) become tombstones.
    await journal.rewrite(new Set([seqs[3]!, seqs[39]!]));
    await dedupe.forget([seqs[3]!, seqs[39]!]);
    expect(dedupe.lookup(dedupe.keyTag(uid(3)))).toEqual([]);
    expect(await check(dedupe, copies[3]!)).toBe('new');
    expect(await check(dedupe, copies[39]!)).toBe('new');
    // Other bytes under an erased UID are no conflict either.
    expect(await check(dedupe, { uid: uid(3), bytes: 'other' })).toBe('new');
    expect(await check(dedupe, copies[4]!)).toBe('duplicate');
    // Erased without telling the index (a crash between the rewrite and forget()): listed, not believed.
    await journal.rewrite(new Set([seqs[5]!]));
    expect(dedupe.lookup(dedupe.keyTag(uid(5)))).toHaveLength(1);
    expect(await check(dedupe, copies[5]!)).toBe('new');
    expect(await check(dedupe, { uid: uid(5), bytes: 'other' })).toBe('new');
    await dedupe.close();
    // The compaction rewrote the runs without them, and the journal's tombstones carry no tag.
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 8 });
    for (const i of [3, 5, 39]) expect(reopened.lookup(reopened.keyTag(uid(i)))).toEqual([]);
    expect(await check(reopened, copies[4]!)).toBe('duplicate');
    // Stored again, it is a duplicate again.
    await store(reopened, journal, copies[3]!);
    expect(await check(reopened, copies[3]!)).toBe('duplicate');
    await reopened.close();
    await journal.close();
  });

  it('tags written before patients were told apart count as the same patient\'s copy, from the journal and from the run files', async () => {
    const { dir, journal } = await vault();
    // Written by an earlier version, before this index existed.
    const earlier = await DicomDedupe.open(dir, journal);
    await journal.append({ kind: 'intake.dicom', dedupe: `d1.${earlier.keyTag(uid(1))}.${earlier.payloadTag('OLD')}` });
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 4 });
    for (let i = 0; i < 12; i++) await store(dedupe, journal, { uid: uid(100 + i), bytes: 'x' });
    await dedupe.close();
    const reopened = await DicomDedupe.open(dir, journal, { memoryEntries: 4 });
    expect(reopened.stats().runs).toBeGreaterThan(0);
    expect(reopened.lookup(reopened.keyTag(uid(1)))).toEqual([{ payload: reopened.payloadTag('OLD'), seq: 1 }]);
    expect(await check(reopened, { uid: uid(1), bytes: 'NEW', patient: 'MRN-9' })).toBe('conflict');
    expect(await check(reopened, { uid: uid(1), bytes: 'OLD', patient: 'MRN-9' })).toBe('duplicate');
    await reopened.close();
    await journal.close();
  });

  it('the index files hold no UID or patient identifier in clear', async () => {
    const { dir, journal } = await vault();
    const dedupe = await DicomDedupe.open(dir, journal, { memoryEntries: 2 });
    for (let i = 0; i < 10; i++) await store(dedupe, journal, { uid: uid(i), bytes: `b${i}`, patient: `MRN-SECRET-${i}` });
    await dedupe.close();
    for (const name of await readdir(dir)) {
      if (name === 'key') continue;
      const text = (await readFile(path.join(dir, name))).toString('latin1');
      expect(text).not.toContain('1.2.826.0.1.3680043');
      expect(text).not.toContain('MRN-SECRET');
    }
    await journal.close();
  });
});
