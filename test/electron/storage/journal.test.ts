import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type AppendResult, type JournalRecord } from '../../../electron/storage/journal';
import { FRAME_HEADER_BYTES, JOURNAL_MAGIC } from '../../../electron/storage/journal-format';
import { JOURNAL_FILE_NAME, vaultLayout } from '../../../electron/storage/vault-layout';
import { checkVault } from '../../../electron/storage/vault-check';
import { REPO_ROOT } from '../../support/repo-paths';
import { memoryLogger } from '../../support/silent-logger';
import { useTempDirs } from '../../support/temp-dir';
import { fakeEnvelope, FaultyFs, silentLogger } from './storage-test-support';

const tempDir = useTempDirs();
const OBJECT_A = 'a'.repeat(64);

async function freshJournal(options: { fs?: FaultyFs; indexEvery?: number; maxPendingBytes?: number } = {}): Promise<{ dir: string; journal: Journal }> {
  const dir = path.join(await tempDir(), 'journal');
  return { dir, journal: await Journal.open(dir, silentLogger(), options) };
}

async function readEverything(journal: Journal, pageSize = 500): Promise<JournalRecord[]> {
  const all: JournalRecord[] = [];
  let after = 0;
  for (;;) {
    const page = await journal.read({ after, limit: pageSize });
    all.push(...page.records);
    after = page.nextCursor;
    if (page.end) return all;
  }
}

/** Appends `count` records sequentially; returns each record's frame offset. */
async function appendMany(journal: Journal, count: number, kind = 'intake.demo'): Promise<AppendResult[]> {
  const results: AppendResult[] = [];
  for (let i = 0; i < count; i++) results.push(await journal.append({ kind, objects: [OBJECT_A], note: { i } }));
  return results;
}

