import { hash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeEnvelopeHeader, EnvelopeError, GCM_TAG_LENGTH } from '../../shared/crypto/envelope-format';
import type { Logger } from '../logging/logger';
import {
  ERASED_KIND,
  frame,
  frameSize,
  FrameWindow,
  inlineObjectProblem,
  JOURNAL_KIND_PATTERN,
  JOURNAL_MAGIC,
  MAX_INLINE_OBJECT_BYTES,
  MAX_KIND_LENGTH,
  MAX_NOTE_KEYS,
  MAX_RECORD_BYTES,
  MAX_DEDUPE_TAG_LENGTH,
  DEDUPE_TAG_PATTERN,
  encodeRecordTailV2,
  encodeRecordV2,
  JOURNAL_MAGIC_V1,
  MAX_ACTOR_BYTES,
  OPERATOR_PATTERN,
  readFrame,
  REPAIRED_KIND,
  RESERVED_KIND_PREFIX,
  scanJournal,
  type JournalFormat,
  type JournalRecord,
} from './journal-format';
import { InlineIndex, type InlineIndexStats } from './inline-index';
import { isObjectId } from './object-store';
import { StorageError, toStorageError } from './storage-errors';
import { nodeStorageFs, writeFully, type StorageFile, type StorageFs } from './storage-fs';
import { JOURNAL_FILE_NAME } from './vault-layout';

export type { JournalRecord } from './journal-format';

/** What a caller appends; the journal adds `seq` and `at`. */
export interface JournalEntry {
  /** A short plaintext category (`intake.demo`, `view.access`): counted by vault:check, never PHI. */
  readonly kind: string;
  /** The acting operator's pseudonymous id, or null for the system. */
  readonly operator?: string | null;
  /** Ids of the sealed objects this event refers to. */
  readonly objects?: readonly string[];
  /** The sealed metadata: an envelope of kind journalMetadata, as bytes or base64url. */
  readonly meta?: Uint8Array | string | null;
  /** A few plaintext numbers (counts, sizes); keys are short words. */
  readonly note?: Readonly<Record<string, number>>;
  /**
   * Small sealed objects (envelopes of kind `object`, at most MAX_INLINE_OBJECT_BYTES each) kept
   * inside this record: durable with it, in the same fdatasync, and erased with it. Each one's id,
   * the SHA-256 of its bytes, must be listed in `objects`. Read them back through VaultObjects.
   */
  readonly inline?: readonly Uint8Array[];
  /**
   * A channel's duplicate tag (keyed hashes and an answer code, never content): kept in clear so
   * the body can rebuild its duplicate index from the journal; dropped by an erasure's tombstone.
   */
  readonly dedupe?: string;
  /**
   * Who made a mind event as the body saw it: JSON {v: 1, operatorId} sealed to the intake key as
   * a journalMetadata envelope, bytes or base64url (journal-format.ts; only `journal.append` writes
   * one). Never the account id in clear.
   */
  readonly actor?: Uint8Array | string;
}

export interface AppendResult {
  readonly seq: number;
  /** Byte offset of the record's frame in the journal file. */
  readonly offset: number;
}

export interface JournalOpenResult {
  /** Valid records found at open (before any repair record). */
  readonly records: number;
  readonly lastSeq: number;
  /** Set when open cut off a torn tail (and appended a `journal.repaired` record saying so). */
  readonly repairedTornTail: { readonly truncatedBytes: number; readonly offset: number } | null;
}

export interface JournalReadOptions {
  /** Return records with seq > after (0 = from the start): the mind's stored cursor. */
  readonly after: number;
  /** At most this many records (1 … 10,000). */
  readonly limit: number;
  /** Stop once this many body bytes are gathered (at least one record is always returned). */
  readonly maxBytes?: number;
}

export interface JournalReadResult {
  readonly records: readonly JournalRecord[];
  /** The seq of the last record returned (or `after` if none): pass it as `after` next time. */
  readonly nextCursor: number;
  /** True when nothing durable lies beyond nextCursor. */
  readonly end: boolean;
}

export interface JournalOptions {
  readonly fs?: StorageFs;
  /** Appends waiting to be written, in bytes, before callers wait (backpressure). */
  readonly maxPendingBytes?: number;
  /** Keep the offset of every Nth record in memory for cursor reads. */
  readonly indexEvery?: number;
  /** Inline object index entries kept in memory before they go to a run file (see InlineIndex). */
  readonly inlineMemoryEntries?: number;
}

export interface JournalStats {
  /** Group commits that reached disk (one write and one fdatasync each). */
  readonly batches: number;
  readonly records: number;
  readonly largestBatch: number;
}

