import { randomBytes } from 'node:crypto';
import { readSync } from 'node:fs';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where each inline object lives: object id (SHA-256) → byte offset of the journal record that
 * carries it. The journal used to keep this in a Map (~130 bytes per inline object, so the body's
 * memory grew with every stored message); this keeps a bounded part in memory and the rest in
 * sorted run files:
 *
 * - a memtable (Map) of the newest entries, at most `memoryEntries`, plus one frozen memtable
 *   being written out (the journal waits when both are full, so memory stays bounded);
 * - sorted run files of 40-byte entries (id 32 bytes, offset u48 BE after 2 zero bytes) in blocks
 *   of BLOCK_ENTRIES; only the first 4 bytes of each block's first id stay in memory (4 bytes per
 *   102 entries), so a lookup reads at most a block or two per run, synchronously (a few
 *   microseconds from the page cache, like the HL7 duplicate index);
 * - runs are merged pairwise when the newer one is as large as the one before it, so there are
 *   at most log2(entries / memoryEntries) + 1 of them.
 *
 * The index is derived: the journal rebuilds it from its records at every open (the open scan
 * reads every record anyway) and at every rewrite, in a fresh folder of its own. So the run files
 * are never fsynced and need no recovery; a crash leaves a folder the next open removes. The ids
 * and offsets it holds are not PHI (ids are hashes of sealed bytes).
 */

export interface InlineIndexOptions {
  /** Entries per memtable (default 16,384). */
  readonly memoryEntries?: number;
}

export interface InlineIndexStats {
  /** Entries in memory and in runs (an id carried by two records counts twice until a merge). */
  readonly entries: number;
  readonly memoryEntries: number;
  /** The bound on memoryEntries: twice the memtable's size. */
  readonly memoryLimitEntries: number;
  readonly runs: number;
  /** Block fences kept in memory, in bytes. */
  readonly fenceBytes: number;
  /** A rough estimate of the memory the index holds: memtables, fences, buffers. */
  readonly memoryBytes: number;
  /** Bytes of the run files. */
  readonly diskBytes: number;
}

const ENTRY = 40;
const ID = 32;
const BLOCK_ENTRIES = 102;
const BLOCK = ENTRY * BLOCK_ENTRIES;
/** Entries per read and write in a merge (~1 MiB). */
const CHUNK_ENTRIES = BLOCK_ENTRIES * 256;
const DEFAULT_MEMORY_ENTRIES = 16_384;
/** What one memtable entry costs in V8, roughly (Map slot, 64-char key string, number). */
const MEMORY_ENTRY_BYTES = 130;
const FOLDER_PREFIX = 'inline-index-';
const FOLDER = /^inline-index-[0-9a-f]{16}\.tmp$/;

interface Run {
  readonly file: string;
  readonly handle: FileHandle;
  readonly count: number;
  /** First 4 bytes (u32 BE) of the first id of each block. */
  readonly fences: Uint32Array;
}

export class InlineIndex {
  private memtable = new Map<string, number>();
  private frozen: Map<string, number> | null = null;
  /** Oldest first; a newer run wins over an older one for the same id. */
  private runs: Run[] = [];
  /** Background flushes and merges, one after the other. */
  private work: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private nextRun = 0;
  /** Runs merged away but still being listed by ids(): closed when the listing ends. */
  private retired: Run[] = [];
  private pins = 0;
  private mergeBytes = 0;
  private closed = false;
  private readonly key = Buffer.alloc(ID);
  private readonly block = Buffer.alloc(BLOCK);
  private readonly memoryEntries: number;

  private constructor(
    readonly folder: string,
    options: InlineIndexOptions,
  ) {
    this.memoryEntries = options.memoryEntries ?? DEFAULT_MEMORY_ENTRIES;
  }

  /** A new, empty index in a fresh folder under `parent`. */
  static async create(parent: string, options: InlineIndexOptions = {}): Promise<InlineIndex> {
    const folder = path.join(parent, `${FOLDER_PREFIX}${randomBytes(8).toString('hex')}.tmp`);
    await mkdir(folder, { mode: 0o700 });
    return new InlineIndex(folder, options);
  }

