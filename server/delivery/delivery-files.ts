import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * The bytes of deliveries on disk (shared/network/delivery.ts): one folder per delivery under the
 * server's data folder, one file per chunk named `<index>-<sha256>.chunk`. A chunk is streamed to a
 * temporary name while it is counted and hashed, fsynced, renamed, and the folder fsynced: once
 * `writeChunk` resolves `ok`, the chunk survives a crash. Two uploads of the same chunk with the
 * same bytes end in the same name with the same content; with other bytes, in another name (the
 * database row decides which one is the chunk). Nothing here reads or logs what a chunk holds.
 */
export type ChunkWrite =
  | { readonly ok: true; readonly file: string }
  | { readonly ok: false; readonly reason: 'too_long' | 'too_short' | 'hash_mismatch' };

export interface ChunkFile {
  readonly file: string;
  readonly size: number;
}

const FOLDER_RE = /^[0-9a-f]{32}$/;
const READ_HIGH_WATER_MARK = 256 * 1024;
const WRITE_BATCH = 1024 * 1024;

/** What is left of `pieces` once its first `skip` bytes were written (a short writev). */
function remainder(pieces: readonly Uint8Array[], skip: number): Uint8Array[] {
  const left: Uint8Array[] = [];
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    left.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return left;
}

export class DeliveryFiles {
  /** Bytes read from chunk files for downloads and hashing, since start (for tests and statistics). */
  bytesRead = 0;

  constructor(readonly root: string) {}

  folder(id: string): string {
    if (!FOLDER_RE.test(id)) throw new RangeError('a delivery id is 32 lowercase hex digits');
    return path.join(this.root, id);
  }

  chunkFile(id: string, index: number, sha256: string): string {
    return path.join(this.folder(id), `${index}-${sha256}.chunk`);
  }

  /**
   * Streams `body` into chunk `index`: at most `length` bytes are read (one more and it stops with
   * `too_long`); the bytes must hash to `sha256`. A body that fails or is cut leaves no file.
   */
  async writeChunk(id: string, index: number, body: AsyncIterable<Uint8Array>, length: number, sha256: string): Promise<ChunkWrite> {
    const folder = this.folder(id);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temp = path.join(folder, `.${index}-${randomBytes(8).toString('hex')}.part`);
    const handle = await open(temp, 'wx', 0o600);
    let closed = false;
    let renamed = false;
    try {
      const hash = createHash('sha256');
      let received = 0;
      let written = 0;
      // Pieces arrive at socket size (64 KiB); they are written in batches of WRITE_BATCH with one
      // writev each, which takes a chunk to disk in a handful of calls without copying it.
      let batch: Uint8Array[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        while (batched > 0) {
          const { bytesWritten } = await handle.writev(batch, written);
          written += bytesWritten;
          batched -= bytesWritten;
          if (batched > 0) batch = remainder(batch, bytesWritten);
        }
        batch = [];
      };
      for await (const piece of body) {
        if (received + piece.length > length) return { ok: false, reason: 'too_long' };
        hash.update(piece);
        received += piece.length;
        batch.push(piece);
        batched += piece.length;
        if (batched >= WRITE_BATCH) await flush();
      }
      await flush();
      if (received < length) return { ok: false, reason: 'too_short' };
      if (hash.digest('hex') !== sha256) return { ok: false, reason: 'hash_mismatch' };
      await handle.sync();
      await handle.close();
      closed = true;
      const file = this.chunkFile(id, index, sha256);
      await rename(temp, file);
      renamed = true;
      await syncFolder(folder);
      return { ok: true, file };
    } finally {
      if (!closed) await handle.close().catch(() => undefined);
      if (!renamed) await unlink(temp).catch(() => undefined);
    }
  }

  /** Bytes [start, end] (inclusive) of the blob made of `chunks` in order, read as they are sent. */
  async *read(chunks: readonly ChunkFile[], start: number, end: number): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const chunk of chunks) {
      const chunkStart = offset;
      const chunkEnd = offset + chunk.size - 1;
      offset += chunk.size;
      if (chunkEnd < start) continue;
      if (chunkStart > end) break;
      const stream = createReadStream(chunk.file, { start: Math.max(start, chunkStart) - chunkStart, end: Math.min(end, chunkEnd) - chunkStart, highWaterMark: READ_HIGH_WATER_MARK });
      for await (const piece of stream as AsyncIterable<Buffer>) {
        this.bytesRead += piece.length;
        yield piece;
      }
    }
  }

  /** SHA-256 (hex) of the blob made of `chunks` in order, read from disk. */
  async sha256(chunks: readonly ChunkFile[], size: number): Promise<string> {
    const hash = createHash('sha256');
    for await (const piece of this.read(chunks, 0, size - 1)) hash.update(piece);
    return hash.digest('hex');
  }

  async removeFile(file: string): Promise<void> {
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Deletes a delivery's folder and every chunk in it. */
  async remove(id: string): Promise<void> {
    await rm(this.folder(id), { recursive: true, force: true });
  }

  /** Deletes the temporary chunk files of a delivery last written before `before` (Unix ms). */
  async removeStaleParts(id: string, before: number): Promise<void> {
    const folder = this.folder(id);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const file = path.join(folder, name);
      const info = await stat(file).catch(() => null);
      if (info !== null && info.mtimeMs < before) await this.removeFile(file);
    }
  }

  /** The delivery folders on disk (for the sweep of folders whose row is gone). */
  async folders(): Promise<string[]> {
    try {
      return (await readdir(this.root)).filter((name) => FOLDER_RE.test(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

async function syncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder to fsync it (NTFS journals the rename itself).
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