export interface JournalRewriteResult {
  /** Records that became `erased` tombstones (records already erased are not counted). */
  readonly erased: number;
  /**
   * Of `protectedObjects`, those a record that stays readable still refers to. When this is not
   * empty the rewrite was abandoned and the journal is unchanged. Inline objects of the erased
   * records count as protected too: their bytes go with the record, so a record that stays may
   * not refer to them.
   */
  readonly stillReferenced: readonly string[];
  /** Ids of the inline objects whose bytes the rewrite removed (they were in erased records). */
  readonly droppedInline: readonly string[];
}

/** A stable view of the journal's durable bytes (see Journal.withSnapshot). */
export interface JournalSnapshot {
  /** Bytes of the journal file that were durable when the snapshot began (magic included). */
  readonly size: number;
  readonly lastSeq: number;
  /** Positional read inside [0, size). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
}

export const MAX_READ_LIMIT = 10_000;
/** Temp files of a rewrite, in the journal folder (same filesystem, so the rename is atomic). */
const REWRITE_TEMP = /^journal\.hdj\.rewrite-[0-9a-f]{16}\.tmp$/;
const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
const DEFAULT_INDEX_EVERY = 256;
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

interface Pending {
  readonly kind: string;
  /**
   * Version 1: the record's JSON after `"at":"…",`, closing brace included. Version 2: the body
   * after seq and at (encodeRecordTailV2).
   */
  readonly tail: string | Buffer;
  readonly bytes: number;
  /** Ids of the objects carried inline, indexed once the record is durable. */
  readonly inlineIds: readonly string[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The vault's append-only journal (design §2): every event lands here first, and an append is
 * acknowledged only after the fdatasync that contains it (intake rule 3). Appends from many
 * callers are group-committed: one writer takes everything queued, numbers it, writes it with one
 * write and one fdatasync, then resolves every caller in seq order.
 */
export class Journal {
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Set when a failed batch could not be rolled back: the file must be reopened (which repairs it). */
  private broken: StorageError | null = null;
  private queue: Pending[] = [];
  private pendingBytes = 0;
  private spaceWaiters: Array<() => void> = [];
  private writerActive = false;
  /** Appends accepted and not yet resolved or rejected; close() waits for them. */
  private unsettled = 0;
  private idleWaiters: Array<() => void> = [];
  private batches = 0;
  private appended = 0;
  private largestBatch = 0;
  private readonly maxPendingBytes: number;
  private readonly indexEvery: number;
  private readonly inlineMemoryEntries: number | undefined;
  private readonly fs: StorageFs;
  /** Set while a rewrite runs: batches and reads wait for it. */
  private exclusive: Promise<void> | null = null;
  private committing = false;
  private activeReads = 0;
  private quietWaiters: Array<() => void> = [];

  private constructor(
    readonly dir: string,
    private file: StorageFile,
    private readonly log: Logger,
    /** Durable end of file: every byte before it is fsynced and belongs to a valid record. */
    private size: number,
    private durableSeq: number,
    /** index[k] = offset of the record with seq k * indexEvery + 1. */
    private readonly index: number[],
    /** Inline object id → offset of the frame of the record carrying it (durable records only). */
    private inlineIndex: InlineIndex,
    options: JournalOptions,
    readonly openResult: JournalOpenResult,
    /** The file's version (journal-format.ts): new journals are version 2; an old one stays version 1. */
    readonly format: JournalFormat,
  ) {
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.indexEvery = options.indexEvery ?? DEFAULT_INDEX_EVERY;
    this.inlineMemoryEntries = options.inlineMemoryEntries;
    this.fs = options.fs ?? nodeStorageFs;
  }

  /**
   * Opens (or creates) `dir/journal.hdj`, verifies every record, and repairs a torn tail left by a
   * crash: truncates to the last good record, fsyncs, and appends a `journal.repaired` record.
   * Damage anywhere else is refused with E_JOURNAL_CORRUPT.
   */
  static async open(dir: string, log: Logger, options: JournalOptions = {}): Promise<Journal> {
    const fs = options.fs ?? nodeStorageFs;
    const indexEvery = options.indexEvery ?? DEFAULT_INDEX_EVERY;
    const filePath = path.join(dir, JOURNAL_FILE_NAME);
    let file: StorageFile;
    try {
      await fs.mkdir(dir);
      file = await fs.open(filePath, 'create', 0o600);
    } catch (error) {
      throw toStorageError(error, dir, 'opening the journal');
    }
    await removeRewriteLeftovers(fs, dir, log);
    let inlineIndex: InlineIndex | null = null;
    try {
      let fileSize = await file.size();
      const index: number[] = [];
      // Derived from the records, so rebuilt here rather than trusted from disk.
      await InlineIndex.removeLeftovers(dir);
      const inline = await InlineIndex.create(dir, { memoryEntries: options.inlineMemoryEntries });
      inlineIndex = inline;
      const scan = await scanJournal(file, fileSize, (record, offset) => {
        if ((record.seq - 1) % indexEvery === 0) index.push(offset);
        if (record.inline === undefined) return;
        for (const id of Object.keys(record.inline)) inline.add(id, offset);
        if (inline.backlogged) return inline.drain();
      });
      if (scan.verdict === 'corrupt') {
        const { offset, kind } = scan.problem!;
        log.error({ offset, problem: kind, records: scan.records }, 'journal damaged; refusing to open');
        throw new StorageError(
          'E_JOURNAL_CORRUPT',
          `The journal in ${dir} is damaged at byte offset ${offset} (${kind})${offset === 0 ? '' : ' and is not a torn tail'}; it was not repaired automatically. Restore the vault folder from a backup.`,
          { folder: dir, offset },
        );
      }
      let repaired: JournalOpenResult['repairedTornTail'] = null;
      if (scan.verdict === 'torn') {
        repaired = { truncatedBytes: fileSize - scan.goodEnd, offset: scan.goodEnd };
        await file.truncate(scan.goodEnd);
        fileSize = scan.goodEnd;
        log.warn({ ...repaired, problem: scan.problem!.kind, lastSeq: scan.lastSeq }, 'journal torn tail truncated');
      }
      if (fileSize === 0) {
        await writeFully(file, JOURNAL_MAGIC, 0);
        fileSize = JOURNAL_MAGIC.length;
      }
      await file.datasync();
      if (scan.fileSize === 0 || repaired !== null) await fs.syncDir(dir);
      const openResult = { records: scan.records, lastSeq: scan.lastSeq, repairedTornTail: repaired };
      await inline.drain();
      const journal = new Journal(dir, file, log, fileSize, scan.lastSeq, index, inline, options, openResult, scan.format);
      if (repaired !== null) {
        await journal.enqueue(REPAIRED_KIND, { operator: null, objects: [], meta: null, note: { truncatedBytes: repaired.truncatedBytes, offset: repaired.offset } });
      }
      log.info({ records: scan.records, lastSeq: journal.lastSeq, inlineObjects: inline.size, repaired: repaired !== null }, 'journal opened');
      inlineIndex = null;
      return journal;
    } catch (error) {
      await inlineIndex?.close().catch(() => undefined);
      await file.close().catch(() => undefined);
      throw toStorageError(error, dir, 'opening the journal');
    }
  }

  /** The seq of the last durable record (0 for an empty journal). */
  get lastSeq(): number {
    return this.durableSeq;
  }

  stats(): JournalStats {
    return { batches: this.batches, records: this.appended, largestBatch: this.largestBatch };
  }

  /** Whether a durable record carries this object inline. */
  hasInline(id: string): boolean {
    return this.inlineIndex.has(id);
  }

  /** How many objects durable records carry inline. */
  get inlineObjects(): number {
    return this.inlineIndex.size;
  }

  /** Ids of every inline object, in no particular order, read from the index's files as it goes. */
  inlineIds(): AsyncIterable<string> {
    return this.inlineIndex.ids();
  }

  /** The inline object index's own figures (memory it holds, runs on disk). */
  inlineIndexStats(): InlineIndexStats {
    return this.inlineIndex.stats();
  }

  /**
   * The bytes of an object a durable record carries inline, or null if none does. Waits for a
   * running rewrite like read() (the record's offset moves with it).
   */
  async readInline(id: string): Promise<Uint8Array | null> {
    if (this.state === 'closed') throw this.closedError();
    if (!this.inlineIndex.has(id)) return null;
    while (this.exclusive !== null) await this.exclusive;
    if ((this.state as Journal['state']) === 'closed') throw this.closedError();
    this.activeReads++;
    try {
      const offset = this.inlineIndex.get(id);
      if (offset === undefined) return null; // erased meanwhile
      const read = await readFrame(new FrameWindow(this.file, this.size, MAX_INLINE_OBJECT_BYTES * 2, this.format), offset);
      const text = read.ok ? read.record.inline?.[id] : undefined;
      if (text === undefined) {
        throw new StorageError('E_JOURNAL_CORRUPT', `The journal in ${this.dir} is damaged at byte offset ${offset}; it changed on disk after it was opened.`, { folder: this.dir, offset });
      }
      return Buffer.from(text, 'base64url');
    } catch (error) {
      throw toStorageError(error, this.dir, 'reading an inline object');
    } finally {
      this.activeReads--;
      this.wakeQuiet();
    }
  }

  /**
   * Appends one record and resolves once it is on disk (after its batch's fdatasync). Rejects
   * with E_INVALID for a bad entry, E_DISK_FULL / E_PERMISSION / E_IO if the batch could not be
   * written (nothing of it was kept), E_CLOSED after close().
   */
  append(entry: JournalEntry): Promise<AppendResult> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    if (typeof entry?.kind !== 'string' || entry.kind.startsWith(RESERVED_KIND_PREFIX) || entry.kind === ERASED_KIND) {
      return Promise.reject(new StorageError('E_INVALID', `Journal kinds starting with "${RESERVED_KIND_PREFIX}" and "${ERASED_KIND}" are written by the journal itself.`));
    }
    return this.enqueue(entry.kind, entry);
  }

  /** Records with seq > after, in seq order, only durable ones; see JournalReadOptions. */
  async read(options: JournalReadOptions): Promise<JournalReadResult> {
    if (this.state === 'closed') throw this.closedError();
    const { after, limit } = options;
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    if (!Number.isSafeInteger(after) || after < 0) throw new StorageError('E_INVALID', 'The journal cursor is a whole number ≥ 0.');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) throw new StorageError('E_INVALID', `A journal read returns 1 to ${MAX_READ_LIMIT} records.`);
    while (this.exclusive !== null) await this.exclusive;
    if ((this.state as Journal['state']) === 'closed') throw this.closedError();
    this.activeReads++;
    try {
      return await this.readRecords(after, limit, maxBytes);
    } finally {
      this.activeReads--;
      this.wakeQuiet();
    }
  }

