import { createHmac } from 'node:crypto';
import { openDedupeKey } from '../dedupe-key';
import type { Journal } from '../../storage/journal';

/**
 * Duplicate recognition for DICOM (design §4 rule 4): the key is the SOP Instance UID, with a hash
 * of the instance's bytes as received.
 *
 * - same UID, same bytes → a duplicate: answered Success, not stored again;
 * - same UID, other bytes → a conflict: stored, flagged in its sealed metadata;
 * - a failure (A700, C000) leaves no `intake.dicom` record, so a resend is simply new.
 *
 * THE JOURNAL IS THE TRUTH. Each `intake.dicom` record carries, in clear, its tag
 * `d1.<key tag>.<payload tag>`: the first 128 bits of HMAC-SHA-256, under a random key of this
 * vault (`<dir>/key`, 32 bytes, mode 0600, not derived from the vault's secrets, which the body
 * does not hold), of the UID and of the SHA-256 of the bytes. The tag is durable in the same
 * fdatasync as the record, so an instance stored but not yet answered when the process died is
 * recognized when the modality sends it again. The index is a map rebuilt from the journal's tags
 * at attach (about 100 bytes per instance in memory).
 */
export const DICOM_TAG_PREFIX = 'd1';

export interface DicomDedupeEntry {
  readonly payload: string;
  readonly seq: number;
}

export class DicomDedupe {
  private readonly entries = new Map<string, DicomDedupeEntry>();
  private readonly bySeq = new Map<number, string>();
  /** Per key tag, the store in flight: a second instance of the same UID waits for the first. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  private constructor(private readonly key: Buffer) {}

  /** Opens (or creates) the key in `dir` and reads every DICOM tag the journal holds. */
  static async open(dir: string, journal: Pick<Journal, 'read'>): Promise<DicomDedupe> {
    const dedupe = new DicomDedupe(await openDedupeKey(dir));
    let after = 0;
    for (;;) {
      const page = await journal.read({ after, limit: 5000 });
      for (const record of page.records) if (record.dedupe !== undefined) dedupe.note(record.dedupe, record.seq);
      if (page.end || page.records.length === 0) break;
      after = page.nextCursor;
    }
    return dedupe;
  }

  /** The key tag of a SOP Instance UID. */
  keyTag(sopInstanceUid: string): string {
    return this.mac(`dicom-dedupe/v1\0${sopInstanceUid}`);
  }

  /** The payload tag of the SHA-256 (hex) of an instance's bytes. */
  payloadTag(sha256: string): string {
    return this.mac(`dicom-payload/v1\0${sha256}`);
  }

  journalTag(keyTag: string, payloadTag: string): string {
    return `${DICOM_TAG_PREFIX}.${keyTag}.${payloadTag}`;
  }

  lookup(keyTag: string): DicomDedupeEntry | undefined {
    return this.entries.get(keyTag);
  }

  /** Remembers a record's tag once its append resolved (durable). */
  remember(journalTag: string, seq: number): void {
    this.note(journalTag, seq);
  }

  /** Forgets the entries of erased records (a resend of an erased instance is stored again). */
  forget(seqs: Iterable<number>): void {
    for (const seq of seqs) {
      const keyTag = this.bySeq.get(seq);
      if (keyTag === undefined) continue;
      this.bySeq.delete(seq);
      if (this.entries.get(keyTag)?.seq === seq) this.entries.delete(keyTag);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `work` after any earlier work on the same UID has finished (one store per UID at a time). */
  async serialized<T>(keyTag: string, work: () => Promise<T>): Promise<T> {
    const before = this.inFlight.get(keyTag) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    this.inFlight.set(keyTag, settled);
    try {
      return await mine;
    } finally {
      if (this.inFlight.get(keyTag) === settled) this.inFlight.delete(keyTag);
    }
  }

  private note(journalTag: string, seq: number): void {
    const [prefix, keyTag, payload] = journalTag.split('.');
    if (prefix !== DICOM_TAG_PREFIX || keyTag === undefined || payload === undefined) return;
    this.entries.set(keyTag, { payload, seq });
    this.bySeq.set(seq, keyTag);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, 16).toString('base64url');
  }
}
