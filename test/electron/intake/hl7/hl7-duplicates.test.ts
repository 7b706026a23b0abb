import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryDedupe, dedupeKeyHash, journalTag, openHl7Dedupe, parseJournalTag, payloadHash, writeDedupeKey, type DedupeTag, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { newAckId, type AckCode } from '../../../../electron/intake/hl7/hl7-ack';
import { Journal } from '../../../../electron/storage/journal';
import { memoryLogger } from '../../../support/silent-logger';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

const tempDir = useTempDirs();
const keyOf = (controlId: string, facility = 'NORTH'): string => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: facility, controlId });

const journals: Journal[] = [];
// Each journal is closed after its test (a journal left open leaked its file handle to the garbage collector).
afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close();
});

async function vault(): Promise<{ root: string; dir: string; journal: Journal }> {
  const root = await tempDir();
  const journal = await Journal.open(path.join(root, 'journal'), silentLogger());
  journals.push(journal);
  return { root, dir: path.join(root, 'intake', 'hl7-dedupe'), journal };
}

/** What the intake does: a journal append carrying the tag, remembered once durable. */
function store(dedupe: Hl7Dedupe, journal: Journal, tag: DedupeTag, ack: AckCode = 'AA'): Promise<{ seq: number }> {
  return dedupe.store(tag, ack, (dedupeTag) => journal.append({ kind: 'intake.hl7', dedupe: dedupeTag }));
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

describe('HL7 duplicate index', () => {
  it('derives the keyed tag of a sender + control id and a payload as it always has (known answer, computed with Python hmac)', async () => {
    const { dir, journal } = await vault();
    // The tags live in journal records and run files: a faster way to compute them must give the same bytes.
    await mkdir(dir, { recursive: true });
    await writeDedupeKey(dir, Uint8Array.from({ length: 32 }, (_, i) => i));
    const dedupe = await openHl7Dedupe({ dir, journal });
    const keyHash = keyOf('C-1');
    const payload = payloadHash('message a');
    expect([keyHash, payload]).toEqual(['ab0198cc2285f58428570079e510ca7dfa59ba313e34ab2f2c2ab0aa1a57380d', '3296d46b6011afbee41673a377c40085a136e4b2e187d9293cfb70a60ae0d79d']);
    expect(dedupe.tag(keyHash, payload)).toEqual({ key: '07626ef0a0dcc621c00bef49e415a6c9', payload: '6a5f27ba196afaee4b02dd7b4b194e24' });
    await dedupe.close();
  });

  it('keys on sender + control id, recognizes an identical resend and a conflict; a corrected resend after a rejection is new', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal });
    const a = dedupe.tag(keyOf('C-1'), payloadHash('message a'));
    expect(await dedupe.check(a)).toEqual({ status: 'new' });
    expect(dedupe.isNew(a)).toBe(true);
    await store(dedupe, journal, a, 'CA');
    expect(dedupe.isNew(a)).toBe(false);
    expect(await dedupe.check(a)).toEqual({ status: 'duplicate', ack: 'CA' });
    expect(await dedupe.check(dedupe.tag(keyOf('C-1'), payloadHash('message b')))).toEqual({ status: 'conflict' });
    expect(await dedupe.check(dedupe.tag(keyOf('C-1', 'SOUTH'), payloadHash('message a')))).toEqual({ status: 'new' });
    const bad = dedupe.tag(keyOf('C-2'), payloadHash('bad'));
    await store(dedupe, journal, bad, 'AR');
    expect(await dedupe.check(dedupe.tag(keyOf('C-2'), payloadHash('fixed')))).toEqual({ status: 'new' });
    expect(await dedupe.check(bad)).toEqual({ status: 'duplicate', ack: 'AR' });
    await dedupe.close();
    await journal.close();
  });

  it('the journal record carries the tag (keyed hashes and the ACK), durable with it', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal });
    const tag = dedupe.tag(keyOf('C-1'), payloadHash('m'));
    const { seq } = await store(dedupe, journal, tag, 'CA');
    const record = (await journal.read({ after: seq - 1, limit: 1 })).records[0]!;
    expect(record.dedupe).toBe(journalTag(tag, 'CA'));
    expect(parseJournalTag(record.dedupe!)).toEqual({ ...tag, ack: 'CA' });
    await dedupe.close();
    await journal.close();
  });

  it('keeps the ACK id in the journal tag and hands it back with a duplicate, after a reopen too (the same ACK bytes after a restart)', async () => {
    const { dir, journal } = await vault();
    const first = await openHl7Dedupe({ dir, journal });
    const tag = first.tag(keyOf('C-ID'), payloadHash('m'));
    const ackId = newAckId(Date.UTC(2026, 11, 6, 19, 29, 15));
    const { seq } = await first.store(tag, 'AA', (dedupeTag) => journal.append({ kind: 'intake.hl7', dedupe: dedupeTag }), ackId);
    const record = (await journal.read({ after: seq - 1, limit: 1 })).records[0]!;
    expect(record.dedupe).toBe(journalTag(tag, 'AA', ackId));
    expect(parseJournalTag(record.dedupe!)).toEqual({ ...tag, ack: 'AA', ackId });
    expect(await first.check(tag)).toEqual({ status: 'duplicate', ack: 'AA', ackId });
    await first.close();
    const second = await openHl7Dedupe({ dir, journal });
    expect(await second.check(tag)).toEqual({ status: 'duplicate', ack: 'AA', ackId });
    await second.close();
    await journal.close();
    // Only our own id goes into the clear tag: anything else is refused, and read back as no HL7 tag.
    expect(() => journalTag(tag, 'AA', 'MRN-4711')).toThrow();
    expect(parseJournalTag(`${journalTag(tag, 'AA')}.MRN-4711`)).toBeNull();
  });

  it('a process that dies before the index wrote anything: the next open catches up from the journal', async () => {
    const { dir, journal } = await vault();
    const first = await openHl7Dedupe({ dir, journal });
    const tags = Array.from({ length: 50 }, (_, i) => first.tag(keyOf(`K-${i}`), payloadHash(`m${i}`)));
    for (const tag of tags) await store(first, journal, tag);
    // No close(): the memtable is lost as with kill -9; only the journal holds the tags.
    const second = await openHl7Dedupe({ dir, journal });
    for (const tag of tags) expect(await second.check(tag)).toEqual({ status: 'duplicate', ack: 'AA' });
    expect(await second.check(second.tag(keyOf('K-new'), payloadHash('x')))).toEqual({ status: 'new' });
    await second.close();
    await journal.close();
  });

  it('keeps memory bounded by its memtable while the run files on disk grow; every entry stays findable across flushes, merges and a restart', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 64 });
    const tags: DedupeTag[] = [];
    let largestMemory = 0;
    const diskSizes: number[] = [];
    for (let i = 0; i < 3000; i += 100) {
      // 100 appends in flight at once (group-committed), as from many connections.
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) => {
          const tag = dedupe.tag(keyOf(`B-${i + j}`), payloadHash(`m${i + j}`));
          tags[i + j] = tag;
          await store(dedupe, journal, tag, (i + j) % 7 === 0 ? 'AR' : 'AA');
          const stats = dedupe.stats();
          largestMemory = Math.max(largestMemory, stats.memoryEntries);
          expect(stats.memoryEntries).toBeLessThanOrEqual(stats.memoryLimitEntries);
        }),
      );
      if (i % 500 === 400) diskSizes.push(dedupe.stats().diskBytes);
    }
    expect(dedupe.stats().memoryLimitEntries).toBe(128);
    expect(largestMemory).toBeGreaterThan(0);
    // 3000 entries, 64 at a time in memory: the rest is on disk, and grows with the entries.
    for (let i = 1; i < diskSizes.length; i++) expect(diskSizes[i]!).toBeGreaterThan(diskSizes[i - 1]!);
    expect(dedupe.stats().entries).toBeGreaterThanOrEqual(3000);
    for (const i of [0, 1, 7, 63, 64, 65, 700, 1500, 2999]) expect(await dedupe.check(tags[i]!)).toEqual({ status: 'duplicate', ack: i % 7 === 0 ? 'AR' : 'AA' });
    await dedupe.close();
    const reopened = await openHl7Dedupe({ dir, journal, memoryEntries: 64 });
    expect(reopened.stats().memoryEntries).toBe(0); // nothing to catch up after a clean close
    for (let i = 0; i < 3000; i += 37) expect((await reopened.check(tags[i]!)).status).toBe('duplicate');
    expect(await reopened.check(reopened.tag(keyOf('B-3000'), payloadHash('m3000')))).toEqual({ status: 'new' });
    await reopened.close();
    await journal.close();
  });

  it('keeps several contents under one key through flushes and a restart', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    const key = keyOf('SAME');
    const [bad, good, resent] = ['bad', 'good', 'resent'].map((text) => dedupe.tag(key, payloadHash(text))) as [DedupeTag, DedupeTag, DedupeTag];
    await store(dedupe, journal, bad, 'AR');
    expect(await dedupe.check(good)).toEqual({ status: 'new' }); // only rejected so far
    await store(dedupe, journal, good, 'AA');
    await store(dedupe, journal, resent, 'AR');
    await store(dedupe, journal, bad, 'CR'); // answered again: the newer answer counts
    for (let i = 0; i < 20; i++) await store(dedupe, journal, dedupe.tag(keyOf(`filler-${i}`), payloadHash(`${i}`)));
    await dedupe.close();
    const again = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    expect(await again.check(bad)).toEqual({ status: 'duplicate', ack: 'CR' });
    expect(await again.check(good)).toEqual({ status: 'duplicate', ack: 'AA' });
    expect(await again.check(resent)).toEqual({ status: 'duplicate', ack: 'AR' });
    expect(await again.check(again.tag(key, payloadHash('other')))).toEqual({ status: 'conflict' });
    await again.close();
    await journal.close();
  });

  it('an operator\'s copy (copyOf) is no conflict with other quarantine records under its key: a second edit after the first was held again (QA explore-11, issue 11 D3 follow-up)', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal });
    const held = (payload: string) => dedupe.tag(keyOf('NOPID-1'), payloadHash(payload));
    const quarantine = (tag: DedupeTag) => dedupe.store(tag, 'AA', (dedupeTag) => journal.append({ kind: 'intake.quarantine', dedupe: dedupeTag }));
    // The sender's message, held (no PID); the operator's first edit, held again under the same key.
    const { seq: original } = await quarantine(held('as sent'));
    const { seq: firstEdit } = await quarantine(held('first edit'));
    const secondEdit = held('second edit');
    expect(await dedupe.check(secondEdit, { copyOf: original })).toEqual({ status: 'new' });
    expect(await dedupe.check(secondEdit, { copyOf: firstEdit })).toEqual({ status: 'new' });
    // Identical content is still a duplicate, and the sender's own traffic is judged as before.
    expect(await dedupe.check(held('first edit'), { copyOf: original })).toEqual({ status: 'duplicate', ack: 'AA' });
    expect(await dedupe.check(secondEdit)).toEqual({ status: 'conflict' });
    // A message filed under the key (not a quarantine record) stays a conflict for a copy.
    await store(dedupe, journal, held('filed'));
    expect(await dedupe.check(secondEdit, { copyOf: original })).toEqual({ status: 'conflict' });
    await dedupe.close();
    await journal.close();
  });

  it('an erased message is new again: forget() after the journal rewrite, and even without it (hits are confirmed against the journal)', async () => {
    const { dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 8 });
    const tags = Array.from({ length: 40 }, (_, i) => dedupe.tag(keyOf(`E-${i}`), payloadHash(`m${i}`)));
    const seqs: number[] = [];
    for (const tag of tags) seqs.push((await store(dedupe, journal, tag)).seq);
    // The erasure: records 3 (in a run file by now) and 39 (in the memtable) become tombstones.
    await journal.rewrite(new Set([seqs[3]!, seqs[39]!]));
    await dedupe.forget([seqs[3]!, seqs[39]!]);
    expect(await dedupe.check(tags[3]!)).toEqual({ status: 'new' });
    expect(await dedupe.check(tags[39]!)).toEqual({ status: 'new' });
    expect(await dedupe.check(tags[4]!)).toEqual({ status: 'duplicate', ack: 'AA' });
    // Stored again, it is a duplicate again.
    await store(dedupe, journal, tags[3]!);
    expect(await dedupe.check(tags[3]!)).toEqual({ status: 'duplicate', ack: 'AA' });
    // Erased without telling the index (a crash between the rewrite and forget()).
    await journal.rewrite(new Set([seqs[5]!]));
    expect(dedupe.isNew(tags[5]!)).toBe(false); // still listed…
    expect(await dedupe.check(tags[5]!)).toEqual({ status: 'new' }); // …but not believed
    // A different message under an erased key is not a conflict either.
    expect(await dedupe.check(dedupe.tag(keyOf('E-5'), payloadHash('other')))).toEqual({ status: 'new' });
    await dedupe.close();
    await journal.close();
  });

  it('the index files and the journal hold no unkeyed hash of a known message; the key file is 0600', async () => {
    const { root, dir, journal } = await vault();
    const dedupe = await openHl7Dedupe({ dir, journal, memoryEntries: 2 });
    const known = Array.from({ length: 10 }, (_, i) => ({ key: keyOf(`P-${i}`), payload: payloadHash(`MSH|^~\\&|LAB|NORTH|||20250101||ADT^A01|P-${i}|P|2.5\rPID|||123||Doe^Jane`) }));
    for (const { key, payload } of known) await store(dedupe, journal, dedupe.tag(key, payload));
    await dedupe.close();
    await journal.close();
    const files = await filesUnder(root);
    expect(files.some((file) => file.endsWith('.hdx'))).toBe(true);
    for (const file of files) {
      const bytes = await readFile(file);
      const text = bytes.toString('latin1');
      for (const { key, payload } of known) {
        for (const digest of [key, payload]) {
          const raw = Buffer.from(digest, 'hex');
          expect(text, file).not.toContain(digest);
          expect(text, file).not.toContain(raw.toString('base64url').slice(0, 20));
          expect(bytes.includes(raw.subarray(0, 8)), file).toBe(false);
        }
      }
    }
    if (process.platform !== 'win32') expect((await stat(path.join(dir, 'key'))).mode & 0o777).toBe(0o600);
  });

  it('removes the unkeyed hl7-dedupe.jsonl of an earlier version, logging a count and nothing of its content', async () => {
    const { root, dir, journal } = await vault();
    const legacy = path.join(root, 'intake', 'hl7-dedupe.jsonl');
    const old = { k: keyOf('OLD-1'), p: payloadHash('old'), a: 'AA', t: Date.now() };
    await openHl7Dedupe({ dir, journal }).then((d) => d.close()); // creates the folder
    await writeFile(legacy, `${JSON.stringify(old)}\n${JSON.stringify({ ...old, k: keyOf('OLD-2') })}\n`);
    const { log, lines } = memoryLogger();
    const dedupe = await openHl7Dedupe({ dir, journal, legacyFile: legacy, log });
    await expect(stat(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
    const line = lines().find((entry) => /unkeyed hl7-dedupe\.jsonl/.test(String(entry['msg'])));
    expect(line).toMatchObject({ entries: 2 });
    expect(JSON.stringify(lines())).not.toContain(old.k);
    await dedupe.close();
    await journal.close();
  });

  it('rebuilds from the journal when the manifest is unreadable, ahead of the journal, or made with another key', async () => {
    const { root, dir, journal } = await vault();
    const first = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    const tags = Array.from({ length: 12 }, (_, i) => first.tag(keyOf(`R-${i}`), payloadHash(`${i}`)));
    for (const tag of tags) await store(first, journal, tag);
    await first.close();
    // Manifest gone: rebuilt from the journal's tags.
    await writeFile(path.join(dir, 'manifest.json'), 'not json');
    const rebuilt = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    for (const tag of tags) expect((await rebuilt.check(tag)).status).toBe('duplicate');
    await rebuilt.close();
    // A journal with fewer records than the manifest says (another vault folder's journal).
    const otherJournal = await Journal.open(path.join(root, 'other-journal'), silentLogger());
    const fresh = await openHl7Dedupe({ dir, journal: otherJournal, memoryEntries: 4 });
    for (const tag of tags) expect(await fresh.check(tag)).toEqual({ status: 'new' });
    await fresh.close();
    await otherJournal.close();
    // The key file lost: a new key, the index rebuilt; new tags never match the journal's old ones.
    await rm(path.join(dir, 'key'));
    const rekeyed = await openHl7Dedupe({ dir, journal, memoryEntries: 4 });
    expect(await rekeyed.check(rekeyed.tag(keyOf('R-0'), payloadHash('0')))).toEqual({ status: 'new' });
    await rekeyed.close();
    await journal.close();
  });

  it('ignores answers past the retention', async () => {
    const { dir, journal } = await vault();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const dedupe = await openHl7Dedupe({ dir, journal, retentionDays: 30, now: () => now });
    const tag = dedupe.tag(keyOf('T-1'), payloadHash('t'));
    await store(dedupe, journal, tag);
    now += 10 * 86_400_000;
    expect((await dedupe.check(tag)).status).toBe('duplicate');
    now += 30 * 86_400_000;
    expect(await dedupe.check(tag)).toEqual({ status: 'new' });
    await dedupe.close();
    await journal.close();
  });

  it('the in-memory index answers as the persisted one', async () => {
    const dedupe = createMemoryDedupe();
    let seq = 0;
    const append = (): Promise<{ seq: number }> => Promise.resolve({ seq: ++seq });
    const key = keyOf('M-1');
    await dedupe.store(dedupe.tag(key, payloadHash('r')), 'AR', append);
    expect(await dedupe.check(dedupe.tag(key, payloadHash('x')))).toEqual({ status: 'new' });
    await dedupe.store(dedupe.tag(key, payloadHash('a')), 'CA', append);
    expect(await dedupe.check(dedupe.tag(key, payloadHash('x')))).toEqual({ status: 'conflict' });
    expect(await dedupe.check(dedupe.tag(key, payloadHash('r')))).toEqual({ status: 'duplicate', ack: 'AR' });
  });

  it('hashes as SHA-256 hex of the UTF-8 text (or the bytes); tags are keyed: another vault\'s key gives other tags', async () => {
    expect(payloadHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(payloadHash('Zoé')).toBe(payloadHash(Buffer.from('Zoé', 'utf8')));
    expect(payloadHash(new Uint8Array(Buffer.from('xZoéx', 'utf8')).subarray(1, 5))).toBe(payloadHash('Zoé'));
    expect(dedupeKeyHash({ sendingApplication: 'A', sendingFacility: 'B', controlId: 'C' })).toBe(payloadHash('hl7-dedupe/v1\0A\0B\0C'));
    const one = createMemoryDedupe().tag(keyOf('X'), payloadHash('x'));
    const two = createMemoryDedupe().tag(keyOf('X'), payloadHash('x'));
    expect(one.key).toMatch(/^[0-9a-f]{32}$/);
    expect(one.key).not.toBe(two.key);
    expect(one.payload).not.toBe(two.payload);
    expect(keyOf('X').startsWith(one.key)).toBe(false);
  });
});