  private async readRecords(after: number, limit: number, maxBytes: number): Promise<JournalReadResult> {
    const lastSeq = this.durableSeq;
    const end = this.size;
    if (after > lastSeq) {
      throw new StorageError('E_INVALID', `The cursor ${after} is past the journal's last record ${lastSeq}; rebuild the views from the start.`, { folder: this.dir });
    }
    if (after === lastSeq) return { records: [], nextCursor: after, end: true };
    const slot = Math.min(Math.floor(after / this.indexEvery), this.index.length - 1);
    let offset = this.index[slot]!;
    let seq = slot * this.indexEvery + 1;
    const window = new FrameWindow(this.file, end, undefined, this.format);
    const records: JournalRecord[] = [];
    let bytes = 0;
    try {
      // Records between the index entry and the cursor are stepped over by their length only.
      while (seq <= after && offset < end) {
        const size = await frameSize(window, offset);
        if (typeof size !== 'number') {
          throw new StorageError('E_JOURNAL_CORRUPT', `The journal in ${this.dir} is damaged at byte offset ${offset} (${size}); it changed on disk after it was opened.`, { folder: this.dir, offset });
        }
        offset += size;
        seq++;
      }
      while (offset < end && records.length < limit && (records.length === 0 || bytes < maxBytes)) {
        const read = await readFrame(window, offset, seq);
        if (!read.ok) {
          throw new StorageError('E_JOURNAL_CORRUPT', `The journal in ${this.dir} is damaged at byte offset ${offset} (${read.problem}); it changed on disk after it was opened.`, { folder: this.dir, offset });
        }
        if (read.record.seq > after) {
          records.push(read.record);
          bytes += read.frameBytes;
        }
        offset += read.frameBytes;
        seq++;
      }
    } catch (error) {
      throw toStorageError(error, this.dir, 'reading the journal');
    }
    const nextCursor = records.length === 0 ? after : records[records.length - 1]!.seq;
    return { records, nextCursor, end: nextCursor >= lastSeq };
  }

