import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/durable-files';
import type { Journal, JournalRecord } from '../../storage/journal';

/**
 * A channel's duplicate index on disk, derived from the journal's dedupe tags (design §4 rule 4):
 * a small log-structured merge tree written with node:fs (no native addon to package). The HL7
 * index (hl7-duplicates.ts), the DICOM index (dicom-duplicates.ts) and the device readings' index
 * (devices/device-duplicates.ts) are all this, each with its own fixed-size entry (TagIndexLayout)
 * and its own folder, key and manifest. A record's tag may make several entries (a device
 * report's readings): `fold` returns them all, and an append reserves a place for each.
 *
 * - a memtable (a Map of key → chain of entries) holds the newest entries, at most
 *   `memoryEntries`, plus one frozen memtable being written out: memory is bounded whatever the
 *   number of records;
 * - sorted run files, one per level, level i holding up to memoryEntries × 8^i entries in blocks
 *   of at most 4,080 bytes, with the first 4 bytes of each block's first key kept in memory, so
 *   that a lookup reads one block per level (sync pread: a few microseconds from the page cache);
 * - a flush merges the frozen memtable into level 1 (and on into deeper levels when one
 *   overflows) into a new run file, fsynced, then `manifest.json` is replaced atomically; run
 *   files are never changed in place, so a crash at any point leaves the previous manifest and its
 *   runs intact (the new run file, named by no manifest, is removed at the next open);
 * - the manifest's `lastSeq`: every tagged journal record up to it is in the runs. At open the
 *   index reads the journal after it (the memtable's entries, lost with the process, come back
 *   from the journal); with no usable manifest, another key (`keyId`), another journal (`journal`,
 *   see journalIdentity), a damaged run, or a journal shorter than it, the index is rebuilt from
 *   the whole journal. A manifest of an earlier version, naming no journal, is adopted as made from
 *   the current one (and names it from then on): those versions also rebuilt on another key or a
 *   shorter journal, and a rebuild at every upgrade would cost seconds per million records.
 *
 * An entry's first 16 bytes are its key (the keyed tag looked up); entries sort by their first
 * `sortBytes` bytes, and two entries equal in those are one (a record caught up twice). Erasure:
 * `forget(seqs)` drops entries from the memtables at once and from run files by a compaction
 * (tried again like a flush when it fails; until it succeeds lookups ignore those seqs).
 * Entries whose day is past `retentionDays` are ignored and dropped by merges; with `maxPerKey`,
 * a merge keeps only the first that many entries of a key in sort order.
 */

export interface TagIndexEntry {
  readonly seq: number;
  /** Days since the epoch (UTC) the entry was made; absent in layouts without retention. */
  readonly day?: number;
}

/** How one kind of entry lies on disk (fixed size; the first 16 bytes are the key). */
export interface TagIndexLayout<E extends TagIndexEntry> {
  /** 8 ASCII bytes at the start of every run file of this kind. */
  readonly magic: string;
  readonly entryBytes: number;
  /** Entries sort by these leading bytes (the key first). */
  readonly sortBytes: number;
  /** How keys are spelled as strings (the memtable's Map keys and lookups). */
  readonly keyEncoding: 'hex' | 'base64url';
  /** What one memtable entry costs in V8, roughly (Map slot, strings, the object): for stats. */
  readonly memoryEntryBytes: number;
  /** Writes key and entry at `offset` (entryBytes bytes). */
  write(key: string, entry: E, out: Buffer, offset: number): void;
  read(buffer: Buffer, offset: number): E;
  seqAt(buffer: Buffer, offset: number): number;
  /** The entry's day; omitted: entries never expire. */
  dayAt?(buffer: Buffer, offset: number): number;
}