describe('journal', () => {
  it('appends records and reads them back by cursor, page by page', async () => {
    const { journal } = await freshJournal({ indexEvery: 16 });
    const meta = fakeEnvelope('journalMetadata', 200);
    const first = await journal.append({ kind: 'vault.created', operator: 'op_7f3a', objects: [OBJECT_A], meta });
    expect(first).toEqual({ seq: 1, offset: JOURNAL_MAGIC.length });
    await appendMany(journal, 299);
    expect(journal.lastSeq).toBe(300);

    const head = await journal.read({ after: 0, limit: 1 });
    expect(head.records[0]).toMatchObject({ seq: 1, kind: 'vault.created', operator: 'op_7f3a', objects: [OBJECT_A], meta: meta.toString('base64url') });
    expect(Number.isNaN(Date.parse(head.records[0]!.at))).toBe(false);
    expect(head).toMatchObject({ nextCursor: 1, end: false });

    const all = await readEverything(journal, 37);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(all[150]).toMatchObject({ seq: 151, kind: 'intake.demo', operator: null, meta: null, note: { i: 149 } });

    // From the middle, across index slots; a tiny byte budget still returns one record.
    expect((await journal.read({ after: 170, limit: 5 })).records.map((r) => r.seq)).toEqual([171, 172, 173, 174, 175]);
    expect((await journal.read({ after: 40, limit: 100, maxBytes: 1 })).records.map((r) => r.seq)).toEqual([41]);
    expect(await journal.read({ after: 300, limit: 10 })).toEqual({ records: [], nextCursor: 300, end: true });
    await expect(journal.read({ after: 301, limit: 10 })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(journal.read({ after: -1, limit: 10 })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(journal.read({ after: 0, limit: 0 })).rejects.toMatchObject({ code: 'E_INVALID' });
    await journal.close();
  });

  it('group-commits concurrent appends: far fewer fsyncs, each caller acknowledged only after its fsync, in seq order', async () => {
    const fs = new FaultyFs();
    const { dir, journal } = await freshJournal({ fs });
    const file = path.join(dir, JOURNAL_FILE_NAME);
    const syncsBefore = fs.datasyncs;
    const durableAtAck = new Map<number, number>();
    const order: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        journal.append({ kind: 'intake.hl7', objects: [OBJECT_A], note: { i } }).then((result) => {
          durableAtAck.set(result.seq, fs.durableEnd.get(file) ?? 0);
          order.push(result.seq);
          return result;
        }),
      ),
    );
    const fsyncs = fs.datasyncs - syncsBefore;
    expect(fsyncs).toBeLessThanOrEqual(10);
    expect(journal.stats().batches).toBe(fsyncs);
    expect(journal.stats().largestBatch).toBeGreaterThan(100);
    // Call order = seq order = acknowledgement order.
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(order).toEqual(results.map((r) => r.seq));
    // Each record's whole frame was inside the durable part of the file when its promise resolved.
    const bytes = await readFile(file);
    for (const { seq, offset } of results) {
      const frameEnd = offset + FRAME_HEADER_BYTES + bytes.readUInt32BE(offset);
      expect(durableAtAck.get(seq)).toBeGreaterThanOrEqual(frameEnd);
    }
    expect((await readEverything(journal)).map((r) => r.note?.['i'])).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await journal.close();
  });

  it('carries a dedupe tag in clear, durable with the record; refuses a malformed one; records without one read as before', async () => {
    const dataDir = await tempDir();
    const dir = vaultLayout(dataDir).journalDir;
    const journal = await Journal.open(dir, silentLogger());
    await journal.append({ kind: 'intake.demo', objects: [], meta: fakeEnvelope('journalMetadata', 40) });
    await journal.append({ kind: 'intake.hl7', objects: [], meta: fakeEnvelope('journalMetadata', 40), dedupe: 'AbC_-1.xyz.AA' });
    for (const dedupe of ['has space', 'a..b', 'x'.repeat(129), 'ü', '']) {
      await expect(journal.append({ kind: 'intake.hl7', objects: [], dedupe })).rejects.toMatchObject({ code: 'E_INVALID' });
    }
    await journal.close();
    const reopened = await Journal.open(dir, silentLogger());
    const records = await readEverything(reopened);
    expect(records.map((r) => r.dedupe)).toEqual([undefined, 'AbC_-1.xyz.AA']);
    expect('dedupe' in records[0]!).toBe(false);
    await reopened.close();
    // vault:check verifies every record, tagged or not (keys.json is not part of this test's vault).
    const report = await checkVault(dataDir);
    expect(report.errors.filter((error) => !error.includes('keys.json'))).toEqual([]);
    expect(report.journal).toMatchObject({ records: 2, byKind: { 'intake.demo': 1, 'intake.hl7': 1 } });
  });

  it('continues the sequence after a reopen', async () => {
    const { dir, journal } = await freshJournal();
    await appendMany(journal, 5);
    await journal.close();
    const again = await Journal.open(dir, silentLogger());
    expect(again.openResult).toEqual({ records: 5, lastSeq: 5, repairedTornTail: null });
    expect((await again.append({ kind: 'view.access' })).seq).toBe(6);
    await again.close();
  });

  it('applies backpressure to a flood of appends and still writes all of them', async () => {
    const { journal } = await freshJournal({ maxPendingBytes: 4096 });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append({ kind: 'intake.demo', objects: [OBJECT_A, OBJECT_A], note: { i } })));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // About 170 bytes each (version 2): at most 4096 / 170 of them wait at once.
    expect(journal.stats().largestBatch).toBeLessThanOrEqual(25);
    await journal.close();
  });

  it.each([
    ['a kind with spaces', { kind: 'Jana Nováková' }],
    ['an upper-case kind', { kind: 'Intake.Demo' }],
    ['an over-long kind', { kind: 'a'.repeat(65) }],
    ['a reserved kind', { kind: 'journal.repaired' }],
    ['a bad operator', { kind: 'view.access', operator: 'Dr. House' }],
    ['a bad object id', { kind: 'intake.demo', objects: ['../etc/passwd'] }],
    ['plaintext metadata', { kind: 'intake.demo', meta: Buffer.from('PID|||123456^^^MRN||Doe^John') }],
    ['metadata sealed as an object', { kind: 'intake.demo', meta: fakeEnvelope('object', 32) }],
    ['metadata that is not base64url', { kind: 'intake.demo', meta: 'Doe, John' }],
    ['a note with text', { kind: 'intake.demo', note: { name: 'Doe' } as unknown as Record<string, number> }],
  ])('refuses %s and writes nothing', async (_label, entry) => {
    const { journal } = await freshJournal();
    await expect(journal.append(entry as never)).rejects.toMatchObject({ code: 'E_INVALID' });
    expect(journal.lastSeq).toBe(0);
    await journal.close();
  });

  it('flushes pending appends on close and refuses appends and reads afterwards', async () => {
    const { dir, journal } = await freshJournal();
    const pending = Array.from({ length: 20 }, () => journal.append({ kind: 'intake.demo' }));
    await journal.close();
    expect((await Promise.all(pending)).map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect(journal.append({ kind: 'intake.demo' })).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(journal.read({ after: 0, limit: 1 })).rejects.toMatchObject({ code: 'E_CLOSED' });
    const reopened = await Journal.open(dir, silentLogger());
    expect(reopened.openResult.lastSeq).toBe(20);
    await reopened.close();
  });

  describe('torn tail', () => {
    const tears: Array<[string, (file: string, frames: AppendResult[], size: number) => Promise<number>]> = [
      ['garbage appended', async (file) => (await appendFile(file, Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9])), 13)],
      ['zeros appended', async (file) => (await appendFile(file, Buffer.alloc(4096)), 4096)],
      ['a partial frame header', async (file) => (await appendFile(file, Buffer.from([0, 0, 1])), 3)],
      [
        'a partial frame (a record cut mid-body)',
        async (file, frames, size) => {
          const bytes = await readFile(file);
          const last = bytes.subarray(frames.at(-1)!.offset, size);
          await appendFile(file, last.subarray(0, last.length - 10));
          return last.length - 10;
        },
      ],
      [
        'a flipped byte in the last record',
        async (file, frames, size) => {
          const bytes = await readFile(file);
          bytes[size - 5]! ^= 0x40;
          await writeFile(file, bytes);
          return size - frames.at(-1)!.offset;
        },
      ],
      [
        'a length field pointing past the end',
        async (file) => {
          const header = Buffer.alloc(8);
          header.writeUInt32BE(5000, 0);
          await appendFile(file, Buffer.concat([header, Buffer.from('{"seq":11,"kind":"intake.demo"')]));
          return 8 + 30;
        },
      ],
    ];

    it.each(tears)('after %s: truncates to the last good record, records the repair, keeps every earlier record', async (_label, tear) => {
      const { dir, journal } = await freshJournal({ indexEvery: 4 });
      const frames = await appendMany(journal, 10);
      await journal.close();
      const file = path.join(dir, JOURNAL_FILE_NAME);
      const size = (await stat(file)).size;
      const truncatedBytes = await tear(file, frames, size);
      const goodEnd = size + (await stat(file)).size - size - truncatedBytes;

      const { log, lines } = memoryLogger();
      const reopened = await Journal.open(dir, log);
      expect(reopened.openResult.repairedTornTail).toEqual({ truncatedBytes, offset: goodEnd });
      const kept = reopened.openResult.lastSeq;
      expect(kept).toBe(goodEnd === size ? 10 : 9);
      const records = await readEverything(reopened);
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: kept + 1 }, (_, i) => i + 1));
      expect(records.slice(0, kept).every((r, i) => r.kind === 'intake.demo' && r.note?.['i'] === i)).toBe(true);
      expect(records.at(-1)).toMatchObject({ seq: kept + 1, kind: 'journal.repaired', operator: null, objects: [], meta: null, note: { truncatedBytes, offset: goodEnd } });
      expect(lines().some((line) => line['msg'] === 'journal torn tail truncated' && line['truncatedBytes'] === truncatedBytes)).toBe(true);
      expect((await reopened.append({ kind: 'intake.demo' })).seq).toBe(kept + 2);
      await reopened.close();

      const third = await Journal.open(dir, silentLogger());
      expect(third.openResult).toEqual({ records: kept + 2, lastSeq: kept + 2, repairedTornTail: null });
      await third.close();
    });

    it('repairs a journal torn while its magic was being written', async () => {
      const dir = path.join(await tempDir(), 'journal');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, JOURNAL_FILE_NAME), JOURNAL_MAGIC.subarray(0, 5));
      const journal = await Journal.open(dir, silentLogger());
      expect(journal.openResult.repairedTornTail).toEqual({ truncatedBytes: 5, offset: 0 });
      expect(journal.lastSeq).toBe(1);
      await journal.close();
    });
  });

  it('a read steps over the records before its cursor by length alone; the records it returns are checked whole', async () => {
    const { dir, journal } = await freshJournal({ indexEvery: 16 });
    const frames = await appendMany(journal, 40);
    // Damage record 5's body on disk while the journal is open (the index entry before it is record 1).
    const file = path.join(dir, JOURNAL_FILE_NAME);
    const bytes = await readFile(file);
    const damagedAt = frames[4]!.offset;
    bytes[damagedAt + FRAME_HEADER_BYTES + 3]! ^= 0x01;
    await writeFile(file, bytes);
    // Record 5 lies between the index entry and the cursor: stepped over, not parsed.
    expect((await journal.read({ after: 10, limit: 3 })).records.map((r) => r.seq)).toEqual([11, 12, 13]);
    // A read that returns it checks it, and names where it is damaged.
    await expect(journal.read({ after: 3, limit: 3 })).rejects.toMatchObject({ code: 'E_JOURNAL_CORRUPT', details: { offset: damagedAt } });
    await journal.close();
  });

  it('refuses to open a journal damaged before its last record, naming the offset, and changes nothing', async () => {
    const { dir, journal } = await freshJournal();
    const frames = await appendMany(journal, 10);
    await journal.close();
    const file = path.join(dir, JOURNAL_FILE_NAME);
    const bytes = await readFile(file);
    const damagedAt = frames[2]!.offset;
    bytes[damagedAt + FRAME_HEADER_BYTES + 3]! ^= 0x01;
    await writeFile(file, bytes);
    const error = await Journal.open(dir, silentLogger()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageError', code: 'E_JOURNAL_CORRUPT', details: { offset: damagedAt } });
    expect((error as Error).message).toContain(`offset ${damagedAt}`);
    expect((error as Error).message).toContain(dir);
    expect(await readFile(file)).toEqual(bytes);
  });

  it('refuses a file that is not a journal', async () => {
    const dir = path.join(await tempDir(), 'journal');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, JOURNAL_FILE_NAME), 'SQLite format 3\0 and more bytes');
    await expect(Journal.open(dir, silentLogger())).rejects.toMatchObject({ code: 'E_JOURNAL_CORRUPT', details: { offset: 0 } });
  });

  it('fails a batch that hits a full disk (no acknowledgement), keeps the file consistent, and works again once space returns', async () => {
    const fs = new FaultyFs();
    const { dir, journal } = await freshJournal({ fs });
    await appendMany(journal, 5);
    const file = path.join(dir, JOURNAL_FILE_NAME);
    const sizeBefore = (await stat(file)).size;
    fs.spaceLeft = 1000; // room for about two records, then ENOSPC in the middle of a batch
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => journal.append({ kind: 'intake.demo', objects: [OBJECT_A], note: { i: 100 + i } })));
    const acked = outcomes.filter((o): o is PromiseFulfilledResult<AppendResult> => o.status === 'fulfilled').map((o) => o.value);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const failure of failed) {
      expect(failure.reason).toMatchObject({ code: 'E_DISK_FULL' });
      expect((failure.reason as Error).message).toContain(dir);
    }
    expect(acked.map((a) => a.seq)).toEqual(Array.from({ length: acked.length }, (_, i) => 6 + i));
    // The file ends exactly after the last acknowledged record.
    const bytes = await readFile(file);
    const lastAcked = acked.at(-1);
    const expectedEnd = lastAcked === undefined ? sizeBefore : lastAcked.offset + FRAME_HEADER_BYTES + bytes.readUInt32BE(lastAcked.offset);
    expect(bytes.length).toBe(expectedEnd);

    fs.spaceLeft = Number.POSITIVE_INFINITY;
    const next = await journal.append({ kind: 'intake.demo' });
    expect(next.seq).toBe(6 + acked.length);
    await journal.close();
    const reopened = await Journal.open(dir, silentLogger());
    expect(reopened.openResult).toEqual({ records: next.seq, lastSeq: next.seq, repairedTornTail: null });
    await reopened.close();
  });

  it('fails a batch whose fdatasync fails (E_IO), rolls it back, and goes on', async () => {
    const fs = new FaultyFs();
    const { dir, journal } = await freshJournal({ fs });
    await appendMany(journal, 3);
    fs.failDatasync = { code: 'EIO', times: 1 };
    await expect(journal.append({ kind: 'intake.demo' })).rejects.toMatchObject({ code: 'E_IO' });
    expect((await journal.append({ kind: 'intake.demo' })).seq).toBe(4);
    await journal.close();
    const reopened = await Journal.open(dir, silentLogger());
    expect(reopened.openResult).toMatchObject({ lastSeq: 4, repairedTornTail: null });
    await reopened.close();
  });

  it('refuses appends once a failed batch cannot be rolled back, and repairs the tail at the next open', async () => {
    const fs = new FaultyFs();
    const { dir, journal } = await freshJournal({ fs });
    await appendMany(journal, 3);
    fs.failDatasync = { code: 'EIO', times: 2 }; // the batch's fdatasync and the rollback's
    await expect(journal.append({ kind: 'intake.demo' })).rejects.toMatchObject({ code: 'E_IO' });
    const refused = await journal.append({ kind: 'intake.demo' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_IO' });
    expect((refused as Error).message).toContain('restart HDMS Node');
    await journal.close();
    const reopened = await Journal.open(dir, silentLogger());
    expect(reopened.openResult).toMatchObject({ lastSeq: 3, repairedTornTail: null });
    await reopened.close();
  });

  it('reports a journal folder it may not open as E_PERMISSION naming the folder', async () => {
    const fs = new FaultyFs();
    fs.failOpen = (file) => (file.endsWith(JOURNAL_FILE_NAME) ? 'EACCES' : null);
    const dir = path.join(await tempDir(), 'journal');
    const error = await Journal.open(dir, silentLogger(), { fs }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_PERMISSION', details: { folder: dir, osCode: 'EACCES' } });
    expect((error as Error).message).toContain(dir);
  });

  it('survives kill -9 during a flood: every acknowledged record is present exactly once and the journal verifies', { timeout: 60_000 }, async () => {
    const dataDir = await tempDir();
    const layout = vaultLayout(dataDir);
    await mkdir(layout.vaultDir, { recursive: true });
    await writeFile(layout.keysFile, '{}');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'electron', 'storage', 'journal-flood-child.ts'), layout.journalDir, '8'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const acked: Array<{ seq: number; writer: number; n: number }> = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The child acknowledged only ${acked.length} appends: ${stderr}`)), 45_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!; // an unterminated last line may be cut by the kill: ignore it
        for (const line of lines) {
          const [seq, writer, n] = line.split(' ').map(Number);
          if (line.startsWith('ready')) continue;
          acked.push({ seq: seq!, writer: writer!, n: n! });
        }
        if (acked.length >= 3000 && !child.killed) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`The child exited early: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const journal = await Journal.open(layout.journalDir, silentLogger());
    const records = await readEverything(journal, 2000);
    await journal.close();
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const seen = new Set<string>();
    for (const record of records) {
      if (record.kind !== 'test.flood') continue;
      const key = `${record.note?.['writer']}/${record.note?.['n']}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    for (const { seq, writer, n } of acked) {
      expect(bySeq.get(seq)).toMatchObject({ kind: 'test.flood', note: { writer, n } });
    }
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
    expect(report.journal.tornTail).toBe(false);
    expect(report.journal.records).toBe(records.length);
  });
});