  /** Removes index folders a crash left in `parent`; returns how many. */
  static async removeLeftovers(parent: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!FOLDER.test(name)) continue;
      await rm(path.join(parent, name), { recursive: true, force: true }).then(() => removed++, () => undefined);
    }
    return removed;
  }

  /** Records that the journal record at `offset` carries object `id`. */
  add(id: string, offset: number): void {
    if (this.closed) throw new Error('The inline index is closed.');
    this.memtable.set(id, offset);
    if (this.memtable.size >= this.memoryEntries && this.frozen === null) this.freeze();
  }

  /** True when the caller should `await drain()` before adding more (both memtables full). */
  get backlogged(): boolean {
    return this.memtable.size >= this.memoryEntries && this.frozen !== null;
  }

  /** Waits for the background flushes and merges queued so far; rethrows their failure. */
  async drain(): Promise<void> {
    await this.work;
    if (this.failure !== null) throw this.failure;
    // A memtable that filled up while the last flush ran goes out now.
    if (this.memtable.size >= this.memoryEntries && this.frozen === null) {
      this.freeze();
      await this.work;
      if (this.failure !== null) throw this.failure;
    }
  }

  /** The offset of the record carrying `id`, or undefined. Synchronous: at most a block or two per run. */
  get(id: string): number | undefined {
    const recent = this.memtable.get(id) ?? this.frozen?.get(id);
    if (recent !== undefined) return recent;
    if (this.runs.length === 0) return undefined;
    if (this.failure !== null) throw this.failure;
    if (this.key.write(id, 'hex') !== ID) return undefined;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const found = this.findInRun(this.runs[i]!);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  get size(): number {
    let entries = this.memtable.size + (this.frozen?.size ?? 0);
    for (const run of this.runs) entries += run.count;
    return entries;
  }

  stats(): InlineIndexStats {
    const memoryEntries = this.memtable.size + (this.frozen?.size ?? 0);
    let fenceBytes = 0;
    let diskBytes = 0;
    for (const run of this.runs) {
      fenceBytes += run.fences.byteLength;
      diskBytes += run.count * ENTRY;
    }
    return {
      entries: this.size,
      memoryEntries,
      memoryLimitEntries: 2 * this.memoryEntries,
      runs: this.runs.length,
      fenceBytes,
      memoryBytes: memoryEntries * MEMORY_ENTRY_BYTES + fenceBytes + this.key.length + this.block.length + this.mergeBytes,
      diskBytes,
    };
  }

  /**
   * Every id, in no particular order. Reads the runs as they are when it starts (later adds may
   * or may not be seen); ids in memory are copied first, a memtable's worth at most.
   */
  async *ids(): AsyncIterable<string> {
    const recent = [...this.memtable.keys(), ...(this.frozen?.keys() ?? [])];
    const runs = [...this.runs];
    // Merges meanwhile keep the runs read here open until this is done.
    this.pins++;
    try {
      yield* recent;
      const chunk = Buffer.alloc(CHUNK_ENTRIES * ENTRY);
      for (const run of runs) {
        for (let at = 0; at < run.count; at += CHUNK_ENTRIES) {
          const n = Math.min(CHUNK_ENTRIES, run.count - at);
          await readExactly(run.handle, chunk, n * ENTRY, at * ENTRY);
          for (let i = 0; i < n; i++) yield chunk.toString('hex', i * ENTRY, i * ENTRY + ID);
        }
      }
    } finally {
      this.pins--;
      if (this.pins === 0) await this.dropRetired();
    }
  }

  private async dropRetired(): Promise<void> {
    for (const run of this.retired.splice(0)) {
      await run.handle.close().catch(() => undefined);
      await rm(run.file, { force: true });
    }
  }

  /** Waits for the background work, closes the run files and removes the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.work;
    for (const run of [...this.runs, ...this.retired.splice(0)]) await run.handle.close().catch(() => undefined);
    this.runs = [];
    this.memtable.clear();
    this.frozen = null;
    await rm(this.folder, { recursive: true, force: true });
  }

  private freeze(): void {
    const frozen = this.memtable;
    this.frozen = frozen;
    this.memtable = new Map();
    this.schedule(async () => {
      const run = await this.writeRun(frozen);
      this.runs.push(run);
      this.frozen = null;
      await this.compact();
    });
  }

  private schedule(task: () => Promise<void>): void {
    this.work = this.work.then(async () => {
      if (this.failure !== null) return;
      try {
        await task();
      } catch (error) {
        this.failure = new Error(`The inline object index in ${this.folder} could not be written: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  /** Merges the two newest runs while the newer is at least as large as the older (a binary counter). */
  private async compact(): Promise<void> {
    while (this.runs.length >= 2 && this.runs[this.runs.length - 1]!.count >= this.runs[this.runs.length - 2]!.count) {
      const newer = this.runs[this.runs.length - 1]!;
      const older = this.runs[this.runs.length - 2]!;
      const merged = await this.mergeRuns(older, newer);
      // Swapped in one synchronous step: a lookup sees either both inputs or the merged run.
      this.runs.splice(this.runs.length - 2, 2, merged);
      this.retired.push(older, newer);
      if (this.pins === 0) await this.dropRetired();
    }
  }

  private async writeRun(entries: Map<string, number>): Promise<Run> {
    const ids = [...entries.keys()].sort();
    const data = Buffer.alloc(ids.length * ENTRY);
    const fences = new Uint32Array(Math.ceil(ids.length / BLOCK_ENTRIES));
    for (let i = 0; i < ids.length; i++) {
      const at = i * ENTRY;
      data.write(ids[i]!, at, ID, 'hex');
      data.writeUIntBE(entries.get(ids[i]!)!, at + 34, 6);
      if (i % BLOCK_ENTRIES === 0) fences[i / BLOCK_ENTRIES] = data.readUInt32BE(at);
    }
    const file = path.join(this.folder, `run-${this.nextRun++}.idx`);
    const handle = await open(file, 'wx+', 0o600);
    try {
      await writeExactly(handle, data, 0);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return { file, handle, count: ids.length, fences };
  }

  /** Streams two sorted runs into one; for an id in both, the newer run's entry is kept. */
  private async mergeRuns(older: Run, newer: Run): Promise<Run> {
    const file = path.join(this.folder, `run-${this.nextRun++}.idx`);
    const handle = await open(file, 'wx+', 0o600);
    const a = new RunReader(older);
    const b = new RunReader(newer);
    const out = Buffer.alloc(CHUNK_ENTRIES * ENTRY);
    this.mergeBytes = 3 * out.length;
    const fences: number[] = [];
    let count = 0;
    let filled = 0;
    let written = 0;
    try {
      await a.fill();
      await b.fill();
      while (!a.done || !b.done) {
        let from: RunReader;
        if (a.done) from = b;
        else if (b.done) from = a;
        else {
          const order = Buffer.compare(a.buffer.subarray(a.at, a.at + ID), b.buffer.subarray(b.at, b.at + ID));
          if (order === 0) {
            const skip = a.next();
            if (skip !== undefined) await skip;
          }
          from = order < 0 ? a : b;
        }
        if (count % BLOCK_ENTRIES === 0) fences.push(from.buffer.readUInt32BE(from.at));
        from.buffer.copy(out, filled, from.at, from.at + ENTRY);
        filled += ENTRY;
        count++;
        // Awaited only when a chunk has to be read: a promise per entry would double the merge's CPU.
        const refill = from.next();
        if (refill !== undefined) await refill;
        if (filled === out.length) {
          await writeExactly(handle, out, written);
          written += filled;
          filled = 0;
        }
      }
      if (filled > 0) await writeExactly(handle, out.subarray(0, filled), written);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(file, { force: true });
      throw error;
    } finally {
      this.mergeBytes = 0;
    }
    return { file, handle, count, fences: Uint32Array.from(fences) };
  }

  /** Looks `this.key` up in one run: the blocks whose fences allow it, binary search inside. */
  private findInRun(run: Run): number | undefined {
    const prefix = this.key.readUInt32BE(0);
    const { fences } = run;
    // The last block whose fence is below the prefix (entries with this prefix may end it), then
    // on through the blocks whose fence equals it.
    let lo = 0;
    let hi = fences.length - 1;
    let first = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (fences[mid]! < prefix) {
        first = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (let b = first; b < fences.length && (b === first || fences[b]! <= prefix); b++) {
      const n = Math.min(BLOCK_ENTRIES, run.count - b * BLOCK_ENTRIES);
      const got = readSync(run.handle.fd, this.block, 0, n * ENTRY, b * BLOCK);
      if (got !== n * ENTRY) throw new Error(`The inline object index run ${run.file} is shorter than written.`);
      let l = 0;
      let h = n - 1;
      while (l <= h) {
        const m = (l + h) >>> 1;
        const order = this.key.compare(this.block, m * ENTRY, m * ENTRY + ID);
        if (order === 0) return this.block.readUIntBE(m * ENTRY + 34, 6);
        if (order < 0) h = m - 1;
        else l = m + 1;
      }
    }
    return undefined;
  }
}

/** Sequential reads of a run in chunks, for merges. */
class RunReader {
  readonly buffer = Buffer.alloc(CHUNK_ENTRIES * ENTRY);
  /** Byte position of the current entry in `buffer`. */
  at = 0;
  private loaded = 0;
  private read = 0;

  constructor(private readonly run: Run) {}

  get done(): boolean {
    return this.at >= this.loaded;
  }

  async fill(): Promise<void> {
    const n = Math.min(CHUNK_ENTRIES, this.run.count - this.read);
    if (n > 0) await readExactly(this.run.handle, this.buffer, n * ENTRY, this.read * ENTRY);
    this.read += n;
    this.loaded = n * ENTRY;
    this.at = 0;
  }

  /** Steps to the next entry; returns a promise only when the next chunk must be read. */
  next(): Promise<void> | undefined {
    this.at += ENTRY;
    return this.at >= this.loaded && this.read < this.run.count ? this.fill() : undefined;
  }
}

async function readExactly(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error('An inline object index run ended early.');
    done += bytesRead;
  }
}

async function writeExactly(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    done += bytesWritten;
  }
}