  /**
   * Runs `fn` over the journal's durable bytes as they are now: appends go on meanwhile (the file
   * only grows past `size`), but a rewrite waits until `fn` is done, so the bytes it reads never
   * change. A backup copies exactly `size` bytes and so gets a consistent journal.
   */
  async withSnapshot<T>(fn: (snapshot: JournalSnapshot) => Promise<T>): Promise<T> {
    if (this.state !== 'open') throw this.closedError();
    while (this.exclusive !== null) await this.exclusive;
    this.activeReads++;
    try {
      const file = this.file;
      const size = this.size;
      const snapshot: JournalSnapshot = {
        size,
        lastSeq: this.durableSeq,
        read: (buffer, offset, length, position) => {
          if (position < 0 || position + length > size) return Promise.reject(new StorageError('E_INVALID', 'A snapshot read must stay inside the snapshot.'));
          return file.read(buffer, offset, length, position);
        },
      };
      return await fn(snapshot);
    } finally {
      this.activeReads--;
      this.wakeQuiet();
    }
  }

  /**
   * Compaction for erasure: writes a new journal file in which the records with these seqs are
   * `erased` tombstones (same seq and time; no operator, objects, metadata or dedupe tag) and every other
   * record is copied byte for byte, fsyncs it, renames it over the journal, fsyncs the folder and
   * reopens it. Appends and reads wait meanwhile (they are queued, not refused). Seq continuity is
   * kept, so cursors and vault:check stay valid.
   *
   * With `protectedObjects` (the objects about to be deleted), the rewrite is abandoned, leaving
   * the journal unchanged, if a record that stays readable still refers to one of them.
   *
   * What it does not do: the old file's blocks are freed by the filesystem, not overwritten (their
   * metadata was sealed, so they hold ciphertext only), and copies made earlier (backups) keep
   * the records.
   */
  async rewrite(erase: ReadonlySet<number>, protectedObjects?: ReadonlySet<string>): Promise<JournalRewriteResult> {
    if (this.state !== 'open') throw this.closedError();
    while (this.exclusive !== null) await this.exclusive;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      while (this.committing || this.activeReads > 0) await new Promise<void>((resolve) => this.quietWaiters.push(resolve));
      if (this.broken !== null) throw this.broken;
      for (const seq of erase) {
        if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.durableSeq) {
          throw new StorageError('E_INVALID', `There is no journal record ${seq} to erase (the last is ${this.durableSeq}).`);
        }
      }
      return await this.rewriteFile(erase, protectedObjects);
    } finally {
      this.exclusive = null;
      release();
    }
  }

  private async rewriteFile(erase: ReadonlySet<number>, protectedObjects: ReadonlySet<string> | undefined): Promise<JournalRewriteResult> {
    const filePath = path.join(this.dir, JOURNAL_FILE_NAME);
    const tempPath = path.join(this.dir, `${JOURNAL_FILE_NAME}.rewrite-${randomBytes(8).toString('hex')}.tmp`);
    let temp: StorageFile;
    try {
      temp = await this.fs.open(tempPath, 'createNew', 0o600);
    } catch (error) {
      throw toStorageError(error, this.dir, 'rewriting the journal');
    }
    let tempOpen = true;
    let renamed = false;
    // The offsets move: a new index is built alongside and replaces the old one with the file.
    let inlineIndex: InlineIndex | null = null;
    try {
      inlineIndex = await InlineIndex.create(this.dir, { memoryEntries: this.inlineMemoryEntries });
      const end = this.size;
      const window = new FrameWindow(this.file, end, undefined, this.format);
      const index: number[] = [];
      const staging: Buffer[] = [];
      let staged = 0;
      let position = 0;
      const put = async (bytes: Buffer): Promise<void> => {
        staging.push(bytes);
        staged += bytes.length;
        if (staged >= 1024 * 1024) await flush();
      };
      const flush = async (): Promise<void> => {
        if (staged === 0) return;
        const data = Buffer.concat(staging.splice(0));
        await writeFully(temp, data, position);
        position += data.length;
        staged = 0;
      };
      await put(Buffer.from(this.format === 1 ? JOURNAL_MAGIC_V1 : JOURNAL_MAGIC));
      const referenced = new Set<string>();
      /** Inline objects of erased records: their bytes are dropped. */
      const dropped = new Set<string>();
      /** Objects that kept records refer to but do not carry themselves, if some record carries them inline. */
      const crossReferenced = new Set<string>();
      let erased = 0;
      let offset = JOURNAL_MAGIC.length;
      let seq = 1;
      while (offset < end) {
        const read = await readFrame(window, offset, seq);
        if (!read.ok) {
          throw new StorageError('E_JOURNAL_CORRUPT', `The journal in ${this.dir} is damaged at byte offset ${offset} (${read.problem}); it changed on disk after it was opened.`, { folder: this.dir, offset });
        }
        const { record } = read;
        if ((seq - 1) % this.indexEvery === 0) index.push(position + staged);
        if (erase.has(seq) && record.kind !== ERASED_KIND) {
          erased++;
          if (record.inline !== undefined) for (const id of Object.keys(record.inline)) dropped.add(id);
          const tombstone = { seq, kind: ERASED_KIND, at: record.at, operator: null, objects: [], meta: null };
          const body =
            this.format === 1
              ? Buffer.from(JSON.stringify(tombstone), 'utf8')
              : encodeRecordV2(seq, Date.parse(record.at), encodeRecordTailV2({ kind: ERASED_KIND, operator: null, objects: [], meta: null, inline: [] }));
          await put(frame(body));
        } else {
          if (protectedObjects !== undefined) for (const id of record.objects) if (protectedObjects.has(id)) referenced.add(id);
          for (const id of record.objects) if (record.inline?.[id] === undefined && this.inlineIndex.has(id)) crossReferenced.add(id);
          if (record.inline !== undefined) {
            for (const id of Object.keys(record.inline)) inlineIndex.add(id, position + staged);
            if (inlineIndex.backlogged) await inlineIndex.drain();
          }
          // The view is reused by the window: copy it before the next read.
          await put(Buffer.from(window.view(offset, read.frameBytes)));
        }
        offset += read.frameBytes;
        seq++;
      }
      for (const id of dropped) if (crossReferenced.has(id)) referenced.add(id);
      if (referenced.size > 0) return { erased: 0, stillReferenced: [...referenced].sort(), droppedInline: [] };
      await flush();
      await inlineIndex.drain();
      await temp.datasync();
      await temp.close();
      tempOpen = false;
      await this.fs.rename(tempPath, filePath);
      renamed = true;
      await this.fs.syncDir(this.dir);
      // From here the old handle points at the replaced file: reopen or refuse further appends.
      const old = this.file;
      try {
        this.file = await this.fs.open(filePath, 'readWrite', 0o600);
      } catch (error) {
        this.broken = new StorageError('E_IO', `The journal in ${this.dir} could not be reopened after a rewrite; restart HDMS Node.`, { folder: this.dir }, { cause: error });
        throw this.broken;
      } finally {
        await old.close().catch(() => undefined);
      }
      this.size = position;
      this.index.length = 0;
      this.index.push(...index);
      const oldIndex = this.inlineIndex;
      this.inlineIndex = inlineIndex;
      inlineIndex = null;
      await oldIndex.close().catch((error: unknown) => this.log.warn({ error: (error as Error).message }, 'old inline object index not removed'));
      this.log.info({ erased, droppedInline: dropped.size, lastSeq: this.durableSeq, bytes: position }, 'journal rewritten');
      return { erased, stillReferenced: [], droppedInline: [...dropped].sort() };
    } catch (error) {
      throw toStorageError(error, this.dir, 'rewriting the journal');
    } finally {
      if (tempOpen) await temp.close().catch(() => undefined);
      if (!renamed) await this.fs.unlink(tempPath).catch(() => undefined);
      await inlineIndex?.close().catch(() => undefined);
    }
  }

  private wakeQuiet(): void {
    if (this.committing || this.activeReads > 0) return;
    for (const wake of this.quietWaiters.splice(0)) wake();
  }

  /** Writes everything appended so far, then closes the file. Later appends get E_CLOSED. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    while (this.exclusive !== null) await this.exclusive;
    // Appends made before close, including those waiting for queue space, are written first.
    while (this.unsettled > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    while (this.activeReads > 0) await new Promise<void>((resolve) => this.quietWaiters.push(resolve));
    this.state = 'closed';
    try {
      if (this.broken === null) await this.file.datasync();
    } finally {
      await this.file.close().catch(() => undefined);
      await this.inlineIndex.close().catch((error: unknown) => this.log.warn({ error: (error as Error).message }, 'inline object index not removed'));
    }
    this.log.info({ lastSeq: this.durableSeq, batches: this.batches }, 'journal closed');
  }

  private closedError(): StorageError {
    return new StorageError('E_CLOSED', `The journal in ${this.dir} is closed.`, { folder: this.dir });
  }

  private async enqueue(kind: string, entry: Omit<JournalEntry, 'kind'>): Promise<AppendResult> {
    const { tail, inlineIds } = recordTail(kind, entry, this.format);
    const bytes = tail.length + kind.length + 64;
    if (bytes > MAX_RECORD_BYTES) {
      throw new StorageError('E_INVALID', `A journal record is at most ${MAX_RECORD_BYTES} bytes; refused one of about ${bytes}.`);
    }
    this.unsettled++;
    try {
      while (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes) {
        await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      }
      if (this.broken !== null) throw this.broken;
      return await new Promise<AppendResult>((resolve, reject) => {
        this.queue.push({ kind, tail, bytes, inlineIds, resolve, reject });
        this.pendingBytes += bytes;
        if (!this.writerActive) {
          this.writerActive = true;
          void this.writeLoop();
        }
      });
    } finally {
      this.unsettled--;
      if (this.unsettled === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // A rewrite holds the file: the queue keeps filling and goes out as one batch after it.
        while (this.exclusive !== null) await this.exclusive;
        // One turn of the event loop before taking the batch, so appends made in this turn (the
        // rest of a socket read, answers of an intake worker) share its fdatasync: fewer, larger
        // group commits for the same records (measured: +5–8 % HL7 msg/s with 8 senders).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.queue;
        this.queue = [];
        this.committing = true;
        try {
          await this.commit(batch);
        } catch (error) {
          // commit settles every caller itself; this only guards against a bug leaving them hanging.
          for (const pending of batch) pending.reject(toStorageError(error, this.dir, 'appending to the journal'));
        } finally {
          this.committing = false;
          this.wakeQuiet();
        }
        for (const pending of batch) this.pendingBytes -= pending.bytes;
        for (const wake of this.spaceWaiters.splice(0)) wake();
        // Let the woken callers enqueue before the loop decides it is idle.
        await Promise.resolve();
      }
    } finally {
      this.writerActive = false;
    }
  }

  /** One group commit: one write, one fdatasync; every caller resolved or rejected, never both. */
  private async commit(batch: readonly Pending[]): Promise<void> {
    const start = this.size;
    const atMs = Date.now();
    const at = new Date(atMs).toISOString();
    const frames: Buffer[] = [];
    let seq = this.durableSeq;
    for (const pending of batch) {
      seq++;
      const { tail } = pending;
      frames.push(frame(typeof tail === 'string' ? Buffer.from(`{"seq":${seq},"kind":"${pending.kind}","at":"${at}",${tail}`, 'utf8') : encodeRecordV2(seq, atMs, tail)));
    }
    const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    try {
      if (this.broken !== null) throw this.broken;
      await writeFully(this.file, data, start);
      await this.file.datasync();
    } catch (error) {
      const failure = toStorageError(error, this.dir, 'appending to the journal');
      await this.rollback(start);
      this.log.error({ code: failure.code, osCode: failure.details.osCode, records: batch.length }, 'journal append failed; batch not acknowledged');
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.size = start + data.length;
    this.durableSeq = seq;
    this.batches++;
    this.appended += batch.length;
    this.largestBatch = Math.max(this.largestBatch, batch.length);
    let offset = start;
    seq = seq - batch.length;
    for (let i = 0; i < batch.length; i++) {
      seq++;
      if ((seq - 1) % this.indexEvery === 0) this.index.push(offset);
      // Both memtables full: wait until one is written out (rare; keeps memory bounded however large the batch).
      if (batch[i]!.inlineIds.length > 0 && this.inlineIndex.backlogged) await this.drainInlineIndex();
      for (const id of batch[i]!.inlineIds) this.inlineIndex.add(id, offset);
      batch[i]!.resolve({ seq, offset });
      offset += frames[i]!.length;
    }
  }

  private async drainInlineIndex(): Promise<void> {
    try {
      await this.inlineIndex.drain();
    } catch (error) {
      // Lookups would miss objects: refuse appends until a reopen rebuilds the index.
      this.broken ??= new StorageError('E_IO', `The inline object index of the journal in ${this.dir} could not be written; restart HDMS Node.`, { folder: this.dir }, { cause: error });
      this.log.error({ code: 'E_IO' }, 'inline object index write failed; appends refused until reopen');
    }
  }

  /** Cuts a failed batch off again so the file ends after the last acknowledged record. */
  private async rollback(length: number): Promise<void> {
    if (this.broken !== null) return;
    try {
      await this.file.truncate(length);
      await this.file.datasync();
    } catch (error) {
      this.broken = new StorageError(
        'E_IO',
        `The journal in ${this.dir} could not be restored after a failed write; restart HDMS Node so it repairs the journal at open.`,
        { folder: this.dir },
        { cause: error },
      );
      this.log.error({ code: 'E_IO' }, 'journal rollback failed; appends refused until reopen');
    }
  }
}

