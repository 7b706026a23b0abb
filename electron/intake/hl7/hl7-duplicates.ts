import { createHmac, createSecretKey, hash, randomBytes, type KeyObject } from 'node:crypto';
import { readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/durable-files';
import type { Journal, JournalRecord } from '../../storage/journal';
import { QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import type { AckCode } from './hl7-ack';

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
 * (JournalEntry.dedupe): `<key tag>.<payload tag>.<ACK code>`, where each tag is the first 128 bits
 * of an HMAC-SHA-256, under a random per-vault key, of the SHA-256 of the key or of the content.
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
 * THE INDEX (a small log-structured merge tree written with node:fs; no native addon to package):
 * - a memtable (a Map) holds the newest entries, at most `memoryEntries` (default 16,384), plus one
 *   frozen memtable being written out: memory is bounded whatever the number of messages;
 * - sorted run files, one per level, level i holding up to memoryEntries × 8^i entries of 40 bytes
 *   (key tag, payload tag, seq, ACK, day) in 4,080-byte blocks, with the first 4 bytes of each
 *   block's first key kept in memory (4 bytes per 102 entries) so that a lookup reads one block
 *   per level (sync pread: a few microseconds from the page cache; 2 levels at 1M messages);
 * - a flush merges the frozen memtable into level 1 (and on into deeper levels when one overflows)
 *   into a new run file, fsynced, then `manifest.json` is replaced atomically; run files are never
 *   changed in place, so a crash at any point leaves the previous manifest and its runs intact;
 * - the manifest's `lastSeq`: every tagged journal record up to it is in the runs. At open the
 *   index reads the journal after it (the memtable's entries, lost with the process, come back
 *   from the journal); with no usable manifest, another key, or a journal shorter than it, the
 *   index is rebuilt from the whole journal.
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
  | { readonly status: 'duplicate'; readonly ack: AckCode }
  | { readonly status: 'conflict' };

/** A message's keyed tags (hex, 128 bits each): what the index and the journal record hold. */
export interface DedupeTag {
  readonly key: string;
  readonly payload: string;
}

export interface DedupeStats {
  /** Entries in memory and in run files (a record caught up twice may count twice until a merge). */
  readonly entries: number;
  /** Entries held in memory (the memtable and the one being written out). */
  readonly memoryEntries: number;
  /** The bound on memoryEntries: twice the memtable's size. */
  readonly memoryLimitEntries: number;
  /** Block fences kept in memory for the run files, in bytes. */
  readonly fenceBytes: number;
  /** A rough estimate of the bytes of memory the index holds (memtables, fences, buffers). */
  readonly memoryBytes: number;
  readonly runs: number;
  /** Bytes of the run files on disk. */
  readonly diskBytes: number;
  readonly lastSeq: number;
}

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
   */
  store<T extends { readonly seq: number }>(tag: DedupeTag, ack: AckCode, append: (journalTag: string) => Promise<T>): Promise<T>;
  /** Forgets the entries of these journal records (an erasure made them tombstones). */
  forget(seqs: Iterable<number>): Promise<void>;
  stats(): DedupeStats;
  close(): Promise<void>;
}

export interface DedupeLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

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

/** The journal record's `dedupe` field for a tag and the ACK code sent. */
export function journalTag(tag: DedupeTag, ack: AckCode): string {
  return `${Buffer.from(tag.key, 'hex').toString('base64url')}.${Buffer.from(tag.payload, 'hex').toString('base64url')}.${ack}`;
}

/** A journal record's `dedupe` field read back, or null if it is not an HL7 tag. */
export function parseJournalTag(text: string): (DedupeTag & { readonly ack: AckCode }) | null {
  const parts = text.split('.');
  if (parts.length !== 3 || !TAG_B64.test(parts[0]!) || !TAG_B64.test(parts[1]!) || !ACK_CODES.includes(parts[2] as AckCode)) return null;
  return { key: Buffer.from(parts[0]!, 'base64url').toString('hex'), payload: Buffer.from(parts[1]!, 'base64url').toString('hex'), ack: parts[2] as AckCode };
}

// ---- the on-disk runs ------------------------------------------------------------------------

/** One entry on disk: key tag 16, payload tag 16, seq u40 BE, ACK index u8, day u16 BE. */
const ENTRY = 40;
/** Entries sort by these bytes: key, payload, seq (big-endian, so byte order is numeric order). */
const SORT = 37;
const BLOCK_ENTRIES = 102;
const RUN_MAGIC = Buffer.from('HDDEDUP1', 'ascii');
const RUN_HEADER = 16;
const LEVEL_RATIO = 8;
const CHUNK_ENTRIES = 26_214; // ~1 MiB reads and writes in merges
const MANIFEST = 'manifest.json';
const KEY_FILE = 'key';
const RUN_NAME = /^run-(\d+)\.hdx$/;
/** What one memtable entry costs in V8, roughly (Map slot, key and payload strings, the object). */
const MEMORY_ENTRY_BYTES = 220;

interface Candidate {
  readonly payload: string;
  readonly ack: AckCode;
  readonly seq: number;
  readonly day: number;
}

interface MemEntry extends Candidate {
  next: MemEntry | null;
}

class Memtable {
  readonly map = new Map<string, MemEntry>();
  entries = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  add(key: string, payload: string, ack: AckCode, seq: number, day: number): void {
    this.map.set(key, { payload, ack, seq, day, next: this.map.get(key) ?? null });
    this.entries++;
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  collect(key: string, out: Candidate[]): void {
    for (let entry = this.map.get(key) ?? null; entry !== null; entry = entry.next) out.push(entry);
  }

  /** Drops the entries of these seqs. */
  remove(seqs: ReadonlySet<number>): void {
    for (const [key, head] of this.map) {
      let kept: MemEntry | null = null;
      for (let entry: MemEntry | null = head; entry !== null; entry = entry.next) {
        if (seqs.has(entry.seq)) this.entries--;
        else kept = { ...entry, next: kept };
      }
      if (kept === null) this.map.delete(key);
      else this.map.set(key, kept);
    }
  }

  /** The entries as sorted 40-byte records. */
  sorted(): Buffer {
    const out = Buffer.allocUnsafe(this.entries * ENTRY);
    let offset = 0;
    for (const key of [...this.map.keys()].sort()) {
      const chain: MemEntry[] = [];
      for (let entry = this.map.get(key) ?? null; entry !== null; entry = entry.next) chain.push(entry);
      chain.sort((a, b) => (a.payload < b.payload ? -1 : a.payload > b.payload ? 1 : a.seq - b.seq));
      for (const entry of chain) {
        out.write(key, offset, 16, 'hex');
        out.write(entry.payload, offset + 16, 16, 'hex');
        out.writeUIntBE(entry.seq, offset + 32, 5);
        out[offset + 37] = ACK_CODES.indexOf(entry.ack);
        out.writeUInt16BE(entry.day, offset + 38);
        offset += ENTRY;
      }
    }
    return out.subarray(0, offset);
  }
}

function candidateAt(block: Buffer, offset: number): Candidate {
  return {
    payload: block.toString('hex', offset + 16, offset + 32),
    ack: ACK_CODES[block[offset + 37]!] ?? 'AA',
    seq: block.readUIntBE(offset + 32, 5),
    day: block.readUInt16BE(offset + 38),
  };
}

/** A sorted run file: header (magic, count), entries, then one u32 fence per block. */
class Run {
  private constructor(
    readonly name: string,
    readonly level: number,
    readonly count: number,
    private readonly handle: FileHandle,
    private readonly fences: Uint32Array,
  ) {}

  get bytes(): number {
    return RUN_HEADER + this.count * ENTRY + this.fences.length * 4;
  }

  get fenceBytes(): number {
    return this.fences.byteLength;
  }

  static async open(dir: string, name: string, level: number): Promise<Run> {
    const handle = await open(path.join(dir, name), 'r');
    try {
      const header = Buffer.alloc(RUN_HEADER);
      await handle.read(header, 0, RUN_HEADER, 0);
      const count = header.readUInt32BE(8);
      const blocks = Math.ceil(count / BLOCK_ENTRIES);
      const { size } = await handle.stat();
      if (!header.subarray(0, 8).equals(RUN_MAGIC) || size !== RUN_HEADER + count * ENTRY + blocks * 4) throw new Error(`${name} is not a whole run file`);
      const raw = Buffer.alloc(blocks * 4);
      await handle.read(raw, 0, raw.length, RUN_HEADER + count * ENTRY);
      const fences = new Uint32Array(blocks);
      for (let b = 0; b < blocks; b++) fences[b] = raw.readUInt32BE(b * 4);
      return new Run(name, level, count, handle, fences);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Adds every entry under `key` to `out`: one block read, two when the key straddles blocks. */
  find(key: Buffer, out: Candidate[], scratch: Buffer): void {
    const fences = this.fences;
    const prefix = key.readUInt32BE(0);
    let lo = 0;
    let hi = fences.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fences[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0 && (fences.length === 0 || fences[0] !== prefix)) return; // before the first key
    for (let b = Math.max(0, lo - 1); b < fences.length; b++) {
      const first = b * BLOCK_ENTRIES;
      const n = Math.min(BLOCK_ENTRIES, this.count - first);
      readSync(this.handle.fd, scratch, 0, n * ENTRY, RUN_HEADER + first * ENTRY);
      let l = 0;
      let h = n;
      while (l < h) {
        const mid = (l + h) >>> 1;
        if (scratch.compare(key, 0, 16, mid * ENTRY, mid * ENTRY + 16) < 0) l = mid + 1;
        else h = mid;
      }
      let i = l;
      for (; i < n && scratch.compare(key, 0, 16, i * ENTRY, i * ENTRY + 16) === 0; i++) out.push(candidateAt(scratch, i * ENTRY));
      // The key may go on in the next block only if this one ended inside it.
      if (i < n || b + 1 >= fences.length || fences[b + 1]! > prefix) return;
    }
  }

  /** A source of this run's entries for a merge, read in chunks. */
  source(): MergeSource {
    let next = 0;
    const buffer = Buffer.allocUnsafe(CHUNK_ENTRIES * ENTRY);
    const source: MergeSource = {
      buffer,
      position: 0,
      end: 0,
      refill: async () => {
        const n = Math.min(CHUNK_ENTRIES, this.count - next);
        if (n <= 0) return false;
        const { bytesRead } = await this.handle.read(buffer, 0, n * ENTRY, RUN_HEADER + next * ENTRY);
        if (bytesRead !== n * ENTRY) throw new Error(`${this.name} ended early`);
        next += n;
        source.position = 0;
        source.end = bytesRead;
        return true;
      },
    };
    return source;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

interface MergeSource {
  buffer: Buffer;
  position: number;
  end: number;
  refill(): Promise<boolean>;
}

function memorySource(buffer: Buffer): MergeSource {
  return { buffer, position: 0, end: buffer.length, refill: () => Promise.resolve(false) };
}

/**
 * Merges sorted sources into a new run file (temp name, fsynced, renamed), dropping exact repeats
 * (the same record caught up twice) and the entries `keep` refuses. Returns its entry count.
 */
async function writeRun(dir: string, name: string, inputs: readonly MergeSource[], keep: (buffer: Buffer, offset: number) => boolean): Promise<number> {
  const temp = path.join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  let count = 0;
  try {
    const out = Buffer.allocUnsafe(CHUNK_ENTRIES * ENTRY);
    let used = 0;
    let position = RUN_HEADER;
    const fences: number[] = [];
    const last = Buffer.alloc(SORT);
    let hasLast = false;
    const heads: MergeSource[] = [];
    for (const input of inputs) if (input.position < input.end || (await input.refill())) heads.push(input);
    while (heads.length > 0) {
      let m = 0;
      for (let i = 1; i < heads.length; i++) {
        const a = heads[i]!;
        const b = heads[m]!;
        if (a.buffer.compare(b.buffer, b.position, b.position + SORT, a.position, a.position + SORT) < 0) m = i;
      }
      const head = heads[m]!;
      const at = head.position;
      if (!(hasLast && head.buffer.compare(last, 0, SORT, at, at + SORT) === 0) && keep(head.buffer, at)) {
        if (count % BLOCK_ENTRIES === 0) fences.push(head.buffer.readUInt32BE(at));
        head.buffer.copy(out, used, at, at + ENTRY);
        head.buffer.copy(last, 0, at, at + SORT);
        hasLast = true;
        used += ENTRY;
        count++;
        if (used === out.length) {
          await handle.write(out, 0, used, position);
          position += used;
          used = 0;
        }
      }
      head.position += ENTRY;
      if (head.position >= head.end && !(await head.refill())) heads.splice(m, 1);
    }
    if (used > 0) await handle.write(out, 0, used, position);
    const tail = Buffer.allocUnsafe(fences.length * 4);
    fences.forEach((fence, i) => tail.writeUInt32BE(fence, i * 4));
    await handle.write(tail, 0, tail.length, RUN_HEADER + count * ENTRY);
    const header = Buffer.alloc(RUN_HEADER);
    RUN_MAGIC.copy(header, 0);
    header.writeUInt32BE(count, 8);
    await handle.write(header, 0, RUN_HEADER, 0);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path.join(dir, name));
  return count;
}

interface Manifest {
  readonly v: 1;
  readonly keyId: string;
  readonly lastSeq: number;
  readonly next: number;
  readonly runs: readonly { readonly name: string; readonly level: number }[];
}

function parseManifest(text: string, keyId: string): Manifest | null {
  try {
    const value = JSON.parse(text) as Partial<Manifest>;
    if (value.v !== 1 || value.keyId !== keyId || !Number.isSafeInteger(value.lastSeq) || !Number.isSafeInteger(value.next) || !Array.isArray(value.runs)) return null;
    for (const run of value.runs) if (typeof run?.name !== 'string' || !RUN_NAME.test(run.name) || !Number.isSafeInteger(run.level) || run.level < 1) return null;
    return value as Manifest;
  } catch {
    return null;
  }
}

// ---- the index ---------------------------------------------------------------------------------

interface IndexOptions {
  readonly dir: string | null;
  readonly journal: Pick<Journal, 'read'> | null;
  readonly secret: Buffer;
  readonly keyId: string;
  readonly memoryEntries: number;
  readonly retentionDays: number;
  readonly now: () => number;
  readonly log: DedupeLogger | null;
}

const day = (ms: number): number => Math.floor(ms / 86_400_000);

class DedupeIndex implements Hl7Dedupe {
  private active = new Memtable();
  private frozen: Memtable | null = null;
  /** runs[level], level ≥ 1. */
  private runs: Array<Run | undefined> = [];
  /** Seqs erased (or found stale) whose entries may still be in run files: ignored until compacted away. */
  private readonly forgotten = new Set<number>();
  private lastSeq = 0;
  private maxSeq = 0;
  private nextRun = 1;
  private jobs: Promise<void> = Promise.resolve();
  private jobRunning = false;
  private compactionWanted = false;
  private closed = false;
  /** Appends in flight through store(), by the epoch they began in (see flush). */
  private epoch = 0;
  private readonly openTickets = new Map<number, number>();
  private openCount = 0;
  private ticketWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  private readonly scratch = Buffer.allocUnsafe(BLOCK_ENTRIES * ENTRY);
  private readonly probe = Buffer.allocUnsafe(16);
  /** The secret as a KeyObject, imported once: an HMAC from raw key bytes imports them per call (about twice the cost). */
  private readonly secret: KeyObject;

  constructor(private readonly options: IndexOptions) {
    this.secret = createSecretKey(options.secret);
  }

  tag(keyHash: string, payloadDigest: string): DedupeTag {
    const { secret } = this;
    return {
      key: createHmac('sha256', secret).update('hl7-dedupe/v2 key\0').update(keyHash).digest('hex').slice(0, 32),
      payload: createHmac('sha256', secret).update('hl7-dedupe/v2 payload\0').update(payloadDigest).digest('hex').slice(0, 32),
    };
  }

  isNew(tag: DedupeTag): boolean {
    return this.lookup(tag.key).length === 0;
  }

  async check(tag: DedupeTag, options: { readonly copyOf?: number } = {}): Promise<DedupeVerdict> {
    const candidates = this.lookup(tag.key);
    for (;;) {
      let duplicate: Candidate | null = null;
      let accepted: Candidate | null = null;
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
        if (duplicate !== null) return { status: 'duplicate', ack: duplicate.ack };
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

  async store<T extends { readonly seq: number }>(tag: DedupeTag, ack: AckCode, append: (journalTag: string) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('The HL7 duplicate index is closed.');
    // Backpressure: every append in flight holds a place in memory for its entry, and memory
    // holds at most two memtables' worth (the active one, the one being written out).
    while (this.active.entries + (this.frozen?.entries ?? 0) + this.openCount >= 2 * this.options.memoryEntries) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    const epoch = this.epoch;
    this.openTickets.set(epoch, (this.openTickets.get(epoch) ?? 0) + 1);
    this.openCount++;
    try {
      const result = await append(journalTag(tag, ack));
      this.insert(tag.key, tag.payload, ack, result.seq, day(this.options.now()));
      return result;
    } finally {
      const left = this.openTickets.get(epoch)! - 1;
      if (left === 0) this.openTickets.delete(epoch);
      else this.openTickets.set(epoch, left);
      this.openCount--;
      for (const wake of this.ticketWaiters.splice(0)) wake();
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
  }

  async forget(seqs: Iterable<number>): Promise<void> {
    const set = new Set(seqs);
    if (set.size === 0) return;
    this.active.remove(set);
    this.frozen?.remove(set);
    if (this.options.dir === null) return;
    // Run files (and a memtable being written out right now) may hold them: ignored, then compacted away.
    for (const seq of set) this.forgotten.add(seq);
    this.compactionWanted = true;
    await this.schedule();
  }

  stats(): DedupeStats {
    const runs = this.runs.filter((run): run is Run => run !== undefined);
    const memoryEntries = this.active.entries + (this.frozen?.entries ?? 0);
    const fenceBytes = runs.reduce((sum, run) => sum + run.fenceBytes, 0);
    return {
      entries: memoryEntries + runs.reduce((sum, run) => sum + run.count, 0),
      memoryEntries,
      memoryLimitEntries: 2 * this.options.memoryEntries,
      fenceBytes,
      memoryBytes: memoryEntries * MEMORY_ENTRY_BYTES + fenceBytes + this.scratch.length,
      runs: runs.length,
      diskBytes: runs.reduce((sum, run) => sum + run.bytes, 0),
      lastSeq: this.lastSeq,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.openCount > 0) await new Promise<void>((resolve) => this.ticketWaiters.push(resolve));
    if (this.options.dir !== null) {
      // Everything is remembered now: the memtable goes to disk, and lastSeq to the newest tag.
      // A flush may be running: then the active memtable goes in a second one.
      for (let round = 0; round < 2 && (this.frozen !== null || this.active.entries > 0); round++) {
        if (this.frozen === null) this.freeze();
        await this.schedule();
      }
      if (this.maxSeq > this.lastSeq && this.frozen === null && this.active.entries === 0) await this.writeManifest(this.maxSeq, this.runs);
    }
    for (const run of this.runs) await run?.close();
    this.runs = [];
  }

  // -- open ------------------------------------------------------------------------------------

  /** Loads the manifest's runs (false when there is none usable). */
  async load(): Promise<boolean> {
    const dir = this.options.dir!;
    let manifest: Manifest | null = null;
    try {
      manifest = parseManifest(await readFile(path.join(dir, MANIFEST), 'utf8'), this.options.keyId);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (manifest === null) return false;
    try {
      for (const { name, level } of manifest.runs) this.runs[level] = await Run.open(dir, name, level);
    } catch (error) {
      this.options.log?.warn({ error: error instanceof Error ? error.message : String(error) }, 'HL7 duplicate index: a run file is damaged; rebuilding from the journal');
      await this.dropRuns();
      return false;
    }
    this.lastSeq = manifest.lastSeq;
    this.maxSeq = manifest.lastSeq;
    this.nextRun = manifest.next;
    return true;
  }

  /** Run files the manifest does not name (a merge a crash interrupted): removed. */
  async removeLeftovers(): Promise<void> {
    const dir = this.options.dir!;
    const live = new Set(this.runs.filter((run) => run !== undefined).map((run) => run.name));
    for (const name of await readdir(dir)) {
      if ((RUN_NAME.test(name) && !live.has(name)) || name.endsWith('.tmp')) await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }

  async dropRuns(): Promise<void> {
    for (const run of this.runs) await run?.close();
    this.runs = [];
    this.lastSeq = 0;
    this.maxSeq = 0;
    await unlink(path.join(this.options.dir!, MANIFEST)).catch(() => undefined);
    await this.removeLeftovers();
  }

  /** Reads the journal's tagged records after `after` into the index. Returns how many. */
  async catchUp(after: number): Promise<number> {
    const journal = this.options.journal!;
    let caught = 0;
    for (let cursor = after; ; ) {
      const page = await journal.read({ after: cursor, limit: 10_000 });
      for (const record of page.records) {
        caught += this.fold(record);
        // Memory stays bounded while catching up too: wait for the memtable being written out.
        if (this.frozen !== null && this.active.entries >= this.options.memoryEntries) await this.jobs;
      }
      if (page.end || page.nextCursor === cursor) break;
      cursor = page.nextCursor;
    }
    return caught;
  }

  private fold(record: JournalRecord): number {
    if (record.dedupe === undefined) return 0;
    const tag = parseJournalTag(record.dedupe);
    if (tag === null) return 0;
    this.insert(tag.key, tag.payload, tag.ack, record.seq, day(Date.parse(record.at)));
    return 1;
  }

  // -- lookups ---------------------------------------------------------------------------------

  private lookup(key: string): Candidate[] {
    const found: Candidate[] = [];
    this.active.collect(key, found);
    this.frozen?.collect(key, found);
    if (this.runs.length > 0) {
      this.probe.write(key, 0, 16, 'hex');
      for (const run of this.runs) run?.find(this.probe, found, this.scratch);
    }
    const horizon = day(this.options.now()) - this.options.retentionDays;
    return found.filter((candidate) => candidate.day >= horizon && !this.forgotten.has(candidate.seq));
  }

  /** Whether the journal record a hit names still carries this tag (always, without a journal). */
  /** The record's kind when it still carries the candidate's tag (null kind: no journal to ask); null when it does not. */
  private async confirm(tag: DedupeTag, candidate: Candidate): Promise<{ readonly kind: string | null } | null> {
    const journal = this.options.journal;
    if (journal === null) return { kind: null };
    try {
      const record = (await journal.read({ after: candidate.seq - 1, limit: 1 })).records[0];
      const found = record?.seq === candidate.seq && record.dedupe !== undefined ? parseJournalTag(record.dedupe) : null;
      return found !== null && found.key === tag.key && found.payload === candidate.payload ? { kind: record!.kind } : null;
    } catch (error) {
      // Past the journal's end: the record is not there. Anything else: trust the index.
      return (error as { code?: unknown }).code !== 'E_INVALID' ? { kind: null } : null;
    }
  }

  // -- writes ----------------------------------------------------------------------------------

  private insert(key: string, payload: string, ack: AckCode, seq: number, entryDay: number): void {
    this.active.add(key, payload, ack, seq, entryDay);
    if (seq > this.maxSeq) this.maxSeq = seq;
    if (this.options.dir !== null && this.frozen === null && this.active.entries >= this.options.memoryEntries) {
      this.freeze();
      void this.schedule();
    }
  }

  private freeze(): void {
    this.frozen = this.active;
    this.active = new Memtable();
    this.epoch++;
  }

  /** Runs the pending work (a flush, a compaction) after what runs already; resolves when done. */
  private schedule(): Promise<void> {
    if (this.options.dir === null) return Promise.resolve();
    this.jobs = this.jobs.then(async () => {
      this.jobRunning = true;
      try {
        if (this.frozen !== null) await this.flush();
        if (this.compactionWanted) await this.compact();
      } catch (error) {
        // The memtable stays in memory and is searched; the next flush tries again.
        this.options.log?.error({ error: error instanceof Error ? error.message : String(error) }, 'HL7 duplicate index: could not write to disk; entries stay in memory for now');
      } finally {
        this.jobRunning = false;
        for (const wake of this.roomWaiters.splice(0)) wake();
      }
    });
    return this.jobs;
  }

  /** Waits until every store() that began before the last freeze has remembered its record. */
  private async drainBefore(epoch: number): Promise<void> {
    const pending = (): boolean => [...this.openTickets.keys()].some((e) => e < epoch);
    while (pending()) await new Promise<void>((resolve) => this.ticketWaiters.push(resolve));
  }

  /**
   * Writes the frozen memtable out, merged with level 1 and on into deeper levels while a level
   * would overflow. The manifest's lastSeq: every record whose append began before the freeze is
   * remembered by then (drainBefore), and later appends get later seqs, so all tagged records up to
   * min(frozen max seq, active min seq − 1) are in the runs afterwards.
   */
  private async flush(): Promise<void> {
    await this.drainBefore(this.epoch);
    const frozen = this.frozen!;
    const lastSeq = Math.max(this.lastSeq, Math.min(frozen.maxSeq, this.active.minSeq - 1));
    let level = 1;
    let total = frozen.entries + (this.runs[1]?.count ?? 0);
    while (total > this.options.memoryEntries * LEVEL_RATIO ** level) {
      level++;
      total += this.runs[level]?.count ?? 0;
    }
    const merged = this.runs.slice(1, level + 1).filter((run): run is Run => run !== undefined);
    await this.replace(level, [memorySource(frozen.sorted()), ...merged.map((run) => run.source())], merged, lastSeq);
    this.frozen = null;
  }

  /** Merges every run into one at the deepest level, dropping forgotten and expired entries. */
  private async compact(): Promise<void> {
    this.compactionWanted = false;
    const merged = this.runs.filter((run): run is Run => run !== undefined);
    const done = new Set(this.forgotten);
    if (merged.length > 0) await this.replace(Math.max(1, this.runs.length - 1), merged.map((run) => run.source()), merged, this.lastSeq);
    for (const seq of done) this.forgotten.delete(seq);
  }

  /** Writes one new run at `level` from `inputs`, replacing the runs `merged`, and installs it. */
  private async replace(level: number, inputs: readonly MergeSource[], merged: readonly Run[], lastSeq: number): Promise<void> {
    const dir = this.options.dir!;
    const name = `run-${this.nextRun++}.hdx`;
    const horizon = day(this.options.now()) - this.options.retentionDays;
    const count = await writeRun(dir, name, inputs, (buffer, offset) => buffer.readUInt16BE(offset + 38) >= horizon && !this.forgotten.has(buffer.readUIntBE(offset + 32, 5)));
    const runs = [...this.runs];
    for (const run of merged) runs[run.level] = undefined;
    runs[level] = count > 0 ? await Run.open(dir, name, level) : undefined;
    if (count === 0) await unlink(path.join(dir, name));
    await this.writeManifest(lastSeq, runs);
    this.runs = runs;
    this.lastSeq = lastSeq;
    for (const run of merged) {
      await run.close();
      await unlink(path.join(dir, run.name)).catch(() => undefined);
    }
  }

  private async writeManifest(lastSeq: number, runs: ReadonlyArray<Run | undefined>): Promise<void> {
    const dir = this.options.dir!;
    const manifest: Manifest = {
      v: 1,
      keyId: this.options.keyId,
      lastSeq,
      next: this.nextRun,
      runs: runs.filter((run): run is Run => run !== undefined).map((run) => ({ name: run.name, level: run.level })),
    };
    await writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest));
    this.lastSeq = lastSeq;
  }
}

/** An in-memory index with a throwaway key: unit tests and benches of the intake alone. */
export function createMemoryDedupe(): Hl7Dedupe {
  return new DedupeIndex({ dir: null, journal: null, secret: randomBytes(32), keyId: '', memoryEntries: Number.POSITIVE_INFINITY, retentionDays: 365, now: Date.now, log: null });
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
  const index = new DedupeIndex({
    dir,
    journal: options.journal,
    secret,
    keyId,
    memoryEntries: options.memoryEntries ?? 16_384,
    retentionDays: options.retentionDays ?? 365,
    now: options.now ?? Date.now,
    log: log ?? null,
  });
  let loaded = await index.load();
  await index.removeLeftovers();
  let caught: number;
  const from = index.stats().lastSeq;
  try {
    caught = await index.catchUp(from);
  } catch (error) {
    // A manifest ahead of the journal (a journal restored or replaced): start over from it.
    if ((error as { code?: unknown }).code !== 'E_INVALID' || !loaded) throw error;
    log?.warn({ lastSeq: from }, 'HL7 duplicate index: ahead of the journal; rebuilding from the journal');
    await index.dropRuns();
    loaded = false;
    caught = await index.catchUp(0);
  }
  const stats = index.stats();
  log?.info({ rebuilt: !loaded, caughtUp: caught, entries: stats.entries, runs: stats.runs, lastSeq: stats.lastSeq }, 'HL7 duplicate index opened');
  return index;
}
