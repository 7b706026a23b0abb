import { Readable } from 'node:stream';
import type { Journal } from './journal';
import { assertObjectId, DEFAULT_READ_ALL_LIMIT, type ObjectStore, type ObjectWriteResult } from './object-store';
import { StorageError } from './storage-errors';

/**
 * Every sealed object of the vault, wherever its bytes live (design §2):
 *
 * - **inline** in the journal record that refers to it: small intake payloads (≤ 64 KiB sealed).
 *   They become durable in the record's own group commit (one fdatasync for a whole batch of
 *   messages) and are erased with it (Journal.rewrite drops them);
 * - **object files** under `objects/ab/cdef…` (ObjectStore): large and streamed objects (DICOM
 *   studies, dataset packages), written to a temp file, fsynced and renamed.
 *
 * Both are named the same way, by the SHA-256 of their sealed bytes, so the ledger's Merkle roots,
 * `objects.read` and the mind never need to know which kind an object is.
 */
export class VaultObjects {
  constructor(
    /** The object files (large objects); backups copy these files, the journal carries the rest. */
    readonly files: ObjectStore,
    private readonly journal: Pick<Journal, 'hasInline' | 'readInline' | 'inlineIds' | 'inlineObjects'>,
  ) {}

  /** Stores a standalone object file (see ObjectStore.write); small intake payloads go inline instead. */
  write(source: AsyncIterable<Uint8Array> | Uint8Array): Promise<ObjectWriteResult> {
    return this.files.write(source);
  }

  async has(id: string): Promise<boolean> {
    assertObjectId(id);
    return this.journal.hasInline(id) || this.files.has(id);
  }

  /** Whether the object's bytes are carried inline by a journal record. */
  isInline(id: string): boolean {
    assertObjectId(id);
    return this.journal.hasInline(id);
  }

  /** Streams an object's bytes; the stream errors with E_NOT_FOUND if there is none. */
  read(id: string): Readable {
    if (!this.isInline(id)) return this.files.read(id);
    const journal = this.journal;
    const files = this.files;
    return Readable.from(
      (async function* () {
        const bytes = await journal.readInline(id);
        // Erased between the check and the read: the object file, if any, or E_NOT_FOUND.
        if (bytes === null) yield* files.read(id);
        else yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      })(),
      { objectMode: false },
    );
  }

  /** The whole object in memory; refuses above `maxBytes`. */
  async readAll(id: string, maxBytes = DEFAULT_READ_ALL_LIMIT): Promise<Uint8Array> {
    const bytes = this.isInline(id) ? await this.journal.readInline(id) : null;
    if (bytes === null) return this.files.readAll(id, maxBytes);
    if (bytes.length > maxBytes) throw new StorageError('E_INVALID', `Object is ${bytes.length} bytes, over the ${maxBytes}-byte limit of readAll; stream it with read().`);
    return bytes;
  }

  /** Up to `length` bytes from `offset` and the object's size; see ObjectStore.readSlice. */
  async readSlice(id: string, offset: number, length: number): Promise<{ bytes: Uint8Array; size: number }> {
    const bytes = this.isInline(id) ? await this.journal.readInline(id) : null;
    if (bytes === null) return this.files.readSlice(id, offset, length);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1 || length > DEFAULT_READ_ALL_LIMIT) {
      throw new StorageError('E_INVALID', 'An object slice needs an offset ≥ 0 and a length of 1 byte to 64 MiB.');
    }
    if (offset > bytes.length) throw new StorageError('E_INVALID', `The offset ${offset} is past the end of the object (${bytes.length} bytes).`);
    return { bytes: bytes.subarray(offset, offset + length), size: bytes.length };
  }

  /** Every object id: the object files, then the inline objects. */
  async *list(): AsyncIterable<string> {
    yield* this.files.list();
    yield* this.journal.inlineIds();
  }

  /** How many objects journal records carry inline. */
  get inlineObjects(): number {
    return this.journal.inlineObjects;
  }

  /**
   * Removes an object FILE (erasure); returns whether it existed. Inline objects are removed by
   * erasing the record that carries them (Journal.rewrite reports them as `droppedInline`).
   */
  delete(id: string): Promise<boolean> {
    return this.files.delete(id);
  }
}