/**
 * Validates an entry and renders what follows seq and at: for version 1 the JSON after
 * `"at":"…",` (everything here is ASCII), for version 2 the binary tail.
 */
function recordTail(kind: string, entry: Omit<JournalEntry, 'kind'>, format: JournalFormat): { tail: string | Buffer; inlineIds: string[] } {
  if (typeof kind !== 'string' || kind.length > MAX_KIND_LENGTH || !JOURNAL_KIND_PATTERN.test(kind)) {
    throw new StorageError('E_INVALID', 'A journal kind is a short lowercase category such as "intake.demo".');
  }
  const operator = entry.operator ?? null;
  if (operator !== null && (typeof operator !== 'string' || !OPERATOR_PATTERN.test(operator))) {
    throw new StorageError('E_INVALID', 'An operator id is a pseudonymous id of letters, digits, "-" and "_".');
  }
  const objects = [...(entry.objects ?? [])];
  if (!objects.every(isObjectId)) throw new StorageError('E_INVALID', 'Journal object references are 64-digit lowercase hex object ids.');
  const meta = sealedMetadataBytes(entry.meta ?? null);
  const actor = entry.actor === undefined ? undefined : sealedMetadataBytes(entry.actor, 'A record\'s actor');
  if (actor === null || (actor !== undefined && actor.length > MAX_ACTOR_BYTES)) {
    throw new StorageError('E_INVALID', `A record's actor is a sealed envelope of at most ${MAX_ACTOR_BYTES} bytes.`);
  }
  const note = entry.note;
  if (note !== undefined) {
    const keys = Object.keys(note);
    if (keys.length > MAX_NOTE_KEYS || !keys.every((key) => /^[a-zA-Z][a-zA-Z0-9]{0,31}$/.test(key) && Number.isFinite(note[key]))) {
      throw new StorageError('E_INVALID', `A journal note holds at most ${MAX_NOTE_KEYS} finite numbers under short names.`);
    }
  }
  const dedupe = entry.dedupe;
  if (dedupe !== undefined && (typeof dedupe !== 'string' || dedupe.length > MAX_DEDUPE_TAG_LENGTH || !DEDUPE_TAG_PATTERN.test(dedupe))) {
    throw new StorageError('E_INVALID', `A journal dedupe tag is at most ${MAX_DEDUPE_TAG_LENGTH} characters of base64url words joined by dots.`);
  }
  if (format === 2) {
    if (objects.length > 0xffff) throw new StorageError('E_INVALID', 'A journal record refers to at most 65,535 objects.');
    const inline = checkedInlineObjects(entry.inline, objects);
    const tail = encodeRecordTailV2({
      kind,
      operator,
      ...(dedupe === undefined ? {} : { dedupe }),
      objects,
      ...(note === undefined ? {} : { note }),
      meta,
      inline: inline.map(({ id, bytes }) => ({ index: objects.indexOf(id), bytes })),
      ...(actor === undefined ? {} : { actor }),
    });
    return { tail, inlineIds: inline.map(({ id }) => id) };
  }
  const inline = inlineObjects(entry.inline, objects);
  const tail = JSON.stringify({
    operator,
    ...(dedupe === undefined ? {} : { dedupe }),
    objects,
    meta: meta === null ? null : meta.toString('base64url'),
    ...(note === undefined ? {} : { note: { ...note } }),
    ...(inline === null ? {} : { inline }),
    ...(actor === undefined ? {} : { actor: actor.toString('base64url') }),
  }).slice(1);
  return { tail, inlineIds: inline === null ? [] : Object.keys(inline) };
}

