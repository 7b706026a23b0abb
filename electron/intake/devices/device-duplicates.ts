import { createHmac } from 'node:crypto';
import { openDedupeKey } from '../dedupe-key';
import type { JournalRecord } from '../../storage/journal';
import { day, TagIndex, type TagIndexFolded, type TagIndexJournal, type TagIndexLayout, type TagIndexLogger, type TagIndexStats, type TagIndexWriteRetry } from '../tag-index/tag-index';

/**
 * Duplicate recognition for device readings (design §4 rule 4; issue 13 item 4): a reading's key is
 * system id + device time + code (+ person id), hashed by the session (`DeviceReading.dedupeKey`).
 * A report whose readings are all known is answered (RORS) and not stored again.
 *
 * THE JOURNAL IS THE TRUTH, as for DICOM (dicom-duplicates.ts). Each `intake.device` record carries
 * its tag in clear, durable in the same fdatasync as the record, so a confirmed report stored but
 * not answered when the app stopped is recognized when the agent resends it after a restart:
 *
 *   dv1.<w1>…<w7>   one word per reading, up to 7 (the journal allows 8 words of 128 characters)
 *   dvs1.<w>        a report of more readings: one word for the whole set, so such a report is
 *                   recognized when resent whole whatever happened; its single readings are
 *                   remembered by the index too, but they are not in the journal: known while the
 *                   process runs and after a clean restart (the index is written out at close),
 *                   not after a rebuild from the journal (a crash before they were written out,
 *                   a restore).
 *
 * A word is the first 96 bits of HMAC-SHA-256, under a random key of this vault (`<dir>/key`,
 * 32 bytes, mode 0600; the body holds no vault secret to derive one from), of the reading's key or
 * of the sorted set: someone holding the journal alone cannot confirm a guessed device and time.
 * A backup carries the key (as HL7's and DICOM's) and a restore puts it back, so resends of readings
 * from before the backup are still recognized after a restore.
 *
 * THE INDEX is the shared tag index on disk (`../tag-index/`, as HL7's and DICOM's) in `<dir>`: a
 * memtable of at most `memoryEntries` (default 16,384) entries plus one being written out, sorted
 * run files (`run-N.hdx`, 24-byte entries: word, seq inverted, kind, day) with a block index in
 * memory, and `manifest.json` whose `lastSeq` says how far the runs go: at open only the journal
 * after it is read (the whole journal once, for a vault without the files). Memory is bounded
 * whatever the number of readings. Entries of records older than `retentionDays` (default 365: a
 * device resends its memory, not years of it) are ignored and dropped by merges.
 *
 * Every hit is confirmed against the journal record it names before it is believed (the word in its
 * tag, or for a long report's single reading, a device record that still carries its tag), so an
 * erased reading is not taken for a duplicate even if `forget` was never called; `forget(seqs)`
 * drops the entries of erased records.
 */
export const READING_TAG_PREFIX = 'dv1';
export const REPORT_TAG_PREFIX = 'dvs1';
export const MAX_READING_WORDS = 7;
const WORD_BYTES = 12;
const WORD = /^[A-Za-z0-9_-]{16}$/;
const DEVICE_KIND = 'intake.device';

/** The index's folder under the data folder: key, manifest.json, run files. */
export const DEVICE_DEDUPE_DIR = ['vault', 'intake', 'device-dedupe'] as const;

/** What an entry's word is: a reading in a `dv1` tag, the set of a `dvs1` tag, a reading of a `dvs1` report. */
const EntryKind = { Reading: 1, Report: 2, ReportReading: 3 } as const;
type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

interface DeviceEntry {
  readonly seq: number;
  readonly day: number;
  readonly kind: EntryKind;
}

export interface DeviceDedupeOptions {
  /** Records older than this many days are not recognized (default 365). */
  readonly retentionDays?: number;
  readonly now?: () => number;
  /** Entries the memtable holds before it is written out (memory bound: twice this). Default 16,384. */
  readonly memoryEntries?: number;
  readonly log?: TagIndexLogger;
  /** How a failed write-out is tried again and how long a store waits meanwhile (defaults: DEFAULT_WRITE_RETRY). */
  readonly writeRetry?: Partial<TagIndexWriteRetry>;
}

/** A place held for one journal append (reserve); remember its words once durable, release always. */
export interface DeviceDedupeTicket {
  remember(seq: number, readingWords: readonly string[], reportWord: string): void;
  release(): void;
}

const SEQ_LIMIT = 2 ** 40 - 1;
/** A word's 12 bytes, then 4 zero bytes: the index's 16-byte key ('AAAAAA' in base64url). */
const KEY_PAD = 'AAAAAA';
const keyOf = (word: string): string => word + KEY_PAD;

