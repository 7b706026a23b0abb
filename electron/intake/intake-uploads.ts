import { Refusal } from '../errors/refusal';
import { randomBytes } from 'node:crypto';
import { INTAKE_FILE_MAX_BYTES, INTAKE_IMPORT_MAX_BYTES, INTAKE_IMPORT_MAX_FILES, INTAKE_UPLOADS_MAX_OPEN } from '../../shared/ipc';

/** A refused upload step (the router turns it into a wire error). */
export class UploadError extends Refusal {
  constructor(code: 'E_BAD_REQUEST' | 'E_CONFLICT', message: string) {
    super(code, message);
  }
}

interface Upload {
  readonly files: Buffer[][];
  readonly sizes: number[];
  total: number;
  touched: number;
}

export interface IntakeUploadsOptions {
  readonly maxOpen?: number;
  readonly maxFileBytes?: number;
  readonly maxTotalBytes?: number;
  readonly maxFiles?: number;
  /** An upload untouched this long is dropped. Default 10 minutes. */
  readonly idleMs?: number;
  readonly now?: () => number;
}

/**
 * Staging areas for the bytes of files the mind imports (intake.uploadBegin/uploadAppend), in the
 * body's memory: a WebSocket call of the browser shell carries at most 1 MiB, a file up to 16 MiB.
 * Bytes here are raw HL7 (PHI): kept in memory only, never written, dropped when used, aborted,
 * idle or at stop.
 */
export class IntakeUploads {
  private readonly uploads = new Map<string, Upload>();
  private readonly maxOpen: number;
  private readonly maxFileBytes: number;
  private readonly maxTotalBytes: number;
  private readonly maxFiles: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(options: IntakeUploadsOptions = {}) {
    this.maxOpen = options.maxOpen ?? INTAKE_UPLOADS_MAX_OPEN;
    this.maxFileBytes = options.maxFileBytes ?? INTAKE_FILE_MAX_BYTES;
    this.maxTotalBytes = options.maxTotalBytes ?? INTAKE_IMPORT_MAX_BYTES;
    this.maxFiles = options.maxFiles ?? INTAKE_IMPORT_MAX_FILES;
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  begin(): string {
    this.expire();
    if (this.uploads.size >= this.maxOpen) {
      throw new UploadError('E_CONFLICT', `${this.uploads.size} uploads are open already; finish or abort one first.`);
    }
    const handle = randomBytes(16).toString('hex');
    this.uploads.set(handle, { files: [], sizes: [], total: 0, touched: this.now() });
    return handle;
  }

  /** Appends to file `file` (the last one, or the next new one); answers that file's size so far. */
  append(handle: string, file: number, chunk: Uint8Array): number {
    const upload = this.get(handle);
    if (file !== upload.files.length - 1 && file !== upload.files.length) {
      throw new UploadError('E_BAD_REQUEST', `file: send files in order; the next chunk belongs to file ${Math.max(0, upload.files.length - 1)} or ${upload.files.length}.`);
    }
    if (file === upload.files.length) {
      if (upload.files.length >= this.maxFiles) throw new UploadError('E_BAD_REQUEST', `An import holds at most ${this.maxFiles} files.`);
      upload.files.push([]);
      upload.sizes.push(0);
    }
    const size = upload.sizes[file]! + chunk.length;
    if (size > this.maxFileBytes) {
      this.uploads.delete(handle);
      throw new UploadError('E_BAD_REQUEST', `File ${file} is larger than ${this.maxFileBytes} bytes; the upload was dropped.`);
    }
    if (upload.total + chunk.length > this.maxTotalBytes) {
      this.uploads.delete(handle);
      throw new UploadError('E_BAD_REQUEST', `An import holds at most ${this.maxTotalBytes} bytes in all; the upload was dropped.`);
    }
    if (chunk.length > 0) upload.files[file]!.push(Buffer.from(chunk));
    upload.sizes[file] = size;
    upload.total += chunk.length;
    upload.touched = this.now();
    return size;
  }

  /** The upload's files, removing it. */
  take(handle: string): Uint8Array[] {
    const upload = this.get(handle);
    this.uploads.delete(handle);
    return upload.files.map((parts) => Buffer.concat(parts));
  }

  abort(handle: string): void {
    this.uploads.delete(handle);
  }

  clear(): void {
    this.uploads.clear();
  }

  get open(): number {
    return this.uploads.size;
  }

  private get(handle: string): Upload {
    this.expire();
    const upload = this.uploads.get(handle);
    if (upload === undefined) throw new UploadError('E_CONFLICT', 'No such upload (it was used, aborted, or dropped after 10 minutes unused); start again.');
    return upload;
  }

  private expire(): void {
    const horizon = this.now() - this.idleMs;
    for (const [handle, upload] of this.uploads) if (upload.touched < horizon) this.uploads.delete(handle);
  }
}