/** The `inline` field of a version-1 record: id → base64url bytes, each checked (hash, header, size, listed). */
function inlineObjects(inline: readonly Uint8Array[] | undefined, objects: readonly string[]): Record<string, string> | null {
  const checked = checkedInlineObjects(inline, objects);
  if (checked.length === 0) return null;
  const out: Record<string, string> = {};
  for (const { id, bytes } of checked) out[id] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  return out;
}

/** A record's inline objects with their ids, each checked (hash, header, size, listed), duplicates once. */
function checkedInlineObjects(inline: readonly Uint8Array[] | undefined, objects: readonly string[]): Array<{ id: string; bytes: Uint8Array }> {
  if (inline === undefined || inline.length === 0) return [];
  if (!Array.isArray(inline)) throw new StorageError('E_INVALID', 'Inline objects are a list of sealed envelopes.');
  const out = new Map<string, Uint8Array>();
  for (const bytes of inline) {
    if (!(bytes instanceof Uint8Array)) throw new StorageError('E_INVALID', 'An inline object must be a sealed envelope.');
    // One-shot hash(): no Hash object per inline object (this runs for every HL7 message).
    const id = hash('sha256', bytes, 'hex');
    const problem = inlineObjectProblem(id, bytes, id);
    if (problem !== null) throw new StorageError('E_INVALID', `Refused an inline object: ${problem}.`);
    if (!objects.includes(id)) throw new StorageError('E_INVALID', 'An inline object must be listed, by its SHA-256, in the record\'s objects.');
    out.set(id, bytes);
  }
  return [...out].map(([id, bytes]) => ({ id, bytes }));
}

