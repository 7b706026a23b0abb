import { describe, expect, it } from 'vitest';
import { DeviceDedupe } from '../../../../electron/intake/devices/device-duplicates';
import type { JournalRecord } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();

/** A journal holding these records, read in pages as the real one is. */
function journalOf(records: JournalRecord[]) {
  return {
    read: async ({ after, limit }: { after: number; limit?: number }) => {
      const page = records.filter((r) => r.seq > after).slice(0, limit ?? 1000);
      const last = page.at(-1)?.seq ?? after;
      return { records: page, nextCursor: last, end: last >= (records.at(-1)?.seq ?? 0) };
    },
  };
}

const record = (seq: number, at: string, dedupe: string | undefined, kind = 'intake.device'): JournalRecord => ({ seq, kind, at, operator: null, objects: [], meta: null, ...(dedupe === undefined ? {} : { dedupe }) });

describe('device duplicate index', () => {
  it('is rebuilt from the journal with the same key: readings, whole reports, and only device records of the retention window', async () => {
    const dir = await tempDir();
    const first = await DeviceDedupe.open(dir, journalOf([]));
    const keys = ['a'.repeat(64), 'b'.repeat(64)];
    const words = keys.map((k) => first.readingWord(k));
    const many = Array.from({ length: 8 }, (_, i) => String(i).repeat(64));
    const manyWords = many.map((k) => first.readingWord(k));
    const old = 'c'.repeat(64);
    const records = [
      record(1, '2026-11-30T10:00:00.000Z', first.journalTag(words, first.reportWord(keys))),
      record(2, '2026-11-30T10:01:00.000Z', first.journalTag(manyWords, first.reportWord(many))),
      record(3, '2024-01-01T00:00:00.000Z', first.journalTag([first.readingWord(old)], first.reportWord([old]))),
      // An HL7 record's tag is not a device tag, whatever it holds.
      record(4, '2026-11-30T10:02:00.000Z', `dv1.${first.readingWord('d'.repeat(64))}`, 'intake.hl7'),
    ];
    expect(records[1]!.dedupe).toMatch(/^dvs1\.[A-Za-z0-9_-]{16}$/);
    const now = () => Date.parse('2026-12-01T00:00:00.000Z');
    const again = await DeviceDedupe.open(dir, journalOf(records), { now });
    expect(await Promise.all(words.map((w) => again.hasReading(w)))).toEqual([true, true]);
    expect(await again.hasReading(again.readingWord('e'.repeat(64)))).toBe(false);
    // The long report: whole (in any order) yes, its single readings no (they are not in the journal).
    expect(await again.hasReport(again.reportWord([...many].reverse()))).toBe(true);
    expect(await again.hasReading(manyWords[0]!)).toBe(false);
    expect(await again.hasReading(again.readingWord(old))).toBe(false);
    expect(await again.hasReading(again.readingWord('d'.repeat(64)))).toBe(false);
    // Another vault's key (another folder) matches nothing.
    const other = await DeviceDedupe.open(await tempDir(), journalOf(records), { now });
    expect(await other.hasReading(other.readingWord(keys[0]!))).toBe(false);
    await Promise.all([first.close(), again.close(), other.close()]);
  });

  it('forgets erased records', async () => {
    const records: JournalRecord[] = [];
    const dedupe = await DeviceDedupe.open(await tempDir(), journalOf(records));
    const a = dedupe.readingWord('a'.repeat(64));
    const b = dedupe.readingWord('b'.repeat(64));
    const many = Array.from({ length: 8 }, (_, i) => String(i).repeat(64));
    const manyWords = many.map((k) => dedupe.readingWord(k));
    const append = (tag: string) => async () => {
      records.push(record(records.length + 1, new Date().toISOString(), tag));
      return { seq: records.length };
    };
    await dedupe.store([a], dedupe.reportWord(['a'.repeat(64)]), append(dedupe.journalTag([a], dedupe.reportWord(['a'.repeat(64)]))));
    await dedupe.store([b], dedupe.reportWord(['b'.repeat(64)]), append(dedupe.journalTag([b], dedupe.reportWord(['b'.repeat(64)]))));
    await dedupe.store(manyWords, dedupe.reportWord(many), append(dedupe.journalTag(manyWords, dedupe.reportWord(many))));
    // While the process runs, a long report's single readings are known too.
    expect(await dedupe.hasReading(manyWords[3]!)).toBe(true);
    expect(await dedupe.hasReport(dedupe.reportWord(many))).toBe(true);
    await dedupe.forget([1, 3]);
    expect([await dedupe.hasReading(a), await dedupe.hasReading(b)]).toEqual([false, true]);
    expect(await dedupe.hasReport(dedupe.reportWord(['a'.repeat(64)]))).toBe(false);
    expect(await dedupe.hasReading(manyWords[3]!)).toBe(false);
    expect(await dedupe.hasReport(dedupe.reportWord(many))).toBe(false);
    await dedupe.close();
  });
});
