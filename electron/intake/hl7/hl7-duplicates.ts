import { createHmac, createSecretKey, hash, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/durable-files';
import type { Journal } from '../../storage/journal';
import { day, TagIndex, type TagIndexLayout, type TagIndexLogger, type TagIndexOptions, type TagIndexStats, type TagIndexWriteRetry } from '../tag-index/tag-index';
import { QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import { ACK_ID_PATTERN, type AckCode } from './hl7-ack';

/**
 * Duplicate recognition (design §4 rule 4): key = MSH-3 + MSH-4 + MSH-10 (sending application,
 * sending facility, control id) with a hash of the message's content.
 *
 * - same key, same content → a duplicate: answered as the first was, not stored again;
 * - same key, other content → a conflict: stored, flagged, counted (only when the earlier one was
 *   accepted: a corrected resend of a rejected message is simply new);
 * - an AE (could not store) leaves no record, so a resend is tried again.
 *
 * THE JOURNAL IS THE TRUTH. Every record the HL7 intake stores carries, in clear, its dedupe tag
 * (JournalEntry.dedupe): `<key tag>.<payload tag>.<ACK code>[.<ACK id>]`, where each tag is the first
 * 128 bits of an HMAC-SHA-256, under a random per-vault key, of the SHA-256 of the key or of the
 * content, and the ACK id (newAckId in hl7-ack.ts: our own id and the time we dated the ACKs, no
 * content; absent when no ACK was sent, e.g. a file import) lets a resend, even after a restart, be
 * answered with the very bytes the original was (same MSH-7 and MSH-10).
 * The tag is durable in the same fdatasync as the message, so a message stored but not yet
 * acknowledged when the process died is recognized when the sender resends it. The index below is
 * a projection of those tags that lives on disk and is caught up from the journal at open.
 *
 * The key (`<dir>/key`, 32 random bytes, mode 0600) is not derived from the vault's secrets (the
 * body holds none). It makes the tags useless to someone holding only the index or the journal,
 * e.g. a copied journal file: without the key they cannot confirm a guessed control id or
 * message by hashing it. Someone who copies the whole vault folder has the key too, and learns
 * only what the sealed records' count and sizes tell already. A backup carries the key inside its
 * sealed body (never its clear preamble) and a restore puts it back before the channel attaches, so
 * the rebuilt index matches the journal's tags. If the key is lost (or a backup predates that),
 * earlier tags never match again: resends of messages from before are stored as new.
 *
 * THE INDEX is the shared on-disk tag index (`../tag-index/tag-index.ts`: a memtable of at most
 * `memoryEntries` (default 16,384) plus one being written out, sorted run files per level with a
 * block index in memory, `manifest.json` with `lastSeq`, caught up from the journal at open). HL7's
 * entries are 40 bytes (key tag, payload tag, seq, ACK, day) in 4,080-byte blocks, so that a
 * lookup reads one block per level (2 levels at 1M messages).
 *
 * Erasure: the journal's tombstones drop the tag; `forget(seqs)` removes the entries of those
 * records (memtables at once, runs by a compaction). Every hit is also confirmed against the
 * journal record it names before it is believed (duplicates are rare, so this costs nothing in the
 * common case), so a resend of an erased message is stored again even if `forget` was never called.
 * Entries older than `retentionDays` are ignored and dropped by merges.
 */

export interface DedupeKey {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly controlId: string;
}

export type DedupeVerdict =
  | { readonly status: 'new' }
  /** `ackId`: the original's ACK id (its record's tag), when one was sent and the index has a journal to read it from. */
  | { readonly status: 'duplicate'; readonly ack: AckCode; readonly ackId?: string }
  | { readonly status: 'conflict' };

/** A message's keyed tags (hex, 128 bits each): what the index and the journal record hold. */
export interface DedupeTag {
  readonly key: string;
  readonly payload: string;
}

export type DedupeStats = TagIndexStats;

export interface Hl7Dedupe {
  /** The keyed tag of a message, from its unkeyed SHA-256 digests (dedupeKeyHash, payloadHash). */
  tag(keyHash: string, payloadHash: string): DedupeTag;
  /** Nothing is known under this key (no disk read beyond one block per level, no journal read). */
  isNew(tag: DedupeTag): boolean;
  /**
   * The verdict; a hit is confirmed against the journal record it names. Remembers nothing.
   * `copyOf`: the tag is of an operator's copy of that record (a reprocess of a quarantine
   * record): other content under its key in that record or in any other quarantine record (an
   * earlier edit held again, or the sender's original when a held copy is edited) is the
   * operator's edit, not a conflict; only a message filed under the key is. Identical content
   * is still a duplicate, of that record or any other.
   */
  check(tag: DedupeTag, options?: { readonly copyOf?: number }): Promise<DedupeVerdict>;
  /**
   * Runs `append`, the journal append of a record carrying `journalTag` (pass it as the entry's
   * `dedupe`), and remembers the tag under the record's seq once the append resolved (durable).
   * Waits first while the memtable is full and being written out (backpressure, rarely).
   * `ackId`: the id of the ACKs sent for it (newAckId), kept in the journal tag.
   */
  store<T extends { readonly seq: number }>(tag: DedupeTag, ack: AckCode, append: (journalTag: string) => Promise<T>, ackId?: string): Promise<T>;
  /** Forgets the entries of these journal records (an erasure made them tombstones). */
  forget(seqs: Iterable<number>): Promise<void>;
  stats(): DedupeStats;
  close(): Promise<void>;
}

export type DedupeLogger = TagIndexLogger;

/** SHA-256 (hex) in one call (`crypto.hash`, Node 20.12+). Strings are hashed as UTF-8. */
const sha256Hex = (data: string | Uint8Array): string => hash('sha256', data, 'hex');

/** SHA-256 (hex) of a dedupe key: unkeyed, kept only inside sealed metadata; the index keys it. */
export function dedupeKeyHash(key: DedupeKey): string {
  return sha256Hex(`hl7-dedupe/v1\0${key.sendingApplication}\0${key.sendingFacility}\0${key.controlId}`);
}

export function payloadHash(text: string | Uint8Array): string {
  return sha256Hex(text);
}

const QUARANTINE_RECORD_KIND: string = QUARANTINE_KINDS.quarantined;

const ACK_CODES: readonly AckCode[] = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'];
const TAG_B64 = /^[A-Za-z0-9_-]{22}$/;

/** The journal record's `dedupe` field for a tag, the ACK code sent and the ACKs' id (when ACKs were sent). */
export function journalTag(tag: DedupeTag, ack: AckCode, ackId?: string): string {
  if (ackId !== undefined && !ACK_ID_PATTERN.test(ackId)) throw new Error('Not an ACK id.');
  return `${Buffer.from(tag.key, 'hex').toString('base64url')}.${Buffer.from(tag.payload, 'hex').toString('base64url')}.${ack}${ackId === undefined ? '' : `.${ackId}`}`;
}

/** A journal record's `dedupe` field read back, or null if it is not an HL7 tag. */
export function parseJournalTag(text: string): (DedupeTag & { readonly ack: AckCode; readonly ackId?: string }) | null {
  const parts = text.split('.');
  if (parts.length !== 3 && parts.length !== 4) return null;
  if (!TAG_B64.test(parts[0]!) || !TAG_B64.test(parts[1]!) || !ACK_CODES.includes(parts[2] as AckCode)) return null;
  if (parts.length === 4 && !ACK_ID_PATTERN.test(parts[3]!)) return null;
  return {
    key: Buffer.from(parts[0]!, 'base64url').toString('hex'),
    payload: Buffer.from(parts[1]!, 'base64url').toString('hex'),
    ack: parts[2] as AckCode,
    ...(parts.length === 4 ? { ackId: parts[3]! } : {}),
  };
}

// ---- the index ---------------------------------------------------------------------------------

/** One entry on disk: key tag 16, payload tag 16, seq u40 BE, ACK index u8, day u16 BE. */
interface Hl7Entry {
  readonly payload: string;
  readonly ack: AckCode;
  readonly seq: number;
  readonly day: number;
}

const KEY_FILE = 'key';

/** Entries sort by key, payload, seq (big-endian, so byte order is numeric order): the first 37 bytes. */
const HL7_LAYOUT: TagIndexLayout<Hl7Entry> = {
  magic: 'HDDEDUP1',
  entryBytes: 40,
  sortBytes: 37,
  keyEncoding: 'hex',
  // Map slot, key and payload strings, the object.
  memoryEntryBytes: 220,
  write(key, entry, out, offset) {
    out.write(key, offset, 16, 'hex');
    out.write(entry.payload, offset + 16, 16, 'hex');
    out.writeUIntBE(entry.seq, offset + 32, 5);
    out[offset + 37] = ACK_CODES.indexOf(entry.ack);
    out.writeUInt16BE(entry.day, offset + 38);
  },
  read(block, offset) {
    return {
      payload: block.toString('hex', offset + 16, offset + 32),
      ack: ACK_CODES[block[offset + 37]!] ?? 'AA',
      seq: block.readUIntBE(offset + 32, 5),
      day: block.readUInt16BE(offset + 38),
    };
  },
  seqAt: (buffer, offset) => buffer.readUIntBE(offset + 32, 5),
  dayAt: (buffer, offset) => buffer.readUInt16BE(offset + 38),
};

interface IndexOptions {
  readonly dir: string | null;
  readonly journal: Pick<Journal, 'read'> | null;
  readonly keyId: string;
  readonly memoryEntries: number;
  readonly retentionDays: number;
  readonly now: () => number;
  readonly log: DedupeLogger | null;
  readonly writeRetry?: Partial<TagIndexWriteRetry>;
}

function hl7IndexOptions(options: IndexOptions): Omit<TagIndexOptions<Hl7Entry>, 'dir'> {
  return {
    name: 'HL7 duplicate index',
    layout: HL7_LAYOUT,
    journal: options.journal,
    keyId: options.keyId,
    memoryEntries: options.memoryEntries,
    retentionDays: options.retentionDays,
    now: options.now,
    log: options.log,
    ...(options.writeRetry === undefined ? {} : { writeRetry: options.writeRetry }),
    fold(record) {
      const tag = parseJournalTag(record.dedupe!);
      return tag === null ? null : { key: tag.key, entry: { payload: tag.payload, ack: tag.ack, seq: record.seq, day: day(Date.parse(record.at)) } };
    },
  };
}

class DedupeIndex implements Hl7Dedupe {
  /** The secret as a KeyObject, imported once: an HMAC from raw key bytes imports them per call (about twice the cost). */
  private readonly secret: KeyObject;

  constructor(
    private readonly index: TagIndex<Hl7Entry>,
    secret: Buffer,
    private readonly options: { readonly now: () => number; readonly log: DedupeLogger | null },
  ) {
    this.secret = createSecretKey(secret);
  }

  tag(keyHash: string, payloadDigest: string): DedupeTag {
    const { secret } = this;
    return {
      key: createHmac('sha256', secret).update('hl7-dedupe/v2 key\0').update(keyHash).digest('hex').slice(0, 32),
      payload: createHmac('sha256', secret).update('hl7-dedupe/v2 payload\0').update(payloadDigest).digest('hex').slice(0, 32),
    };
  }

  isNew(tag: DedupeTag): boolean {
    return this.index.lookup(tag.key).length === 0;
  }

  async check(tag: DedupeTag, options: { readonly copyOf?: number } = {}): Promise<DedupeVerdict> {
    const candidates = this.index.lookup(tag.key);
    for (;;) {
      let duplicate: Hl7Entry | null = null;
      let accepted: Hl7Entry | null = null;
      for (const candidate of candidates) {
        if (candidate.payload === tag.payload) {
          if (duplicate === null || candidate.seq > duplicate.seq) duplicate = candidate;
        } else if (candidate.ack !== 'AR' && candidate.ack !== 'CR' && candidate.seq !== options.copyOf) {
          accepted ??= candidate;
        }
      }
      const witness = duplicate ?? accepted;
      if (witness === null) return { status: 'new' };
      const found = await this.confirm(tag, witness);
      if (found !== null) {
        if (duplicate !== null) return { status: 'duplicate', ack: duplicate.ack, ...(found.ackId !== undefined ? { ackId: found.ackId } : {}) };
        // An operator's copy differs from other held copies of the same message by their edits (a
        // first edit held again, then a second one): only a message filed under the key is a conflict.
        if (options.copyOf === undefined || found.kind !== QUARANTINE_RECORD_KIND) return { status: 'conflict' };
        candidates.splice(candidates.indexOf(witness), 1);
        continue;
      }
      // The record it names is gone (erased) or no longer carries this tag: forget the entry.
      this.options.log?.info({ seq: witness.seq }, 'HL7 duplicate index: an entry named a record that no longer carries its tag (erased); forgotten');
      candidates.splice(candidates.indexOf(witness), 1);
      void this.forget([witness.seq]);
    }
  }

  async store<T extends { readonly seq: number }>(tag: DedupeTag, ack: AckCode, append: (journalTag: string) => Promise<T>, ackId?: string): Promise<T> {
    const ticket = await this.index.reserve();
    try {
      const result = await append(journalTag(tag, ack, ackId));
      ticket.remember(tag.key, { payload: tag.payload, ack, seq: result.seq, day: day(this.options.now()) });
      return result;
    } finally {
      ticket.release();
    }
  }

  forget(seqs: Iterable<number>): Promise<void> {
    return this.index.forget(seqs);
  }

  stats(): DedupeStats {
    return this.index.stats();
  }

  close(): Promise<void> {
    return this.index.close();
  }

  /** The record's kind and ACK id when it still carries the candidate's tag (null kind: no journal to ask); null when it does not. */
  private async confirm(tag: DedupeTag, candidate: Hl7Entry): Promise<{ readonly kind: string | null; readonly ackId?: string } | null> {
    const record = await this.index.record(candidate.seq);
    if (record === undefined) return { kind: null };
    const found = record !== null && record.dedupe !== undefined ? parseJournalTag(record.dedupe) : null;
    if (found === null || found.key !== tag.key || found.payload !== candidate.payload) return null;
    return { kind: record!.kind, ...(found.ackId !== undefined ? { ackId: found.ackId } : {}) };
  }
}

/** An in-memory index with a throwaway key: unit tests and benches of the intake alone. */
export function createMemoryDedupe(): Hl7Dedupe {
  const options: IndexOptions = { dir: null, journal: null, keyId: '', memoryEntries: Number.POSITIVE_INFINITY, retentionDays: 365, now: Date.now, log: null };
  return new DedupeIndex(TagIndex.inMemory(hl7IndexOptions(options)), randomBytes(32), options);
}

export interface OpenDedupeOptions {
  /** The index's folder (created, mode 0700): key, manifest.json, run files. */
  readonly dir: string;
  /** The vault's journal: the index is caught up (or rebuilt) from its records' tags. */
  readonly journal: Pick<Journal, 'read'>;
  readonly log?: DedupeLogger;
  /** The unkeyed index of earlier versions (`hl7-dedupe.jsonl`): deleted at open when present. */
  readonly legacyFile?: string;
  /** Forget answers older than this; default 365 days. */
  readonly retentionDays?: number;
  /** Entries the memtable holds before it is written out (memory bound: twice this). Default 16,384. */
  readonly memoryEntries?: number;
  readonly now?: () => number;
  /** How a failed write-out is tried again and how long a store waits meanwhile (defaults: DEFAULT_WRITE_RETRY). */
  readonly writeRetry?: Partial<TagIndexWriteRetry>;
}

/** The per-vault key file's bytes, or null when there is none (or not 32 bytes). Never logged. */
export async function readDedupeKey(dir: string): Promise<Buffer | null> {
  try {
    const secret = await readFile(path.join(dir, KEY_FILE));
    return secret.length === 32 ? secret : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return null;
  }
}

/** Writes the key file atomically (0600, fsynced); a backup restore puts a vault's key back with it. */
export async function writeDedupeKey(dir: string, secret: Uint8Array): Promise<void> {
  if (secret.length !== 32) throw new Error('An HL7 duplicate key is 32 bytes.');
  await writeFileAtomic(path.join(dir, KEY_FILE), secret);
}

/** The per-vault key: created at first open (32 random bytes, 0600), never derived, never logged. */
async function vaultDedupeKey(dir: string): Promise<{ secret: Buffer; created: boolean }> {
  const existing = await readDedupeKey(dir);
  if (existing !== null) return { secret: existing, created: false };
  const secret = randomBytes(32);
  await writeDedupeKey(dir, secret);
  return { secret, created: true };
}

/** Removes the unkeyed index of earlier versions, saying so (a count, nothing of its content). */
async function dropLegacy(file: string, log: DedupeLogger | undefined): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await unlink(file);
  const entries = text.split('\n').filter((line) => line !== '').length;
  log?.warn({ entries }, 'HL7 duplicate index: removed the unkeyed hl7-dedupe.jsonl of an earlier version; messages stored from now on are recognized when resent, earlier ones are not');
}

/** Opens (or creates, or rebuilds from the journal) the vault's on-disk duplicate index. */
export async function openHl7Dedupe(options: OpenDedupeOptions): Promise<Hl7Dedupe> {
  const { dir, log } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (options.legacyFile !== undefined) await dropLegacy(options.legacyFile, log);
  const { secret, created } = await vaultDedupeKey(dir);
  const keyId = createHmac('sha256', secret).update('hl7-dedupe/v2 key id').digest('hex').slice(0, 16);
  if (created) log?.info({}, 'HL7 duplicate index: a new key was created for this vault');
  const indexOptions: IndexOptions = {
    dir,
    journal: options.journal,
    keyId,
    memoryEntries: options.memoryEntries ?? 16_384,
    retentionDays: options.retentionDays ?? 365,
    now: options.now ?? Date.now,
    log: log ?? null,
    ...(options.writeRetry === undefined ? {} : { writeRetry: options.writeRetry }),
  };
  const { index, rebuilt, caughtUp } = await TagIndex.open({ ...hl7IndexOptions(indexOptions), dir, journal: options.journal });
  const stats = index.stats();
  log?.info({ rebuilt, caughtUp, entries: stats.entries, runs: stats.runs, lastSeq: stats.lastSeq }, 'HL7 duplicate index opened');
  return new DedupeIndex(index, secret, indexOptions);
}