export interface TagIndexLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface TagIndexStats {
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

export interface TagIndexOptions<E extends TagIndexEntry> {
  /** Names the index in logs and errors, e.g. 'HL7 duplicate index'. */
  readonly name: string;
  readonly layout: TagIndexLayout<E>;
  /** The index's folder; null: memory only (tests and benches), nothing written. */
  readonly dir: string | null;
  /** With `lastSeq` (a Journal), a clean close marks the whole journal as read, other channels' records too. */
  readonly journal: TagIndexJournal | null;
  /** Names the key the tags are made with: a manifest of another key is not used. */
  readonly keyId: string;
  readonly memoryEntries: number;
  /** Forget entries older than this many days (layouts with dayAt only). */
  readonly retentionDays: number;
  /** A merge keeps at most this many entries per key, the first in sort order. */
  readonly maxPerKey?: number;
  readonly now: () => number;
  readonly log: TagIndexLogger | null;
  /** When writing out fails (disk full, I/O errors): how it is tried again; defaults DEFAULT_WRITE_RETRY. */
  readonly writeRetry?: Partial<TagIndexWriteRetry>;
  /**
   * The entry a journal record's tag makes, or its entries when one tag names several keys (a
   * device report's readings); null: the record carries none of this index's tags.
   */
  fold(record: JournalRecord): TagIndexFolded<E> | readonly TagIndexFolded<E>[] | null;
}

/**
 * A flush that failed (ENOSPC, EIO…) leaves its memtable in memory, searched, and is tried again
 * after `firstDelayMs`, doubling up to `maxDelayMs` (so is a compaction after `forget` that failed) (an append waiting for room also tries it, at most
 * once per `firstDelayMs`). While writes fail and memory is full, an append waits at most
 * `maxWaitMs` for room and is then refused: the intake answers a failure (HL7 AE, DICOM A700, a
 * device's association aborted) and the sender resends later; nothing was appended, so nothing is
 * lost. At open, a catch-up whose flushes keep failing gives up after `openAttempts` tries.
 */
export interface TagIndexWriteRetry {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxWaitMs: number;
  readonly openAttempts: number;
}

export const DEFAULT_WRITE_RETRY: TagIndexWriteRetry = { firstDelayMs: 1000, maxDelayMs: 30_000, maxWaitMs: 5000, openAttempts: 5 };

export interface TagIndexFolded<E extends TagIndexEntry> {
  readonly key: string;
  readonly entry: E;
}

/** A place in memory held for one append: remember its entry once the append resolved, then release. */
export interface TagIndexTicket<E extends TagIndexEntry> {
  remember(key: string, entry: E): void;
  /** Gives the place back (idempotent); always call it, remembered or not. */
  release(): void;
}

/** What the index reads: the journal (`lastSeq` optional: tests count reads through a wrapper). */
export type TagIndexJournal = Pick<Journal, 'read'> & Partial<Pick<Journal, 'lastSeq'>>;

export const day = (ms: number): number => Math.floor(ms / 86_400_000);

function isFoldList<E extends TagIndexEntry>(folded: TagIndexFolded<E> | readonly TagIndexFolded<E>[]): folded is readonly TagIndexFolded<E>[] {
  return Array.isArray(folded);
}

const BLOCK_BYTES = 4080;
const CHUNK_BYTES = 1_048_560; // ~1 MiB reads and writes in merges
const RUN_HEADER = 16;
const LEVEL_RATIO = 8;
const MANIFEST = 'manifest.json';
const RUN_NAME = /^run-(\d+)\.hdx$/;
const JOURNAL_ID = /^[0-9a-f]{16}$/;
/** A catch-up that read this many journal records is written out at once (a crash then need not read them again). */
const CHECKPOINT_RECORDS = 1000;

interface Chained<E> {
  readonly entry: E;
  next: Chained<E> | null;
}

class Memtable<E extends TagIndexEntry> {
  readonly map = new Map<string, Chained<E>>();
  entries = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  add(key: string, entry: E): void {
    this.map.set(key, { entry, next: this.map.get(key) ?? null });
    this.entries++;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
  }

  collect(key: string, out: E[]): void {
    for (let link = this.map.get(key) ?? null; link !== null; link = link.next) out.push(link.entry);
  }

  /** Drops the entries of these seqs. */
  remove(seqs: ReadonlySet<number>): void {
    for (const [key, head] of this.map) {
      let kept: Chained<E> | null = null;
      let changed = false;
      for (let link: Chained<E> | null = head; link !== null; link = link.next) {
        if (seqs.has(link.entry.seq)) {
          this.entries--;
          changed = true;
        } else {
          kept = { entry: link.entry, next: kept };
        }
      }
      if (!changed) continue;
      if (kept === null) this.map.delete(key);
      else this.map.set(key, kept);
    }
  }

  /** The entries as sorted fixed-size records. */
  sorted(layout: TagIndexLayout<E>): Buffer {
    const size = layout.entryBytes;
    const raw = Buffer.allocUnsafe(this.entries * size);
    let n = 0;
    for (const [key, head] of this.map) {
      for (let link: Chained<E> | null = head; link !== null; link = link.next) layout.write(key, link.entry, raw, n++ * size);
    }
    const order = Array.from({ length: n }, (_, i) => i * size);
    const sort = layout.sortBytes;
    order.sort((a, b) => raw.compare(raw, b, b + sort, a, a + sort));
    const out = Buffer.allocUnsafe(n * size);
    order.forEach((from, i) => raw.copy(out, i * size, from, from + size));
    return out;
  }
}

/** A sorted run file: header (magic, count), entries, then one u32 fence per block. */
class Run<E extends TagIndexEntry> {
  private constructor(
    private readonly layout: TagIndexLayout<E>,
    readonly name: string,
    readonly level: number,
    readonly count: number,
    private readonly handle: FileHandle,
    private readonly fences: Uint32Array,
  ) {}

