import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { syncDir } from './durable-files';

/**
 * The few file operations the journal and the object store write through. Production uses
 * `nodeStorageFs`; tests wrap it to count fsyncs or to fail like a full disk (ENOSPC after N
 * bytes) or a folder without permission (EACCES at open).
 */
export interface StorageFile {
  /** Positional read; returns the bytes read (0 at end of file). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Positional write; may write fewer bytes than asked (callers loop). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** fdatasync (on macOS libuv issues F_FULLFSYNC, the only flush that reaches the platter). */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  | 'read' // existing file, read only
  | 'readWrite' // existing file, read and write
  | 'create' // read and write, created if missing
  | 'createNew'; // a new file; fails if it exists (temp files)

export interface StorageFs {
  open(file: string, mode: OpenMode, permissions?: number): Promise<StorageFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  /** Makes a rename or create inside `dir` durable (POSIX); a no-op on Windows. */
  syncDir(dir: string): Promise<void>;
}

const OPEN_FLAGS: Record<OpenMode, number | string> = {
  read: 'r',
  readWrite: 'r+',
  create: constants.O_RDWR | constants.O_CREAT,
  createNew: 'wx+',
};

class NodeStorageFile implements StorageFile {
  constructor(private readonly handle: FileHandle) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buffer, offset, length, position)).bytesRead;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.write(buffer, offset, length, position)).bytesWritten;
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeStorageFs: StorageFs = {
  async open(file, mode, permissions = 0o600) {
    return new NodeStorageFile(await open(file, OPEN_FLAGS[mode], permissions));
  },
  rename: (from, to) => rename(from, to),
  unlink: (file) => unlink(file),
  async mkdir(dir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  },
  // Windows cannot open a directory for flushing; NTFS journals the rename itself.
  syncDir,
};

/** Writes all of `buffer` at `position`, looping over short writes. */
export async function writeFully(file: StorageFile, buffer: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const written = await file.write(buffer, done, buffer.length - done, position + done);
    if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += written;
  }
}

/** Reads exactly `length` bytes at `position` unless the file ends first; returns how many were read. */
export async function readFully(file: StorageFile, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const got = await file.read(buffer, offset + done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}
