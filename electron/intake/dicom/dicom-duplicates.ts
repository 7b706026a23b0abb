import { createHmac } from 'node:crypto';
import { openDedupeKey } from '../dedupe-key';
import type { Journal } from '../../storage/journal';

/**
 * Duplicate recognition for DICOM (design §4 rule 4): the key is the SOP Instance UID, with a hash
 * of the instance's bytes as received and the patient it names.
 *
 * - same UID, the same bytes as ANY copy stored → a duplicate: answered Success, not stored again
 *   (QA2-12 Q1: a PACS resending an earlier version after a corrected one);
 * - same UID, other bytes, a copy of the same patient stored → a conflict: stored, flagged in its
 *   sealed metadata;
 * - same UID, only copies of other patients stored → stored: the views file it under its own
 *   patient, where it is that patient's first copy (QA2-12 Q2);
 * - a failure (A700, C000) leaves no `intake.dicom` record, so a resend is simply new.
 *
 * THE JOURNAL IS THE TRUTH. Each `intake.dicom` record carries, in clear, its tag
 * `d1.<key tag>.<payload tag>.<patient tag>`: the first 128 bits of HMAC-SHA-256, under a random
 * key of this vault (`<dir>/key`, 32 bytes, mode 0600, not derived from the vault's secrets, which
 * the body does not hold), of the UID, of the SHA-256 of the bytes and of the patient's identifier.
 * Tags written before the patient tag have none: such a copy counts as the same patient's (what
 * they were decided as). The tag is durable in the same fdatasync as the record, so an instance
 * stored but not yet answered when the process died is recognized when the modality sends it
 * again. The index is a map rebuilt from the journal's tags at attach (about 100 bytes per copy in
 * memory, at most MAX_COPIES_PER_UID copies per UID).
 */
export const DICOM_TAG_PREFIX = 'd1';

export interface DicomDedupeEntry {
  readonly payload: string;
  /** Absent in tags written before patients were told apart. */
  readonly patient?: string;
  readonly seq: number;
}

/**
 * Copies remembered per UID, the newest kept: a sender resending one image this often is broken,
 * and its memory must stay bounded. An older copy resent after that is stored again as a conflict.
 */
export const MAX_COPIES_PER_UID = 32;

export class DicomDedupe {
  private readonly entries = new Map<string, DicomDedupeEntry[]>();
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

  /** The patient tag of the identifier an instance is filed under (its Patient ID and authority). */
  patientTag(patientId: string, authority: string): string {
    return this.mac(`dicom-patient/v1\0${patientId}\0${authority}`);
  }

  journalTag(keyTag: string, payloadTag: string, patientTag: string): string {
    return `${DICOM_TAG_PREFIX}.${keyTag}.${payloadTag}.${patientTag}`;
  }

  /** Every copy stored under a UID, oldest first (empty: none). */
  lookup(keyTag: string): readonly DicomDedupeEntry[] {
    return this.entries.get(keyTag) ?? [];
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
      const left = (this.entries.get(keyTag) ?? []).filter((entry) => entry.seq !== seq);
      if (left.length === 0) this.entries.delete(keyTag);
      else this.entries.set(keyTag, left);
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
    const [prefix, keyTag, payload, patient] = journalTag.split('.');
    if (prefix !== DICOM_TAG_PREFIX || keyTag === undefined || payload === undefined) return;
    const copies = this.entries.get(keyTag) ?? [];
    copies.push(patient === undefined ? { payload, seq } : { payload, patient, seq });
    if (copies.length > MAX_COPIES_PER_UID) this.bySeq.delete(copies.shift()!.seq);
    this.entries.set(keyTag, copies);
    this.bySeq.set(seq, keyTag);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, 16).toString('base64url');
  }
}
