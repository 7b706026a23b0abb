import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { JournalRecord, Journal } from '../../storage/journal';
import { openDedupeKey } from '../dedupe-key';
import { TagIndex, type TagIndexLayout, type TagIndexLogger, type TagIndexStats, type TagIndexTicket, type TagIndexWriteRetry } from '../tag-index/tag-index';

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
 * again. A backup carries the key (like HL7's) and a restore puts it back, so earlier instances
 * are still recognized after a restore.
 *
 * THE INDEX is a projection of those tags on disk, the shared tag index (`../tag-index/`, as
 * HL7's): a memtable of at most `memoryEntries` (default 16,384) entries plus one being written
 * out, sorted run files (`run-N.hdx`, 54-byte entries: key tag, seq inverted, payload tag, patient
 * tag, flags) with a block index in memory, and `manifest.json` whose `lastSeq` says how far the
 * runs go: at open only the journal after it is read (the whole journal once, for a vault without
 * the files). Memory is bounded whatever the number of instances.
 *
 * At most MAX_COPIES_PER_UID copies count per UID, the newest. Every hit (the identical copy of a
 * duplicate, the same patient's copy of a conflict) is confirmed against the journal record it
 * names before it is believed, so an erased copy is not taken for a duplicate even if `forget`
 * was never called; `forget(seqs)` drops the entries of erased records.
 */
export const DICOM_TAG_PREFIX = 'd1';
/**
 * The tag of a quarantine record (held without Patient ID, or unreadable): `dq.<key tag>.<payload
 * tag>`. Such a copy is never a stored copy's duplicate nor its conflict: it is matched only by
 * `checkQuarantine`, so that an identical resend makes no second quarantine entry (issue 12: "not
 * stored twice", as HL7's quarantine records carry their tag).
 */
export const DICOM_QUARANTINE_TAG_PREFIX = 'dq';

/** The index's folder under the data folder: key, manifest.json, run files. */
export const DICOM_DEDUPE_DIR = ['vault', 'intake', 'dicom-dedupe'] as const;

export interface DicomDedupeEntry {
  readonly payload: string;
  /** Absent in tags written before patients were told apart, and in quarantine records' tags. */
  readonly patient?: string;
  /** A quarantine record's copy (DICOM_QUARANTINE_TAG_PREFIX). */
  readonly quarantined?: true;
  readonly seq: number;
}

/** What a new instance is, against the copies stored under its UID. */
export type DicomVerdict = 'new' | 'duplicate' | 'conflict';

/**
 * Copies remembered per UID, the newest kept: a sender resending one image this often is broken,
 * and lookups must stay cheap. An older copy resent after that is stored again as a conflict.
 */
export const MAX_COPIES_PER_UID = 32;

/** A place held for one journal append (reserve); remember its tag once durable, release always. */
export interface DicomDedupeTicket {
  remember(journalTag: string, seq: number): void;
  release(): void;
}

export interface DicomDedupeOptions {
  readonly log?: TagIndexLogger;
  /** Entries the memtable holds before it is written out (memory bound: twice this). Default 16,384. */
  readonly memoryEntries?: number;
  /** How a failed write-out is tried again and how long a store waits meanwhile (defaults: DEFAULT_WRITE_RETRY). */
  readonly writeRetry?: Partial<TagIndexWriteRetry>;
}

const TAG_WORD = /^[A-Za-z0-9_-]{22}$/;
const SEQ_LIMIT = 2 ** 40 - 1;
const HAS_PATIENT = 1;
const QUARANTINED = 2;

/** A journal tag read back (null: not a DICOM tag). */
export function parseDicomTag(text: string): { readonly key: string; readonly entry: Omit<DicomDedupeEntry, 'seq'> } | null {
  const parts = text.split('.');
  const quarantined = parts[0] === DICOM_QUARANTINE_TAG_PREFIX;
  if (quarantined ? parts.length !== 3 : parts[0] !== DICOM_TAG_PREFIX || (parts.length !== 3 && parts.length !== 4)) return null;
  const [, key, payload, patient] = parts;
  // Tags are spelled by Buffer's base64url of 16 bytes: anything else could not round-trip the runs.
  for (const word of parts.slice(1)) if (!TAG_WORD.test(word) || Buffer.from(word, 'base64url').toString('base64url') !== word) return null;
  if (quarantined) return { key: key!, entry: { payload: payload!, quarantined: true } };
  return { key: key!, entry: patient === undefined ? { payload: payload! } : { payload: payload!, patient } };
}

/**
 * On disk: key tag 16 | 2^40 − 1 − seq, u40 BE | payload tag 16 | patient tag 16 | flags u8
 * (HAS_PATIENT, QUARANTINED).
 * Entries sort by key, then newest first (the first 21 bytes), so that a merge keeps a UID's
 * newest MAX_COPIES_PER_UID copies.
 */
const DICOM_LAYOUT: TagIndexLayout<DicomDedupeEntry> = {
  magic: 'HDDICOM1',
  entryBytes: 54,
  sortBytes: 21,
  keyEncoding: 'base64url',
  // Map slot, three 22-character strings, the entry and its link.
  memoryEntryBytes: 260,
  write(key, entry, out, offset) {
    out.write(key, offset, 16, 'base64url');
    out.writeUIntBE(SEQ_LIMIT - entry.seq, offset + 16, 5);
    out.write(entry.payload, offset + 21, 16, 'base64url');
    if (entry.patient === undefined) out.fill(0, offset + 37, offset + 53);
    else out.write(entry.patient, offset + 37, 16, 'base64url');
    out[offset + 53] = (entry.patient === undefined ? 0 : HAS_PATIENT) | (entry.quarantined === true ? QUARANTINED : 0);
  },
  read(buffer, offset) {
    const seq = SEQ_LIMIT - buffer.readUIntBE(offset + 16, 5);
    const payload = buffer.toString('base64url', offset + 21, offset + 37);
    const flags = buffer[offset + 53]!;
    if ((flags & QUARANTINED) !== 0) return { payload, quarantined: true, seq };
    return (flags & HAS_PATIENT) === 0 ? { payload, seq } : { payload, patient: buffer.toString('base64url', offset + 37, offset + 53), seq };
  },
  seqAt: (buffer, offset) => SEQ_LIMIT - buffer.readUIntBE(offset + 16, 5),
};

function foldRecord(record: JournalRecord): { readonly key: string; readonly entry: DicomDedupeEntry } | null {
  const tag = parseDicomTag(record.dedupe!);
  return tag === null ? null : { key: tag.key, entry: { ...tag.entry, seq: record.seq } };
}

export class DicomDedupe {
  /** Per key tag, the store in flight: a second instance of the same UID waits for the first. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /**
   * The key as a KeyObject: an HMAC from a raw Buffer key converts the key on every call (~30 µs
   * each on this machine against ~10 µs; three tags per C-STORE).
   */
  private readonly key: KeyObject;

  private constructor(
    key: Buffer,
    private readonly index: TagIndex<DicomDedupeEntry>,
    private readonly log: TagIndexLogger | null,
  ) {
    this.key = createSecretKey(key);
  }

  /**
   * Opens (or creates) the key and the index in `dir`: reads the journal after the index's
   * lastSeq, or the whole journal once when the index files are missing, damaged or of another key.
   */
  static async open(dir: string, journal: Pick<Journal, 'read'>, options: DicomDedupeOptions = {}): Promise<DicomDedupe> {
    const key = await openDedupeKey(dir);
    const keyId = createHmac('sha256', key).update('dicom-dedupe/v2 key id').digest('hex').slice(0, 16);
    const log = options.log ?? null;
    const { index, rebuilt, caughtUp } = await TagIndex.open({
      name: 'DICOM duplicate index',
      layout: DICOM_LAYOUT,
      dir,
      journal,
      keyId,
      memoryEntries: options.memoryEntries ?? 16_384,
      retentionDays: Number.POSITIVE_INFINITY,
      maxPerKey: MAX_COPIES_PER_UID,
      now: Date.now,
      log,
      ...(options.writeRetry === undefined ? {} : { writeRetry: options.writeRetry }),
      fold: foldRecord,
    });
    const stats = index.stats();
    log?.info({ rebuilt, caughtUp, entries: stats.entries, runs: stats.runs, lastSeq: stats.lastSeq }, 'DICOM duplicate index opened');
    return new DicomDedupe(key, index, log);
  }

  /** The key tag of a SOP Instance UID. */
  keyTag(sopInstanceUid: string): string {
    return this.mac(`dicom-dedupe/v1\0${sopInstanceUid}`);
  }

  /** The payload tag of the SHA-256 (hex) of an instance's bytes. */
  payloadTag(sha256: string): string {
    return this.mac(`dicom-payload/v1\0${sha256}`);
  }

  /**
   * The key tag of quarantined bytes that name no SOP Instance UID (not readable as far as it), from
   * the SHA-256 (hex) of the bytes: such bytes are their own key.
   */
  unnamedKeyTag(sha256: string): string {
    return this.mac(`dicom-unnamed/v1\0${sha256}`);
  }

  /** The patient tag of the identifier an instance is filed under (its Patient ID and authority). */
  patientTag(patientId: string, authority: string): string {
    return this.mac(`dicom-patient/v1\0${patientId}\0${authority}`);
  }

  journalTag(keyTag: string, payloadTag: string, patientTag: string): string {
    return `${DICOM_TAG_PREFIX}.${keyTag}.${payloadTag}.${patientTag}`;
  }

  /** The tag of a quarantine record (held or unreadable) holding these bytes. */
  quarantineTag(keyTag: string, payloadTag: string): string {
    return `${DICOM_QUARANTINE_TAG_PREFIX}.${keyTag}.${payloadTag}`;
  }

  /** The copies the index holds under a UID (the newest MAX_COPIES_PER_UID), oldest first; not confirmed. */
  lookup(keyTag: string): readonly DicomDedupeEntry[] {
    const copies = this.index.lookup(keyTag);
    copies.sort((a, b) => b.seq - a.seq);
    // A record caught up again after a crash may be in memory and in a run file until they merge.
    const distinct = copies.filter((copy, i) => i === 0 || copies[i - 1]!.seq !== copy.seq);
    return distinct.slice(0, MAX_COPIES_PER_UID).reverse();
  }

  /**
   * What an instance is against the copies stored under its UID: a duplicate (the same bytes as
   * any copy), a conflict (other bytes, a copy of the same patient or of no patient stored) or
   * new. The copy a verdict rests on is confirmed against its journal record first; one that the
   * record no longer carries (erased) is forgotten and the verdict taken again without it.
   */
  async check(keyTag: string, payloadTag: string, patientTag: string): Promise<DicomVerdict> {
    // Quarantine records are not stored copies: an instance held without Patient ID and then sent
    // with it is new, and bytes read whole that were quarantined from a C-STORE's head are stored.
    const copies = this.lookup(keyTag).filter((copy) => copy.quarantined !== true);
    for (;;) {
      const identical = copies.find((copy) => copy.payload === payloadTag);
      const witness = identical ?? copies.find((copy) => copy.patient === undefined || copy.patient === patientTag);
      if (witness === undefined) return 'new';
      if (await this.confirm(keyTag, witness)) return identical !== undefined ? 'duplicate' : 'conflict';
      this.log?.info({ seq: witness.seq }, 'DICOM duplicate index: an entry named a record that no longer carries its tag (erased); forgotten');
      copies.splice(copies.indexOf(witness), 1);
      void this.forget([witness.seq]);
    }
  }

  /**
   * The seq of a quarantine record (open, reprocessed or discarded: it keeps its tag, as HL7's do)
   * that holds these very bytes, confirmed against the journal; null when there is none. An
   * identical resend of held or unreadable bytes is then answered as before and not quarantined
   * again.
   */
  async checkQuarantine(keyTag: string, payloadTag: string): Promise<number | null> {
    const copies = this.lookup(keyTag).filter((copy) => copy.quarantined === true && copy.payload === payloadTag);
    for (const copy of copies.reverse()) {
      if (await this.confirm(keyTag, copy)) return copy.seq;
      this.log?.info({ seq: copy.seq }, 'DICOM duplicate index: an entry named a record that no longer carries its tag (erased); forgotten');
      void this.forget([copy.seq]);
    }
    return null;
  }

  /**
   * Whether a copy of this UID is stored in the studies (not a quarantine record), confirmed
   * against the journal: quarantined bytes resent after a complete copy came are then reported as
   * stored, not as waiting in the quarantine (T1 F3).
   */
  async storedCopy(keyTag: string): Promise<boolean> {
    const copies = this.lookup(keyTag).filter((copy) => copy.quarantined !== true).reverse();
    for (const copy of copies) {
      if (await this.confirm(keyTag, copy)) return true;
      void this.forget([copy.seq]);
    }
    return false;
  }

  /**
   * Holds a place for one journal append carrying a tag: take it just before the append begins
   * (waits while the index's memory is full and being written out), remember the tag once the
   * append resolved (durable), release it always.
   */
  async reserve(): Promise<DicomDedupeTicket> {
    const ticket: TagIndexTicket<DicomDedupeEntry> = await this.index.reserve();
    return {
      remember: (journalTag, seq) => {
        const tag = parseDicomTag(journalTag);
        if (tag === null) throw new Error('Not a DICOM duplicate tag.');
        ticket.remember(tag.key, { ...tag.entry, seq });
      },
      release: () => ticket.release(),
    };
  }

  /** Runs `append`, the journal append of a record carrying `journalTag`, and remembers the tag under its seq. */
  async store<T extends { readonly seq: number }>(journalTag: string, append: () => Promise<T>): Promise<T> {
    const ticket = await this.reserve();
    try {
      const result = await append();
      ticket.remember(journalTag, result.seq);
      return result;
    } finally {
      ticket.release();
    }
  }

  /** Forgets the entries of erased records (a resend of an erased instance is stored again). */
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

  /** Whether the journal record a copy names still carries its tag (true when the journal cannot be read). */
  private async confirm(keyTag: string, copy: DicomDedupeEntry): Promise<boolean> {
    const record = await this.index.record(copy.seq);
    if (record === undefined) return true;
    const tag = record === null || record.dedupe === undefined ? null : parseDicomTag(record.dedupe);
    return tag !== null && tag.key === keyTag && tag.entry.payload === copy.payload && tag.entry.patient === copy.patient && tag.entry.quarantined === copy.quarantined;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, 16).toString('base64url');
  }
}
