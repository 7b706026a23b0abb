import { createHmac } from 'node:crypto';
import { openDedupeKey } from '../dedupe-key';
import type { Journal } from '../../storage/journal';

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
 *   dvs1.<w>        a report of more readings: one word for the whole set, so after a restart such
 *                   a report is recognized when resent whole (a stored-data upload sent again);
 *                   its single readings are known only until the process stops.
 *
 * A word is the first 96 bits of HMAC-SHA-256, under a random key of this vault (`<dir>/key`,
 * 32 bytes, mode 0600; the body holds no vault secret to derive one from), of the reading's key or
 * of the sorted set: someone holding the journal alone cannot confirm a guessed device and time.
 * The maps are rebuilt from the journal's tags at attach, keeping records of the last
 * `retentionDays` (a device resends its memory, not years of it); about 100 bytes a reading.
 * A backup does not carry this key: after a restore, resends of earlier readings are stored again.
 */
export const READING_TAG_PREFIX = 'dv1';
export const REPORT_TAG_PREFIX = 'dvs1';
export const MAX_READING_WORDS = 7;
const WORD_BYTES = 12;
const WORD = /^[A-Za-z0-9_-]{16}$/;
const DAY_MS = 86_400_000;

export class DeviceDedupe {
  /** Reading word → seq of the record that stored it. */
  private readonly readings = new Map<string, number>();
  /** Report-set word → seq. */
  private readonly reports = new Map<string, number>();

  private constructor(private readonly key: Buffer) {}

  /** Opens (or creates) the key in `dir` and reads the device tags of the journal's recent records. */
  static async open(dir: string, journal: Pick<Journal, 'read'>, options: { readonly retentionDays?: number; readonly now?: () => number } = {}): Promise<DeviceDedupe> {
    const dedupe = new DeviceDedupe(await openDedupeKey(dir));
    const horizon = (options.now ?? Date.now)() - (options.retentionDays ?? 365) * DAY_MS;
    let after = 0;
    for (;;) {
      const page = await journal.read({ after, limit: 5000 });
      for (const record of page.records) {
        if (record.dedupe !== undefined && record.kind === 'intake.device' && Date.parse(record.at) >= horizon) dedupe.note(record.dedupe, record.seq);
      }
      if (page.end || page.records.length === 0) break;
      after = page.nextCursor;
    }
    return dedupe;
  }

  /** The word of a reading's key (hex SHA-256 from the session). */
  readingWord(dedupeKey: string): string {
    return this.mac(`device-reading/v1\0${dedupeKey}`);
  }

  /** The word of a report's set of reading keys (order does not matter). */
  reportWord(dedupeKeys: readonly string[]): string {
    return this.mac(`device-report/v1\0${[...dedupeKeys].sort().join('\0')}`);
  }

  hasReading(word: string): boolean {
    return this.readings.has(word);
  }

  hasReport(word: string): boolean {
    return this.reports.has(word);
  }

  /** The record's tag: per reading when they fit, else the report's word. */
  journalTag(readingWords: readonly string[], reportWord: string): string {
    return readingWords.length <= MAX_READING_WORDS ? [READING_TAG_PREFIX, ...readingWords].join('.') : `${REPORT_TAG_PREFIX}.${reportWord}`;
  }

  /** Remembers a stored record's readings and set once its append resolved (durable). */
  remember(seq: number, readingWords: readonly string[], reportWord: string): void {
    for (const word of readingWords) this.readings.set(word, seq);
    this.reports.set(reportWord, seq);
  }

  /** Forgets erased records (a resend of an erased reading is stored again). Erasure is rare: a scan. */
  forget(seqs: Iterable<number>): void {
    const gone = new Set(seqs);
    for (const map of [this.readings, this.reports]) for (const [word, seq] of map) if (gone.has(seq)) map.delete(word);
  }

  get size(): number {
    return this.readings.size + this.reports.size;
  }

  private note(journalTag: string, seq: number): void {
    const [prefix, ...words] = journalTag.split('.');
    if (!words.every((w) => WORD.test(w))) return;
    if (prefix === READING_TAG_PREFIX) for (const word of words) this.readings.set(word, seq);
    else if (prefix === REPORT_TAG_PREFIX && words.length === 1) this.reports.set(words[0]!, seq);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, WORD_BYTES).toString('base64url');
  }
}
