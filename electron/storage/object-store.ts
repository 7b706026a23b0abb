import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { decodeEnvelopeHeader, ENVELOPE_HEADER_LENGTH, EnvelopeError, GCM_TAG_LENGTH } from '../../shared/crypto/envelope-format';
import type { Logger } from '../logging/logger';
import { StorageError, osCodeOf, toStorageError } from './storage-errors';
import { nodeStorageFs, readFully, writeFully, type StorageFile, type StorageFs } from './storage-fs';

/** An object id: the SHA-256 of the sealed bytes, 64 lowercase hex digits and nothing else. */
const OBJECT_ID = /^[0-9a-f]{64}$/;
const FAN_OUT_DIR = /^[0-9a-f]{2}$/;
const FAN_OUT_REST = /^[0-9a-f]{62}$/;
/** Temp files of the object store; anything matching at open is an orphan of a crash. */
const TEMP_PREFIX = 'obj-';
const TEMP_SUFFIX = '.tmp';
/** Small source chunks are gathered into writes of this size; larger ones go straight to disk. */
const STAGING_BYTES = 256 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
/**
 * A byte array up to this size is hashed by WebCrypto's digest, a job on libuv's thread pool, while
 * it is written: the SHA-256 of a 512 KiB DICOM instance took ~0.3 ms of the calling thread, which
 * is the receiver's only thread. Larger arrays (rare: streams are the way for large objects) are
 * hashed here piece by piece, as the digest job would copy the whole array first.
 */
const THREAD_POOL_HASH_MAX_BYTES = 4 * 1024 * 1024;
/** The smallest possible sealed envelope: a header and one (empty) chunk's tag. */
export const MIN_SEALED_OBJECT_BYTES = ENVELOPE_HEADER_LENGTH + GCM_TAG_LENGTH;
export const DEFAULT_READ_ALL_LIMIT = 64 * 1024 * 1024;

export function isObjectId(id: unknown): id is string {
  return typeof id === 'string' && OBJECT_ID.test(id);
}

export function assertObjectId(id: unknown): asserts id is string {
  if (!isObjectId(id)) throw new StorageError('E_INVALID', 'An object id is 64 lowercase hexadecimal digits.');
}

export interface ObjectWriteResult {
  readonly id: string;
  readonly size: number;
  /** The object was already stored (same bytes); the new copy was discarded. */
  readonly existed: boolean;
}

export interface ObjectStat {
  readonly size: number;
  readonly modifiedAt: Date;
}

export interface ObjectStoreOptions {
  readonly objectsDir: string;
  readonly tmpDir: string;
  readonly log: Logger;
  readonly fs?: StorageFs;
}

/**
 * Immutable sealed objects, content-addressed by the SHA-256 of their bytes (design §2). Writes
 * stream to a temp file while hashing, fsync it, and rename it into `objects/ab/cdef…`; a crash at
 * any point leaves either no object or a whole one. The store never sees plaintext and holds no
 * key: it only checks that what it is given starts with a sealed-envelope header.
 */
export class ObjectStore {
  private readonly fs: StorageFs;
  readonly objectsDir: string;
  readonly tmpDir: string;
  private readonly log: Logger;

  private constructor(options: ObjectStoreOptions) {
    this.objectsDir = options.objectsDir;
    this.tmpDir = options.tmpDir;
    this.log = options.log;
    this.fs = options.fs ?? nodeStorageFs;
  }

  /** Creates the folders if needed and removes temp files orphaned by a crash. */
  static async open(options: ObjectStoreOptions): Promise<ObjectStore> {
    const store = new ObjectStore(options);
    try {
      await store.fs.mkdir(store.objectsDir);
      await store.fs.mkdir(store.tmpDir);
    } catch (error) {
      throw toStorageError(error, path.dirname(store.objectsDir), 'opening the object store');
    }
    const removed = await store.removeOrphanedTempFiles();
    const created = await store.createFanOutDirs();
    store.log.info({ orphanedTempFiles: removed, fanOutDirsCreated: created }, 'object store opened');
    return store;
  }

