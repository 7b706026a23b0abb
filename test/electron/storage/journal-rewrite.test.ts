import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../../electron/storage/journal';
import { scanJournal } from '../../../electron/storage/journal-format';
import { nodeStorageFs } from '../../../electron/storage/storage-fs';
import { fakeEnvelope, silentLogger } from './storage-test-support';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();
const objectId = (n: number): string => n.toString(16).padStart(64, '0');
/** The journal folder's files, without the open journal's inline object index folder (rebuilt at every open). */
const journalFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => !name.startsWith('inline-index-'));

async function filled(dir: string, count: number, indexEvery = 4): Promise<Journal> {
  const journal = await Journal.open(dir, silentLogger(), { indexEvery });
  await Promise.all(Array.from({ length: count }, (_, i) => journal.append({ kind: 'intake.demo', objects: [objectId(i + 1)], meta: fakeEnvelope('journalMetadata', 40) })));
  return journal;
}

describe('journal rewrite (erasure compaction)', () => {
  it('a tombstone drops the record\'s dedupe tag; the records that stay keep theirs', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir, silentLogger());
    for (let i = 1; i <= 3; i++) await journal.append({ kind: 'intake.hl7', objects: [objectId(i)], meta: fakeEnvelope('journalMetadata', 40), dedupe: `k${i}.p${i}.AA` });
    await journal.rewrite(new Set([2]));
    const records = (await journal.read({ after: 0, limit: 10 })).records;
    expect(records.map((r) => r.dedupe)).toEqual(['k1.p1.AA', undefined, 'k3.p3.AA']);
    await journal.close();
    expect(await readFile(path.join(dir, 'journal.hdj'), 'latin1')).not.toContain('k2.p2');
  });

  it('turns the chosen records into tombstones with the same seq and time, keeps the rest byte for byte, and keeps appending', async () => {
    const dir = await tempDir();
    const journal = await filled(dir, 20);
    const before = (await journal.read({ after: 0, limit: 100 })).records;
    const result = await journal.rewrite(new Set([3, 4, 17]));
    expect(result).toEqual({ erased: 3, stillReferenced: [], droppedInline: [] });
    const after = (await journal.read({ after: 0, limit: 100 })).records;
    expect(after.map((r) => r.seq)).toEqual(before.map((r) => r.seq));
    for (const record of after) {
      const original = before[record.seq - 1]!;
      if ([3, 4, 17].includes(record.seq)) expect(record).toEqual({ seq: record.seq, kind: 'erased', at: original.at, operator: null, objects: [], meta: null });
      else expect(record).toEqual(original);
    }
    // Cursor reads in the middle use the rebuilt index.
    expect((await journal.read({ after: 9, limit: 2 })).records.map((r) => r.seq)).toEqual([10, 11]);
    expect((await journal.append({ kind: 'erasure.applied', operator: 'op_1' })).seq).toBe(21);
    // Erasing again counts only what was not erased yet.
    expect(await journal.rewrite(new Set([3, 5]))).toEqual({ erased: 1, stillReferenced: [], droppedInline: [] });
    await journal.close();
    const file = await nodeStorageFs.open(path.join(dir, 'journal.hdj'), 'read');
    const scan = await scanJournal(file, await file.size());
    await file.close();
    expect(scan).toMatchObject({ verdict: 'clean', records: 21, lastSeq: 21 });
    expect(await journalFiles(dir)).toEqual(['journal.hdj']);
    const reopened = await Journal.open(dir, silentLogger());
    expect((await reopened.read({ after: 2, limit: 1 })).records[0]?.kind).toBe('erased');
    await reopened.close();
  });

  it('leaves the journal untouched when an object to delete is still referenced by a record that stays', async () => {
    const dir = await tempDir();
    const journal = await filled(dir, 5);
    const before = (await journal.read({ after: 0, limit: 100 })).records;
    const result = await journal.rewrite(new Set([1]), new Set([objectId(1), objectId(2)]));
    expect(result).toEqual({ erased: 0, stillReferenced: [objectId(2)], droppedInline: [] });
    expect((await journal.read({ after: 0, limit: 100 })).records).toEqual(before);
    expect(await journalFiles(dir)).toEqual(['journal.hdj']);
    await journal.close();
  });

  it('refuses seqs that do not exist', async () => {
    const journal = await filled(await tempDir(), 3);
    await expect(journal.rewrite(new Set([4]))).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(journal.rewrite(new Set([0]))).rejects.toMatchObject({ code: 'E_INVALID' });
    await journal.close();
  });

  it('holds appends made during the rewrite and writes them after it, in order', async () => {
    const dir = await tempDir();
    const journal = await filled(dir, 300);
    const rewrite = journal.rewrite(new Set(Array.from({ length: 100 }, (_, i) => i * 3 + 1)));
    const appends = Array.from({ length: 50 }, (_, i) => journal.append({ kind: 'view.access', operator: 'op_1', note: { i } }));
    const reads = journal.read({ after: 0, limit: 5 });
    const [rewritten, appended, read] = await Promise.all([rewrite, Promise.all(appends), reads]);
    expect(rewritten.erased).toBe(100);
    expect(appended.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 301 + i));
    expect(read.records[0]?.kind).toBe('erased');
    const all = (await journal.read({ after: 0, limit: 1000 })).records;
    expect(all).toHaveLength(350);
    expect(all.filter((r) => r.kind === 'erased')).toHaveLength(100);
    await journal.close();
  });

  it('removes a rewrite temp file a crash left behind when it opens', async () => {
    const dir = await tempDir();
    const journal = await filled(dir, 2);
    await journal.close();
    await writeFile(path.join(dir, 'journal.hdj.rewrite-0123456789abcdef.tmp'), 'partial');
    const reopened = await Journal.open(dir, silentLogger());
    expect(await journalFiles(dir)).toEqual(['journal.hdj']);
    expect(reopened.lastSeq).toBe(2);
    await reopened.close();
  });

  it('refuses appends of the erased kind: only a rewrite writes tombstones', async () => {
    const journal = await filled(await tempDir(), 1);
    await expect(journal.append({ kind: 'erased' })).rejects.toMatchObject({ code: 'E_INVALID' });
    await journal.close();
  });

  it('gives a snapshot that stays put while appends go on', async () => {
    const journal = await filled(await tempDir(), 10);
    await journal.withSnapshot(async (snapshot) => {
      expect(snapshot.lastSeq).toBe(10);
      await Promise.all(Array.from({ length: 10 }, () => journal.append({ kind: 'intake.demo' })));
      expect(journal.lastSeq).toBe(20);
      const head = Buffer.alloc(8);
      await snapshot.read(head, 0, 8, 0);
      expect(head.toString('ascii')).toBe('HDMSJ002');
      await expect(snapshot.read(Buffer.alloc(8), 0, 8, snapshot.size - 4)).rejects.toMatchObject({ code: 'E_INVALID' });
    });
    await journal.close();
  });
});