  get bytes(): number {
    return RUN_HEADER + this.count * this.layout.entryBytes + this.fences.length * 4;
  }

  get fenceBytes(): number {
    return this.fences.byteLength;
  }

  static async open<E extends TagIndexEntry>(layout: TagIndexLayout<E>, dir: string, name: string, level: number): Promise<Run<E>> {
    const handle = await open(path.join(dir, name), 'r');
    try {
      const header = Buffer.alloc(RUN_HEADER);
      await handle.read(header, 0, RUN_HEADER, 0);
      const count = header.readUInt32BE(8);
      const blocks = Math.ceil(count / blockEntries(layout));
      const { size } = await handle.stat();
      if (header.toString('latin1', 0, 8) !== layout.magic || size !== RUN_HEADER + count * layout.entryBytes + blocks * 4) throw new Error(`${name} is not a whole run file`);
      const raw = Buffer.alloc(blocks * 4);
      await handle.read(raw, 0, raw.length, RUN_HEADER + count * layout.entryBytes);
      const fences = new Uint32Array(blocks);
      for (let b = 0; b < blocks; b++) fences[b] = raw.readUInt32BE(b * 4);
      return new Run(layout, name, level, count, handle, fences);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Adds every entry under `key` to `out`: one block read, more when the key straddles blocks. */
  find(key: Buffer, out: E[], scratch: Buffer): void {
    const { fences, layout } = this;
    const size = layout.entryBytes;
    const perBlock = blockEntries(layout);
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
      const first = b * perBlock;
      const n = Math.min(perBlock, this.count - first);
      readSync(this.handle.fd, scratch, 0, n * size, RUN_HEADER + first * size);
      let l = 0;
      let h = n;
      while (l < h) {
        const mid = (l + h) >>> 1;
        if (scratch.compare(key, 0, 16, mid * size, mid * size + 16) < 0) l = mid + 1;
        else h = mid;
      }
      let i = l;
      for (; i < n && scratch.compare(key, 0, 16, i * size, i * size + 16) === 0; i++) out.push(layout.read(scratch, i * size));
      // The key may go on in the next block only if this one ended inside it.
      if (i < n || b + 1 >= fences.length || fences[b + 1]! > prefix) return;
    }
  }

  /** A source of this run's entries for a merge, read in chunks. */
  source(): MergeSource {
    const size = this.layout.entryBytes;
    const chunk = Math.floor(CHUNK_BYTES / size);
    let next = 0;
    const buffer = Buffer.allocUnsafe(chunk * size);
    const source: MergeSource = {
      buffer,
      position: 0,
      end: 0,
      refill: async () => {
        const n = Math.min(chunk, this.count - next);
        if (n <= 0) return false;
        const { bytesRead } = await this.handle.read(buffer, 0, n * size, RUN_HEADER + next * size);
        if (bytesRead !== n * size) throw new Error(`${this.name} ended early`);
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

/** Entries per block: as many as fit in 4,080 bytes (102 of HL7's 40-byte entries). */
function blockEntries(layout: TagIndexLayout<TagIndexEntry>): number {
  return Math.floor(BLOCK_BYTES / layout.entryBytes);
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
 * (the same record caught up twice), the entries `keep` refuses and a key's entries past
 * `maxPerKey`. Returns its entry count.
 */
async function writeRun(layout: TagIndexLayout<TagIndexEntry>, dir: string, name: string, inputs: readonly MergeSource[], keep: (buffer: Buffer, offset: number) => boolean, maxPerKey: number): Promise<number> {
  const size = layout.entryBytes;
  const sort = layout.sortBytes;
  const perBlock = blockEntries(layout);
  const temp = path.join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  let count = 0;
  try {
    const out = Buffer.allocUnsafe(Math.floor(CHUNK_BYTES / size) * size);
    let used = 0;
    let position = RUN_HEADER;
    const fences: number[] = [];
    const last = Buffer.alloc(sort);
    let hasLast = false;
    let sameKey = 0;
    const heads: MergeSource[] = [];
    for (const input of inputs) if (input.position < input.end || (await input.refill())) heads.push(input);
    while (heads.length > 0) {
      let m = 0;
      for (let i = 1; i < heads.length; i++) {
        const a = heads[i]!;
        const b = heads[m]!;
        if (a.buffer.compare(b.buffer, b.position, b.position + sort, a.position, a.position + sort) < 0) m = i;
      }
      const head = heads[m]!;
      const at = head.position;
      if (!(hasLast && head.buffer.compare(last, 0, sort, at, at + sort) === 0) && keep(head.buffer, at)) {
        const continues = hasLast && head.buffer.compare(last, 0, 16, at, at + 16) === 0;
        sameKey = continues ? sameKey + 1 : 1;
        if (sameKey <= maxPerKey) {
          if (count % perBlock === 0) fences.push(head.buffer.readUInt32BE(at));
          head.buffer.copy(out, used, at, at + size);
          head.buffer.copy(last, 0, at, at + sort);
          hasLast = true;
          used += size;
          count++;
          if (used === out.length) {
            await handle.write(out, 0, used, position);
            position += used;
            used = 0;
          }
        }
      }
      head.position += size;
      if (head.position >= head.end && !(await head.refill())) heads.splice(m, 1);
    }
    if (used > 0) await handle.write(out, 0, used, position);
    const tail = Buffer.allocUnsafe(fences.length * 4);
    fences.forEach((fence, i) => tail.writeUInt32BE(fence, i * 4));
    await handle.write(tail, 0, tail.length, RUN_HEADER + count * size);
    const header = Buffer.alloc(RUN_HEADER);
    header.write(layout.magic, 0, 8, 'latin1');
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
  /** The journal the runs were made from (journalIdentity); absent in manifests of earlier versions. */
  readonly journal?: string;
  readonly lastSeq: number;
  readonly next: number;
  readonly runs: readonly { readonly name: string; readonly level: number }[];
}

function parseManifest(text: string, keyId: string): Manifest | null {
  try {
    const value = JSON.parse(text) as Partial<Manifest>;
    if (value.journal !== undefined && !(typeof value.journal === 'string' && JOURNAL_ID.test(value.journal))) return null;
    if (value.v !== 1 || value.keyId !== keyId || !Number.isSafeInteger(value.lastSeq) || !Number.isSafeInteger(value.next) || !Array.isArray(value.runs)) return null;
    for (const run of value.runs) if (typeof run?.name !== 'string' || !RUN_NAME.test(run.name) || !Number.isSafeInteger(run.level) || run.level < 1) return null;
    return value as Manifest;
  } catch {
    return null;
  }
}

export class TagIndex<E extends TagIndexEntry> {
  private active = new Memtable<E>();
  private frozen: Memtable<E> | null = null;
  /** runs[level], level ≥ 1. */
  private runs: Array<Run<E> | undefined> = [];
  /** Seqs erased (or found stale) whose entries may still be in run files: ignored until compacted away. */
  private readonly forgotten = new Set<number>();
  private lastSeq = 0;
  private maxSeq = 0;
  /** The journal's identity (journalIdentity); null while it has no record. */
  private journalId: string | null = null;
  /** The newest journal record read by a catch-up, tagged or not. */
  private readThrough = 0;
  private nextRun = 1;
  private jobs: Promise<void> = Promise.resolve();
  private compactionWanted = false;
  private closed = false;
  /** Set once close() (or a failed open) waited for the last job: no job starts after it. */
  private finished = false;
  /** A job (flush, compaction) is running. */
  private running = false;
  /** Writes that failed in a row (0: the last one went through), when the last try began or failed, the retry's timer. */
  private writeFailures = 0;
  private lastTryAt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly retry: TagIndexWriteRetry;
  /** Appends in flight (tickets), by the epoch they began in (see flush). */
  private epoch = 0;
  private readonly openTickets = new Map<number, number>();
  private openCount = 0;
  private ticketWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  private readonly scratch: Buffer;
  private readonly probe = Buffer.allocUnsafe(16);

  private constructor(private readonly options: TagIndexOptions<E>) {
    this.scratch = Buffer.allocUnsafe(blockEntries(options.layout) * options.layout.entryBytes);
    this.retry = { ...DEFAULT_WRITE_RETRY, ...options.writeRetry };
  }

  /** An index in memory only (dir null): nothing is read or written. */
  static inMemory<E extends TagIndexEntry>(options: Omit<TagIndexOptions<E>, 'dir'>): TagIndex<E> {
    return new TagIndex({ ...options, dir: null });
  }

  /**
   * Opens the index in `options.dir` (created, mode 0700): loads the manifest's runs and catches up
   * from the journal after its lastSeq, or rebuilds from the whole journal when there is no usable
   * manifest (or it is ahead of the journal). `rebuilt`: the whole journal was read.
   */
  static async open<E extends TagIndexEntry>(options: TagIndexOptions<E> & { readonly dir: string; readonly journal: TagIndexJournal }): Promise<{ readonly index: TagIndex<E>; readonly rebuilt: boolean; readonly caughtUp: number }> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const index = new TagIndex(options);
    try {
      index.journalId = await index.journalIdentity();
      let loaded = await index.load();
      await index.removeLeftovers();
      let caughtUp: number;
      const from = index.lastSeq;
      try {
        caughtUp = await index.catchUp(from);
      } catch (error) {
        // A manifest ahead of the journal (a journal restored or replaced): start over from it.
        if ((error as { code?: unknown }).code !== 'E_INVALID' || !loaded) throw error;
        options.log?.warn({ lastSeq: from }, `${options.name}: ahead of the journal; rebuilding from the journal`);
        await index.dropRuns();
        loaded = false;
        caughtUp = await index.catchUp(0);
      }
      // A long catch-up (a rebuild, a restart after a crash) is written out now, with lastSeq at the
      // last record read: nothing is in flight yet, so every tagged record up to it is in the runs.
      if (index.readThrough - from >= CHECKPOINT_RECORDS) await index.checkpoint(index.readThrough);
      return { index, rebuilt: !loaded, caughtUp };
    } catch (error) {
      await index.abandon();
      throw error;
    }
  }

  /** Every entry under `key` (memtables first, newest first there; then runs by level), live ones only. */
  lookup(key: string): E[] {
    const found: E[] = [];
    this.active.collect(key, found);
    this.frozen?.collect(key, found);
    if (this.runs.length > 0) {
      this.probe.write(key, 0, 16, this.options.layout.keyEncoding);
      for (const run of this.runs) run?.find(this.probe, found, this.scratch);
    }
    const horizon = day(this.options.now()) - this.options.retentionDays;
    return found.filter((entry) => (entry.day === undefined || entry.day >= horizon) && !this.forgotten.has(entry.seq));
  }

  /**
   * The journal record `seq` (to confirm a hit against), null when the journal has none there
   * (erased records are tombstones without tags), undefined when it could not be read (then
   * trust the index).
   */
  async record(seq: number): Promise<JournalRecord | null | undefined> {
    const journal = this.options.journal;
    if (journal === null) return undefined;
    try {
      const record = (await journal.read({ after: seq - 1, limit: 1 })).records[0];
      return record?.seq === seq ? record : null;
    } catch (error) {
      // Past the journal's end: the record is not there. Anything else: trust the index.
      return (error as { code?: unknown }).code === 'E_INVALID' ? null : undefined;
    }
  }

  /**
   * Holds a place in memory for one append. Call it just before the journal append begins and
   * remember the entry once the append resolved (durable). Waits first while memory is full and
   * the frozen memtable is being written out (backpressure, rarely). `places`: the entries the
   * append will remember (a device report's readings; at most memoryEntries count).
   */
  async reserve(places = 1): Promise<TagIndexTicket<E>> {
    if (this.closed) throw new Error(`The ${this.options.name} is closed.`);
    const held = Math.max(1, Math.min(Math.floor(places), this.options.memoryEntries));
    // While writes fail, an append waits for room until then, and is refused after (see TagIndexWriteRetry).
    let deadline: number | null = null;
    // Every append in flight holds places in memory for its entries, and memory holds at most two
    // memtables' worth (the active one, the one being written out).
    while (this.active.entries + (this.frozen?.entries ?? 0) + this.openCount + held > 2 * this.options.memoryEntries) {
      if (this.options.dir !== null && this.frozen === null && this.active.entries > 0) {
        // Nothing being written out: the active memtable goes, else a large reservation could wait for ever.
        this.freeze();
        void this.schedule();
      } else if (this.frozen !== null && !this.running && this.writeFailures > 0 && Date.now() - this.lastTryAt >= this.retry.firstDelayMs) {
        // The last flush failed and nothing runs: try it again now rather than at its timer (once,
        // however many appends wait: the try is stamped now).
        this.lastTryAt = Date.now();
        this.cancelRetry();
        void this.schedule();
      }
      if (this.writeFailures > 0) {
        deadline ??= Date.now() + this.retry.maxWaitMs;
        if (Date.now() >= deadline) {
          throw new Error(`The ${this.options.name} cannot write to disk (${this.writeFailures} attempts failed; disk full or failing?): nothing was stored, the sender should resend later.`);
        }
      }
      await this.roomOrTimeout(deadline === null ? null : deadline - Date.now());
      if (this.closed) throw new Error(`The ${this.options.name} is closed.`);
    }
    const epoch = this.epoch;
    this.openTickets.set(epoch, (this.openTickets.get(epoch) ?? 0) + 1);
    this.openCount += held;
    let open = true;
    return {
      remember: (key, entry) => {
        if (open) this.insert(key, entry);
      },
      release: () => {
        if (!open) return;
        open = false;
        const left = this.openTickets.get(epoch)! - 1;
        if (left === 0) this.openTickets.delete(epoch);
        else this.openTickets.set(epoch, left);
        this.openCount -= held;
        for (const wake of this.ticketWaiters.splice(0)) wake();
        for (const wake of this.roomWaiters.splice(0)) wake();
      },
    };
  }

  /** Forgets the entries of these journal records (an erasure made them tombstones). */
  async forget(seqs: Iterable<number>): Promise<void> {
    const set = new Set(seqs);
    if (set.size === 0) return;
    this.active.remove(set);
    this.frozen?.remove(set);
    // Closing or closed: no merge starts on run files being closed. Entries left in them are harmless:
    // every hit is confirmed against the journal record it names, a tombstone after an erasure.
    if (this.options.dir === null || this.closed) return;
    // Run files (and a memtable being written out right now) may hold them: ignored, then compacted away.
    for (const seq of set) this.forgotten.add(seq);
    this.compactionWanted = true;
    await this.schedule();
  }

  stats(): TagIndexStats {
    const runs = this.runs.filter((run): run is Run<E> => run !== undefined);
    const memoryEntries = this.active.entries + (this.frozen?.entries ?? 0);
    const fenceBytes = runs.reduce((sum, run) => sum + run.fenceBytes, 0);
    return {
      entries: memoryEntries + runs.reduce((sum, run) => sum + run.count, 0),
      memoryEntries,
      memoryLimitEntries: 2 * this.options.memoryEntries,
      fenceBytes,
      memoryBytes: memoryEntries * this.options.layout.memoryEntryBytes + fenceBytes + this.scratch.length,
      runs: runs.length,
      diskBytes: runs.reduce((sum, run) => sum + run.bytes, 0),
      lastSeq: this.lastSeq,
    };
  }

  /** Writes what memory holds to disk (lastSeq to the newest entry) and closes the run files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelRetry();
    for (const wake of this.roomWaiters.splice(0)) wake();
    while (this.openCount > 0) await new Promise<void>((resolve) => this.ticketWaiters.push(resolve));
    // Every append through reserve() is remembered now and no other can begin, so every tagged
    // record the journal holds is in memory or in the runs: lastSeq goes to the journal's end.
    if (this.options.dir !== null) await this.checkpoint(Math.max(this.readThrough, this.options.journal?.lastSeq ?? 0));
    await this.jobs;
    this.finished = true;
    this.cancelRetry();
    await this.closeRuns();
  }

  // -- open ------------------------------------------------------------------------------------

  /** Loads the manifest's runs (false when there is none usable). */
  private async load(): Promise<boolean> {
    const dir = this.options.dir!;
    let manifest: Manifest | null = null;
    try {
      manifest = parseManifest(await readFile(path.join(dir, MANIFEST), 'utf8'), this.options.keyId);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (manifest === null) return false;
    if (manifest.journal !== undefined && this.journalId !== null && manifest.journal !== this.journalId) {
      this.options.log?.warn({}, `${this.options.name}: its files were made from another journal (a vault restored or replaced); rebuilding from the journal`);
      return false;
    }
    try {
      for (const { name, level } of manifest.runs) this.runs[level] = await Run.open(this.options.layout, dir, name, level);
    } catch (error) {
      this.options.log?.warn({ error: error instanceof Error ? error.message : String(error) }, `${this.options.name}: a run file is damaged; rebuilding from the journal`);
      await this.dropRuns();
      return false;
    }
    this.lastSeq = manifest.lastSeq;
    this.maxSeq = manifest.lastSeq;
    this.nextRun = manifest.next;
    if (manifest.journal === undefined && this.journalId !== null) {
      // An earlier version's manifest: adopted, and named at once (else only at the next write-out).
      try {
        await this.writeManifest(this.lastSeq, this.runs);
      } catch (error) {
        this.options.log?.warn({ error: error instanceof Error ? error.message : String(error) }, `${this.options.name}: could not name its journal in the manifest yet`);
      }
    }
    return true;
  }

  /**
   * Tells journals apart: a hash of the first record's seq and time. A journal keeps them for
   * ever (an erasure leaves a tombstone with the same seq and time; a restore brings the same
   * journal back, shorter maybe), another vault's journal began at another millisecond. Null while
   * the journal has no record.
   */
  private async journalIdentity(): Promise<string | null> {
    const journal = this.options.journal;
    if (journal === null) return null;
    const first = (await journal.read({ after: 0, limit: 1 })).records[0];
    return first === undefined ? null : createHash('sha256').update(`tag-index journal/v1\0${first.seq}\0${first.at}`).digest('hex').slice(0, 16);
  }

  /** Run files the manifest does not name (a merge a crash interrupted): removed. */
  private async removeLeftovers(): Promise<void> {
    const dir = this.options.dir!;
    const live = new Set(this.runs.filter((run) => run !== undefined).map((run) => run.name));
    for (const name of await readdir(dir)) {
      if ((RUN_NAME.test(name) && !live.has(name)) || name.endsWith('.tmp')) await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }

  private async closeRuns(): Promise<void> {
    for (const run of this.runs) await run?.close();
    this.runs = [];
  }

  private async dropRuns(): Promise<void> {
    await this.closeRuns();
    this.lastSeq = 0;
    this.maxSeq = 0;
    await unlink(path.join(this.options.dir!, MANIFEST)).catch(() => undefined);
    await this.removeLeftovers();
  }

  /** Reads the journal's tagged records after `after` into the index. Returns how many. */
  private async catchUp(after: number): Promise<number> {
    const journal = this.options.journal!;
    let caught = 0;
    for (let cursor = after; ; ) {
      const page = await journal.read({ after: cursor, limit: 10_000 });
      for (const record of page.records) {
        if (record.seq > this.readThrough) this.readThrough = record.seq;
        const folded = record.dedupe === undefined ? null : this.options.fold(record);
        if (folded !== null) {
          if (isFoldList(folded)) for (const one of folded) this.insert(one.key, one.entry);
          else this.insert(folded.key, folded.entry);
          caught++;
        }
        // Memory stays bounded while catching up too: wait for the memtable being written out.
        if (this.frozen !== null && this.active.entries >= this.options.memoryEntries) await this.writtenOut();
      }
      if (page.end || page.nextCursor === cursor) break;
      cursor = page.nextCursor;
    }
    return caught;
  }

  /**
   * At open: waits until the memtable being written out is. A failed flush is tried again a few
   * times (TagIndexWriteRetry.openAttempts), then the open fails: its channel reports the error
   * rather than attaching with the journal piling up in memory.
   */
  private async writtenOut(): Promise<void> {
    await this.jobs;
    for (let attempt = 1; this.frozen !== null; attempt++) {
      if (attempt >= this.retry.openAttempts) {
        throw new Error(`The ${this.options.name} cannot write to disk (${this.writeFailures} attempts failed; disk full or failing?): it could not be opened, so its channel does not receive until the disk is fixed and the vault is opened again.`);
      }
      this.cancelRetry();
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (attempt - 1))));
      await this.schedule();
    }
  }

  /** An open that failed: nothing runs or stays open after it. */
  private async abandon(): Promise<void> {
    this.closed = true;
    this.cancelRetry();
    await this.jobs;
    this.finished = true;
    this.cancelRetry();
    await this.closeRuns();
  }

  // -- writes ----------------------------------------------------------------------------------

  /**
   * Writes the memtables out and the manifest with lastSeq at `through` (or the newest entry).
   * Only while no append is in flight (at open, at close): every tagged record up to `through` is
   * then in memory, so in the runs once they are written.
   */
  private async checkpoint(through: number): Promise<void> {
    // A flush may be running: then the active memtable goes in a second one.
    for (let round = 0; round < 2 && (this.frozen !== null || this.active.entries > 0); round++) {
      if (this.frozen === null) this.freeze();
      await this.schedule();
    }
    // In the job chain: after any compaction still running, before any asked for later.
    this.jobs = this.jobs.then(async () => {
      const lastSeq = Math.max(through, this.maxSeq);
      if (lastSeq <= this.lastSeq || this.frozen !== null || this.active.entries > 0) return;
      try {
        await this.writeManifest(lastSeq, this.runs);
      } catch (error) {
        // The runs stay as they are; the next open reads the journal from the older lastSeq.
        this.options.log?.error({ error: error instanceof Error ? error.message : String(error) }, `${this.options.name}: could not write its manifest`);
      }
    });
    await this.jobs;
  }

  private insert(key: string, entry: E): void {
    this.active.add(key, entry);
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
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
    if (this.options.dir === null || this.finished) return Promise.resolve();
    this.jobs = this.jobs.then(async () => {
      this.running = true;
      try {
        if (this.frozen !== null) await this.flush();
        if (this.compactionWanted) await this.compact();
        this.writeFailures = 0;
      } catch (error) {
        // The memtable stays in memory and is searched (forgotten seqs stay ignored); it is written out, or compacted, at the next try.
        this.writeFailures++;
        this.lastTryAt = Date.now();
        this.options.log?.error({ error: error instanceof Error ? error.message : String(error), failures: this.writeFailures }, `${this.options.name}: could not write to disk; entries stay in memory and it is tried again`);
        this.retryLater();
      } finally {
        this.running = false;
        for (const wake of this.roomWaiters.splice(0)) wake();
      }
    });
    return this.jobs;
  }

  /**
   * After a failed flush or compaction (the one `forget` asks for: without it the forgotten entries
   * would come back from the old run files at the next open): tries it again after a delay growing
   * with the failures in a row. Never once closing.
   */
  private retryLater(): void {
    if (this.closed || (this.frozen === null && !this.compactionWanted) || this.retryTimer !== null) return;
    const { firstDelayMs, maxDelayMs } = this.retry;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(this.writeFailures - 1, 20));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.schedule();
    }, delay);
    // A retry does not keep the process alive (close writes out what it can).
    this.retryTimer.unref();
  }

  private cancelRetry(): void {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Waits for a wake (a job finished, a place given back), or at most `ms` when given. */
  private roomOrTimeout(ms: number | null): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === null ? null : setTimeout(resolve, Math.max(0, ms));
      this.roomWaiters.push(() => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Waits until every ticket taken before the last freeze has been released. */
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
    const merged = this.runs.slice(1, level + 1).filter((run): run is Run<E> => run !== undefined);
    await this.replace(level, [memorySource(frozen.sorted(this.options.layout)), ...merged.map((run) => run.source())], merged, lastSeq);
    this.frozen = null;
  }

  /** Merges every run into one at the deepest level, dropping forgotten and expired entries. */
  private async compact(): Promise<void> {
    this.compactionWanted = false;
    const merged = this.runs.filter((run): run is Run<E> => run !== undefined);
    const done = new Set(this.forgotten);
    try {
      if (merged.length > 0) await this.replace(Math.max(1, this.runs.length - 1), merged.map((run) => run.source()), merged, this.lastSeq);
    } catch (error) {
      // Still wanted: the forgotten entries are in the run files (see retryLater).
      this.compactionWanted = true;
      throw error;
    }
    for (const seq of done) this.forgotten.delete(seq);
  }

  /** Writes one new run at `level` from `inputs`, replacing the runs `merged`, and installs it. */
  private async replace(level: number, inputs: readonly MergeSource[], merged: readonly Run<E>[], lastSeq: number): Promise<void> {
    const dir = this.options.dir!;
    const { layout } = this.options;
    const name = `run-${this.nextRun++}.hdx`;
    const horizon = day(this.options.now()) - this.options.retentionDays;
    const dayAt = layout.dayAt?.bind(layout);
    const keep = (buffer: Buffer, offset: number): boolean => (dayAt === undefined || dayAt(buffer, offset) >= horizon) && !this.forgotten.has(layout.seqAt(buffer, offset));
    const count = await writeRun(layout, dir, name, inputs, keep, this.options.maxPerKey ?? Number.POSITIVE_INFINITY);
    const runs = [...this.runs];
    for (const run of merged) runs[run.level] = undefined;
    const written = count > 0 ? await Run.open(layout, dir, name, level) : undefined;
    runs[level] = written;
    if (count === 0) await unlink(path.join(dir, name));
    try {
      await this.writeManifest(lastSeq, runs);
    } catch (error) {
      // No manifest names the new run: it goes (the old runs stay in use), not left open until the next open.
      await written?.close().catch(() => undefined);
      if (written !== undefined) await unlink(path.join(dir, name)).catch(() => undefined);
      throw error;
    }
    this.runs = runs;
    this.lastSeq = lastSeq;
    for (const run of merged) {
      await run.close();
      await unlink(path.join(dir, run.name)).catch(() => undefined);
    }
  }

  private async writeManifest(lastSeq: number, runs: ReadonlyArray<Run<E> | undefined>): Promise<void> {
    const dir = this.options.dir!;
    // Opened on an empty journal: named by its first record once it has one (a journal that cannot
    // be read now, closing maybe, is named at a later write; the manifest is written all the same).
    if (this.journalId === null) this.journalId = await this.journalIdentity().catch(() => null);
    const manifest: Manifest = {
      v: 1,
      keyId: this.options.keyId,
      ...(this.journalId === null ? {} : { journal: this.journalId }),
      lastSeq,
      next: this.nextRun,
      runs: runs.filter((run): run is Run<E> => run !== undefined).map((run) => ({ name: run.name, level: run.level })),
    };
    await writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest));
    this.lastSeq = lastSeq;
  }
}
