/**
 * A file the operator chose for a DICOM import, read only when and where its bytes are needed: a
 * patient CD or a folder of studies can be gigabytes, and the mind holds at most one batch (or one
 * chunk of a streamed file) of it at a time. Its name is the path within the chosen folder, and it
 * never leaves the mind.
 */
export interface PickedFile {
  readonly name: string;
  readonly size: number;
  /** The bytes from `start` up to `end` (clamped to the file). */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Thrown when a chosen file cannot be read any more (moved, removed or locked since it was chosen). */
export class PickedFileUnreadable extends Error {
  constructor() {
    super('The file could not be read: it was moved, removed or locked after it was chosen.');
    this.name = 'PickedFileUnreadable';
  }
}

/** A file from the picker or a drop (a Blob: `File` is one). */
export function pickedBlob(name: string, blob: Blob): PickedFile {
  return {
    name,
    size: blob.size,
    async read(start, end) {
      try {
        return new Uint8Array(await blob.slice(start, end).arrayBuffer());
      } catch {
        throw new PickedFileUnreadable();
      }
    },
  };
}

/** Bytes already in memory (tests, and callers that hold them anyway). */
export function pickedBytes(name: string, bytes: Uint8Array): PickedFile {
  return { name, size: bytes.length, read: async (start, end) => bytes.slice(start, end) };
}

/** The whole file. */
export function readWhole(file: PickedFile): Promise<Uint8Array> {
  return file.read(0, file.size);
}