/**
 * On disk: word 12 | zero 4 | 2^40 − 1 − seq, u40 BE | kind u8 | day u16 BE. Entries sort by
 * word, then newest first (the first 21 bytes), so that a merge keeps a word's newest entries.
 */
const DEVICE_LAYOUT: TagIndexLayout<DeviceEntry> = {
  magic: 'HDDEVIC1',
  entryBytes: 24,
  sortBytes: 21,
  keyEncoding: 'base64url',
  // Map slot, a 22-character key string, the entry and its link: ~240 bytes measured (heap after GC).
  memoryEntryBytes: 240,
  write(key, entry, out, offset) {
    out.write(key, offset, 16, 'base64url');
    out.writeUIntBE(SEQ_LIMIT - entry.seq, offset + 16, 5);
    out[offset + 21] = entry.kind;
    out.writeUInt16BE(entry.day, offset + 22);
  },
  read(buffer, offset) {
    return { seq: SEQ_LIMIT - buffer.readUIntBE(offset + 16, 5), kind: buffer[offset + 21]! as EntryKind, day: buffer.readUInt16BE(offset + 22) };
  },
  seqAt: (buffer, offset) => SEQ_LIMIT - buffer.readUIntBE(offset + 16, 5),
  dayAt: (buffer, offset) => buffer.readUInt16BE(offset + 22),
};

/**
 * Entries kept per word, the newest: a reading is stored again only after its record was erased
 * or expired, so more than a few under one word means a broken sender; lookups stay one block.
 */
const MAX_ENTRIES_PER_WORD = 8;

/** A device record's tag read back (null: not a device tag). */
export function parseDeviceTag(text: string): { readonly prefix: typeof READING_TAG_PREFIX | typeof REPORT_TAG_PREFIX; readonly words: readonly string[] } | null {
  const [prefix, ...words] = text.split('.');
  if (words.length === 0 || !words.every((w) => WORD.test(w))) return null;
  if (prefix === READING_TAG_PREFIX && words.length <= MAX_READING_WORDS) return { prefix, words };
  if (prefix === REPORT_TAG_PREFIX && words.length === 1) return { prefix, words };
  return null;
}

function foldRecord(record: JournalRecord, horizon: number): readonly TagIndexFolded<DeviceEntry>[] | null {
  if (record.kind !== DEVICE_KIND) return null;
  const tag = parseDeviceTag(record.dedupe!);
  const at = day(Date.parse(record.at));
  // Too old to count: not even held in memory until the next merge.
  if (tag === null || !(at >= horizon)) return null;
  const kind = tag.prefix === READING_TAG_PREFIX ? EntryKind.Reading : EntryKind.Report;
  return tag.words.map((word) => ({ key: keyOf(word), entry: { seq: record.seq, day: at, kind } }));
}

export class DeviceDedupe {
  private constructor(
    private readonly key: Buffer,
    private readonly index: TagIndex<DeviceEntry>,
    private readonly now: () => number,
    private readonly log: TagIndexLogger | null,
  ) {}

  /**
   * Opens (or creates) the key and the index in `dir`: reads the journal after the index's
   * lastSeq, or the whole journal once when the index files are missing, damaged or of another key.
   */
  static async open(dir: string, journal: TagIndexJournal, options: DeviceDedupeOptions = {}): Promise<DeviceDedupe> {
    const key = await openDedupeKey(dir);
    const keyId = createHmac('sha256', key).update('device-dedupe/v2 key id').digest('hex').slice(0, 16);
    const now = options.now ?? Date.now;
    const retentionDays = options.retentionDays ?? 365;
    const log = options.log ?? null;
    const { index, rebuilt, caughtUp } = await TagIndex.open({
      name: 'device duplicate index',
      layout: DEVICE_LAYOUT,
      dir,
      journal,
      keyId,
      memoryEntries: options.memoryEntries ?? 16_384,
      retentionDays,
      maxPerKey: MAX_ENTRIES_PER_WORD,
      now,
      log,
      ...(options.writeRetry === undefined ? {} : { writeRetry: options.writeRetry }),
      fold: (record) => foldRecord(record, day(now()) - retentionDays),
    });
    const stats = index.stats();
    log?.info({ rebuilt, caughtUp, entries: stats.entries, runs: stats.runs, lastSeq: stats.lastSeq }, 'device duplicate index opened');
    return new DeviceDedupe(key, index, now, log);
  }

  /** The word of a reading's key (hex SHA-256 from the session). */
  readingWord(dedupeKey: string): string {
    return this.mac(`device-reading/v1\0${dedupeKey}`);
  }