/**
 * The bytes of a sealed journalMetadata envelope (given as bytes or base64url text); anything else
 * is refused. Bytes, not text: the binary format stores them as they are, and only version 1 needs
 * the base64url text (a round trip through it cost a few µs per HL7 message).
 */
function sealedMetadataBytes(meta: Uint8Array | string | null, what = 'Journal metadata'): Buffer | null {
  if (meta === null) return null;
  let bytes: Buffer;
  if (typeof meta === 'string') {
    if (!/^[A-Za-z0-9_-]+$/.test(meta)) throw new StorageError('E_INVALID', `${what} must be base64url text of a sealed envelope.`);
    bytes = Buffer.from(meta, 'base64url');
  } else if (meta instanceof Uint8Array) {
    bytes = Buffer.from(meta.buffer, meta.byteOffset, meta.byteLength);
  } else {
    throw new StorageError('E_INVALID', `${what} must be a sealed envelope.`);
  }
  try {
    const header = decodeEnvelopeHeader(bytes);
    if (header.kind !== 'journalMetadata') throw new EnvelopeError('E_ENVELOPE_FORMAT', 'kind');
    if (bytes.length < header.headerLength + GCM_TAG_LENGTH) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'short');
  } catch (error) {
    if (error instanceof EnvelopeError) throw new StorageError('E_INVALID', `${what} must be a sealed envelope of kind journalMetadata (${error.code}).`);
    throw error;
  }
  return bytes;
}

/** Removes temp files of a rewrite a crash interrupted (the journal itself is then the old one, whole). */
async function removeRewriteLeftovers(fs: StorageFs, dir: string, log: Logger): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  let removed = 0;
  for (const name of names) {
    if (!REWRITE_TEMP.test(name)) continue;
    await fs.unlink(path.join(dir, name)).then(() => removed++, () => undefined);
  }
  if (removed > 0) log.warn({ removed }, 'journal rewrite leftovers removed');
}