  /** The file of an object; throws E_INVALID for anything but a well-formed id (no path tricks). */
  pathOf(id: string): string {
    assertObjectId(id);
    return path.join(this.objectsDir, id.slice(0, 2), id.slice(2));
  }

  /**
   * Stores a sealed object from a byte array or a stream of chunks, never holding more than one
   * chunk (or 256 KiB of small ones) in memory. Chunks may be reused by the source once the next
   * one is requested.
   */
  async write(source: AsyncIterable<Uint8Array> | Uint8Array): Promise<ObjectWriteResult> {
    const temp = path.join(this.tmpDir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}${TEMP_SUFFIX}`);
    let file: StorageFile;
    try {
      file = await this.fs.open(temp, 'createNew', 0o600);
    } catch (error) {
      throw toStorageError(error, this.tmpDir, 'creating a temp file for an object');
    }
    let closed = false;
    let renamed = false;
    try {
      let id: string;
      let size: number;
      if (source instanceof Uint8Array && source.length <= THREAD_POOL_HASH_MAX_BYTES) {
        if (source.length >= ENVELOPE_HEADER_LENGTH) requireEnvelopeHeader(source.subarray(0, ENVELOPE_HEADER_LENGTH));
        if (source.length < MIN_SEALED_OBJECT_BYTES) {
          throw new StorageError('E_INVALID', `A sealed object is at least ${MIN_SEALED_OBJECT_BYTES} bytes; refused one of ${source.length} bytes.`);
        }
        // The digest job copies the bytes when it starts, so it and the write share nothing mutable.
        const [, digest] = await Promise.all([writeFully(file, source, 0), webcrypto.subtle.digest('SHA-256', source)]);
        id = Buffer.from(digest).toString('hex');
        size = source.length;
      } else {
        ({ id, size } = await this.writePieces(file, source));
      }
      await file.datasync();
      closed = true;
      await file.close();
      const target = this.pathOf(id);
      if (await this.exists(target)) {
        await this.fs.unlink(temp);
        renamed = true;
        return { id, size, existed: true };
      }
      const fanOut = path.dirname(target);
      try {
        await this.fs.rename(temp, target);
      } catch (error) {
        const code = osCodeOf(error);
        // Windows refuses to replace a file another process holds open: that file is this object.
        if (code === 'EPERM' && (await this.exists(target))) {
          await this.fs.unlink(temp);
          renamed = true;
          return { id, size, existed: true };
        }
        // A fan-out folder removed since open (they are all created at open).
        if (code !== 'ENOENT') throw error;
        await this.fs.mkdir(fanOut);
        await this.fs.syncDir(this.objectsDir);
        await this.fs.rename(temp, target);
      }
      renamed = true;
      await this.fs.syncDir(fanOut);
      return { id, size, existed: false };
    } catch (error) {
      if (!closed) await file.close().catch(() => undefined);
      if (!renamed) await this.fs.unlink(temp).catch(() => undefined);
      throw toStorageError(error, this.objectsDir, 'writing an object');
    }
  }

  /** Writes a stream (or a large byte array) piece by piece, hashing on this thread; the SHA-256 hex and the size. */
  private async writePieces(file: StorageFile, source: AsyncIterable<Uint8Array> | Uint8Array): Promise<{ id: string; size: number }> {
    const hash = createHash('sha256');
    const header = new Uint8Array(ENVELOPE_HEADER_LENGTH);
    let headerBytes = 0;
    let size = 0; // bytes taken from the source
    let position = 0; // bytes handed to the file
    // Allocated when a small chunk first needs it: a source of large chunks never does.
    let staging: Buffer | null = null;
    let staged = 0;
    const flush = async (): Promise<void> => {
      if (staged === 0 || staging === null) return;
      await writeFully(file, staging.subarray(0, staged), position);
      position += staged;
      staged = 0;
    };
    const take = async (chunk: Uint8Array): Promise<void> => {
      if (chunk.length === 0) return;
      if (headerBytes < ENVELOPE_HEADER_LENGTH) {
        const part = chunk.subarray(0, ENVELOPE_HEADER_LENGTH - headerBytes);
        header.set(part, headerBytes);
        headerBytes += part.length;
        if (headerBytes === ENVELOPE_HEADER_LENGTH) requireEnvelopeHeader(header);
      }
      size += chunk.length;
      if (chunk.length >= STAGING_BYTES / 4) {
        await flush();
        // The write runs on libuv's thread pool while this thread hashes the same bytes.
        const writing = writeFully(file, chunk, position);
        hash.update(chunk);
        await writing;
        position += chunk.length;
      } else {
        hash.update(chunk);
        if (staged + chunk.length > STAGING_BYTES) await flush();
        staging ??= Buffer.allocUnsafe(STAGING_BYTES);
        staging.set(chunk, staged);
        staged += chunk.length;
      }
    };
    if (source instanceof Uint8Array) {
      for (let offset = 0; offset < source.length; offset += 4 * 1024 * 1024) await take(source.subarray(offset, offset + 4 * 1024 * 1024));
    } else {
      for await (const chunk of source) await take(chunk);
    }
    await flush();
    if (size < MIN_SEALED_OBJECT_BYTES) {
      throw new StorageError('E_INVALID', `A sealed object is at least ${MIN_SEALED_OBJECT_BYTES} bytes; refused one of ${size} bytes.`);
    }
    return { id: hash.digest('hex'), size };
  }

  /** Streams an object's bytes; the stream errors with E_NOT_FOUND if there is none. */
  read(id: string): Readable {
    const file = this.pathOf(id);
    return Readable.from(this.chunks(file), { objectMode: false, highWaterMark: READ_CHUNK_BYTES });
  }

  /** The whole object in memory, for small ones (metadata, HL7 messages); refuses above `maxBytes`. */
  async readAll(id: string, maxBytes = DEFAULT_READ_ALL_LIMIT): Promise<Uint8Array> {
    const file = this.pathOf(id);
    const handle = await this.openForRead(file);
    try {
      const size = await handle.size();
      if (size > maxBytes) throw new StorageError('E_INVALID', `Object is ${size} bytes, over the ${maxBytes}-byte limit of readAll; stream it with read().`);
      const buffer = Buffer.allocUnsafe(size);
      const got = await readFully(handle, buffer, 0, size, 0);
      return buffer.subarray(0, got);
    } catch (error) {
      throw toStorageError(error, this.objectsDir, 'reading an object');
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Up to `length` bytes of an object from `offset` (fewer at its end), and its whole size: the
   * mind reads large objects in slices. E_NOT_FOUND if there is none, E_INVALID past its end.
   */
  async readSlice(id: string, offset: number, length: number): Promise<{ bytes: Uint8Array; size: number }> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1 || length > DEFAULT_READ_ALL_LIMIT) {
      throw new StorageError('E_INVALID', 'An object slice needs an offset ≥ 0 and a length of 1 byte to 64 MiB.');
    }
    const file = this.pathOf(id);
    const handle = await this.openForRead(file);
    try {
      const size = await handle.size();
      if (offset > size) throw new StorageError('E_INVALID', `The offset ${offset} is past the end of the object (${size} bytes).`);
      const want = Math.min(length, size - offset);
      const buffer = Buffer.allocUnsafe(want);
      const got = await readFully(handle, buffer, 0, want, offset);
      return { bytes: buffer.subarray(0, got), size };
    } catch (error) {
      throw toStorageError(error, this.objectsDir, 'reading an object');
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async has(id: string): Promise<boolean> {
    return this.exists(this.pathOf(id));
  }

  /** Size and time of an object, or null if there is none. */
  async stat(id: string): Promise<ObjectStat | null> {
    try {
      const info = await stat(this.pathOf(id));
      return { size: info.size, modifiedAt: info.mtime };
    } catch (error) {
      if (osCodeOf(error) === 'ENOENT') return null;
      throw toStorageError(error, this.objectsDir, 'reading object information');
    }
  }

  /** Every stored object id (fan-out folder by folder; unrelated files are skipped). */
  async *list(): AsyncIterable<string> {
    for (const dir of await this.readDir(this.objectsDir)) {
      if (!FAN_OUT_DIR.test(dir)) continue;
      for (const name of await this.readDir(path.join(this.objectsDir, dir))) {
        if (FAN_OUT_REST.test(name)) yield dir + name;
      }
    }
  }

  /** Removes an object (erasure); returns whether it existed. The removal is made durable. */
  async delete(id: string): Promise<boolean> {
    const file = this.pathOf(id);
    try {
      await this.fs.unlink(file);
    } catch (error) {
      if (osCodeOf(error) === 'ENOENT') return false;
      throw toStorageError(error, this.objectsDir, 'deleting an object');
    }
    try {
      await this.fs.syncDir(path.dirname(file));
    } catch (error) {
      throw toStorageError(error, this.objectsDir, 'deleting an object');
    }
    return true;
  }

  private async *chunks(file: string): AsyncGenerator<Buffer> {
    const handle = await this.openForRead(file);
    try {
      let position = 0;
      for (;;) {
        const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
        let got: number;
        try {
          got = await handle.read(buffer, 0, buffer.length, position);
        } catch (error) {
          throw toStorageError(error, this.objectsDir, 'reading an object');
        }
        if (got === 0) return;
        position += got;
        yield buffer.subarray(0, got);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async openForRead(file: string): Promise<StorageFile> {
    try {
      return await this.fs.open(file, 'read');
    } catch (error) {
      if (osCodeOf(error) === 'ENOENT') throw new StorageError('E_NOT_FOUND', `No object ${path.basename(path.dirname(file))}${path.basename(file)} in the vault.`, { folder: this.objectsDir });
      throw toStorageError(error, this.objectsDir, 'opening an object');
    }
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await stat(file);
      return true;
    } catch (error) {
      if (osCodeOf(error) === 'ENOENT') return false;
      throw toStorageError(error, this.objectsDir, 'looking up an object');
    }
  }

  private async readDir(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (error) {
      if (osCodeOf(error) === 'ENOENT') return [];
      throw toStorageError(error, this.objectsDir, 'listing objects');
    }
  }

  /** Creates the 256 fan-out folders up front, so a write needs no mkdir and no fsync of objects/. */
  private async createFanOutDirs(): Promise<number> {
    const present = new Set(await this.readDir(this.objectsDir));
    let created = 0;
    try {
      for (let i = 0; i < 256; i++) {
        const name = i.toString(16).padStart(2, '0');
        if (present.has(name)) continue;
        await this.fs.mkdir(path.join(this.objectsDir, name));
        created++;
      }
      if (created > 0) await this.fs.syncDir(this.objectsDir);
    } catch (error) {
      throw toStorageError(error, this.objectsDir, 'opening the object store');
    }
    return created;
  }

  private async removeOrphanedTempFiles(): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error) {
      throw toStorageError(error, this.tmpDir, 'opening the object store');
    }
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX) || !name.endsWith(TEMP_SUFFIX)) continue;
      try {
        await this.fs.unlink(path.join(this.tmpDir, name));
        removed++;
      } catch (error) {
        if (osCodeOf(error) !== 'ENOENT') throw toStorageError(error, this.tmpDir, 'removing orphaned temp files');
      }
    }
    return removed;
  }
}

/** Refuses bytes that do not start with a sealed-envelope header: the vault stores nothing readable. */
function requireEnvelopeHeader(bytes: Uint8Array): void {
  try {
    decodeEnvelopeHeader(bytes);
  } catch (error) {
    if (error instanceof EnvelopeError) {
      throw new StorageError('E_INVALID', `Refused an object that is not a sealed envelope (${error.code}).`);
    }
    throw error;
  }
}