  /** The word of a report's set of reading keys (order does not matter). */
  reportWord(dedupeKeys: readonly string[]): string {
    return this.mac(`device-report/v1\0${[...dedupeKeys].sort().join('\0')}`);
  }

  /** Whether a stored record (of the retention window, not erased) holds this reading. */
  hasReading(word: string): Promise<boolean> {
    return this.known(word, (kind) => kind !== EntryKind.Report);
  }

  /** Whether a stored record holds this set of readings (a report of more than 7 readings). */
  hasReport(word: string): Promise<boolean> {
    return this.known(word, (kind) => kind === EntryKind.Report);
  }

  /** The record's tag: per reading when they fit, else the report's word. */
  journalTag(readingWords: readonly string[], reportWord: string): string {
    return readingWords.length <= MAX_READING_WORDS ? [READING_TAG_PREFIX, ...readingWords].join('.') : `${REPORT_TAG_PREFIX}.${reportWord}`;
  }

  /**
   * Holds places for one journal append of a report of `readings` readings: take it just before
   * the append begins (waits while the index's memory is full and being written out), remember
   * the words once the append resolved (durable), release it always.
   */
  async reserve(readings: number): Promise<DeviceDedupeTicket> {
    const ticket = await this.index.reserve(readings + (readings > MAX_READING_WORDS ? 1 : 0));
    return {
      remember: (seq, readingWords, reportWord) => {
        const at = day(this.now());
        if (readingWords.length <= MAX_READING_WORDS) {
          // The tag names every reading; the set's word adds nothing (the same record, day and fate).
          for (const word of readingWords) ticket.remember(keyOf(word), { seq, day: at, kind: EntryKind.Reading });
        } else {
          ticket.remember(keyOf(reportWord), { seq, day: at, kind: EntryKind.Report });
          for (const word of readingWords) ticket.remember(keyOf(word), { seq, day: at, kind: EntryKind.ReportReading });
        }
      },
      release: () => ticket.release(),
    };
  }

  /** Runs `append`, the journal append of a record carrying `journalTag(readingWords, reportWord)`, and remembers its words under its seq. */
  async store<T extends { readonly seq: number }>(readingWords: readonly string[], reportWord: string, append: () => Promise<T>): Promise<T> {
    const ticket = await this.reserve(readingWords.length);
    try {
      const result = await append();
      ticket.remember(result.seq, readingWords, reportWord);
      return result;
    } finally {
      ticket.release();
    }
  }

  /** Forgets the entries of erased records (a resend of an erased reading is stored again). */
  forget(seqs: Iterable<number>): Promise<void> {
    return this.index.forget(seqs);
  }

  stats(): TagIndexStats {
    return this.index.stats();
  }

  /** Writes the memtable out (the next open reads the journal only after it) and closes the files. */
  close(): Promise<void> {
    return this.index.close();
  }

  /** Whether an entry of `word` of a kind `wanted` takes is confirmed by its journal record (newest first). */
  private async known(word: string, wanted: (kind: EntryKind) => boolean): Promise<boolean> {
    if (!WORD.test(word)) return false;
    const entries = this.index.lookup(keyOf(word)).filter((entry) => wanted(entry.kind));
    entries.sort((a, b) => b.seq - a.seq);
    for (const [i, entry] of entries.entries()) {
      if (i > 0 && entries[i - 1]!.seq === entry.seq) continue;
      if (await this.confirm(word, entry)) return true;
      this.log?.info({ seq: entry.seq }, 'device duplicate index: an entry named a record that no longer carries its tag (erased); forgotten');
      void this.forget([entry.seq]);
    }
    return false;
  }

  /** Whether the journal record an entry names still carries its word (true when the journal cannot be read). */
  private async confirm(word: string, entry: DeviceEntry): Promise<boolean> {
    const record = await this.index.record(entry.seq);
    if (record === undefined) return true;
    if (record === null || record.kind !== DEVICE_KIND || record.dedupe === undefined) return false;
    const tag = parseDeviceTag(record.dedupe);
    if (tag === null) return false;
    if (entry.kind === EntryKind.Reading) return tag.prefix === READING_TAG_PREFIX && tag.words.includes(word);
    if (entry.kind === EntryKind.Report) return tag.prefix === REPORT_TAG_PREFIX && tag.words[0] === word;
    // A long report's single reading is in its sealed metadata only: a long report at that seq is
    // believed to be that report. It is: the index's files are of this journal (the tag index
    // rebuilds from another journal's, see journalIdentity), and an erased record is a tombstone.
    return tag.prefix === REPORT_TAG_PREFIX;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, WORD_BYTES).toString('base64url');
  }
}
