import { utf8Decode, utf8Encode } from '../../crypto/bytes';
import { PieceReader, type ByteSource } from '../../crypto/envelope-stream';

/**
 * The dataset package's container (the plaintext inside the sealed envelope): a sequence of named
 * files, written and read as a stream, no length known in advance.
 *
 *   magic     8 bytes  "HDMSPKG" 0x01 (format version 1)
 *   entries   each:    0x01, name length (u16 BE, 1…1024), name (UTF-8),
 *                      segments: length (u32 BE, 1…1 MiB) ‖ bytes, …, then a u32 0
 *   end       0x00     nothing may follow
 *
 * Why not tar: the NDJSON files are generated while they are written, so their length is not
 * known when their header would be; tar needs it first (or a second pass over 10,000+ patients).
 * Length-prefixed segments ("chunked encoding") stream both ways with a 4-byte cost per 64 KiB,
 * and need no library in the renderer (the well-kept tar packages here are Node-stream based).
 * The container holds no integrity of its own: the envelope authenticates every byte and the
 * manifest (the last file) names each file's length and SHA-256.
 *
 * Names are relative paths ("fhir/Patient.ndjson"): the reader refuses anything that could
 * write outside a folder when saved (absolute, "..", ".", empty segments, backslashes, control
 * characters, a drive letter) and any name seen twice.
 */

export const CONTAINER_MAGIC = new Uint8Array([0x48, 0x44, 0x4d, 0x53, 0x50, 0x4b, 0x47, 0x01]); // "HDMSPKG" 1
export const MAX_NAME_BYTES = 1024;
export const MAX_SEGMENT = 1024 * 1024;
/** What the writer gathers into one segment. */
export const WRITER_SEGMENT = 64 * 1024;
const ENTRY = 0x01;
const END = 0x00;

export type PackageErrorCode =
  | 'E_PACKAGE_FORMAT' // the container is not well formed
  | 'E_PACKAGE_HASH' // the sealed bytes are not the ones the delivery names
  | 'E_PACKAGE_KEY' // the key does not match the commitment
  | 'E_PACKAGE_MANIFEST'; // the files are not the ones the manifest lists

export class PackageError extends Error {
  constructor(
    readonly code: PackageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PackageError';
  }
}

/** Whether `name` is a safe relative path for a package file (see above). */
export function isSafeEntryName(name: string): boolean {
  if (name.length === 0 || utf8Encode(name).length > MAX_NAME_BYTES) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\:]/.test(name) || name.startsWith('/')) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

export interface ContainerInput {
  readonly name: string;
  readonly data: ByteSource;
}

export interface WrittenEntry {
  readonly name: string;
  readonly length: number;
}

/**
 * Writes the container: `entries` in order, each file's bytes gathered into 64 KiB segments.
 * `onEntry` is called after each file with its name and length (and `observe` sees every byte of
 * it, to hash it); `trailer` is asked for the last files once the others are written (the manifest).
 */
export async function* writeContainer(
  entries: AsyncIterable<ContainerInput> | Iterable<ContainerInput>,
  hooks: {
    readonly observe?: (name: string, bytes: Uint8Array) => void;
    readonly onEntry?: (entry: WrittenEntry) => void;
    readonly trailer?: () => Promise<readonly ContainerInput[]> | readonly ContainerInput[];
  } = {},
): AsyncGenerator<Uint8Array> {
  yield CONTAINER_MAGIC.slice();
  const seen = new Set<string>();
  async function* one(entry: ContainerInput): AsyncGenerator<Uint8Array> {
    if (!isSafeEntryName(entry.name)) throw new PackageError('E_PACKAGE_FORMAT', `"${entry.name}" is not a safe relative file name.`);
    if (seen.has(entry.name)) throw new PackageError('E_PACKAGE_FORMAT', `"${entry.name}" is written twice.`);
    seen.add(entry.name);
    const name = utf8Encode(entry.name);
    const head = new Uint8Array(3 + name.length);
    head[0] = ENTRY;
    new DataView(head.buffer).setUint16(1, name.length);
    head.set(name, 3);
    yield head;
    const reader = new PieceReader(entry.data);
    let segment = new Uint8Array(4 + WRITER_SEGMENT);
    let filled = 0;
    let length = 0;
    const flush = (): Uint8Array => {
      new DataView(segment.buffer).setUint32(0, filled);
      const out = segment.subarray(0, 4 + filled);
      segment = new Uint8Array(4 + WRITER_SEGMENT);
      filled = 0;
      return out;
    };
    try {
      for (let piece = await reader.next(); piece !== undefined; piece = await reader.next()) {
        hooks.observe?.(entry.name, piece);
        length += piece.length;
        let offset = 0;
        while (offset < piece.length) {
          const take = Math.min(WRITER_SEGMENT - filled, piece.length - offset);
          segment.set(piece.subarray(offset, offset + take), 4 + filled);
          filled += take;
          offset += take;
          if (filled === WRITER_SEGMENT) yield flush();
        }
      }
      if (filled > 0) yield flush();
    } finally {
      await reader.close();
    }
    yield new Uint8Array(4);
    hooks.onEntry?.({ name: entry.name, length });
  }
  for await (const entry of entries) yield* one(entry);
  for (const entry of (await hooks.trailer?.()) ?? []) yield* one(entry);
  yield new Uint8Array([END]);
}

/** Reads exact byte counts from a stream of pieces, keeping only what was not consumed yet. */
class ByteReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private offset = 0;
  constructor(private readonly reader: PieceReader) {}

  private get available(): number {
    return this.buffer.length - this.offset;
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async some(max: number): Promise<Uint8Array | undefined> {
    if (this.available === 0) {
      const piece = await this.reader.next();
      if (piece === undefined) return undefined;
      this.buffer = piece;
      this.offset = 0;
    }
    const take = Math.min(max, this.available);
    const out = this.buffer.subarray(this.offset, this.offset + take);
    this.offset += take;
    return out;
  }

  async exact(n: number, what: string): Promise<Uint8Array> {
    if (this.available >= n) {
      const out = this.buffer.subarray(this.offset, this.offset + n);
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = await this.some(n - filled);
      if (piece === undefined) throw new PackageError('E_PACKAGE_FORMAT', `The package ends inside ${what}.`);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  async atEnd(): Promise<boolean> {
    if (this.available > 0) return false;
    const piece = await this.reader.next();
    if (piece === undefined) return true;
    this.buffer = piece;
    this.offset = 0;
    return false;
  }
}

export interface ContainerEntry {
  readonly name: string;
  /**
   * The file's bytes, piece by piece. Iterate it at most once, before asking for the next entry;
   * whatever is left unread is skipped (still read, so still authenticated) when the next entry
   * is asked for.
   */
  readonly data: AsyncIterable<Uint8Array>;
}

/**
 * Reads a container from its plaintext pieces, one entry at a time; refuses a malformed one with
 * PackageError E_PACKAGE_FORMAT. `observe` sees every byte of every file (to hash it) and `onEntry`
 * each file's name and length once it was read to its end.
 */
export async function* readContainer(
  source: ByteSource,
  hooks: { readonly observe?: (name: string, bytes: Uint8Array) => void; readonly onEntry?: (entry: WrittenEntry) => void } = {},
): AsyncGenerator<ContainerEntry> {
  const pieces = new PieceReader(source);
  const reader = new ByteReader(pieces);
  try {
    const magic = await reader.exact(CONTAINER_MAGIC.length, 'its magic');
    if (!magic.every((byte, i) => byte === CONTAINER_MAGIC[i])) throw new PackageError('E_PACKAGE_FORMAT', 'Not a dataset package (bad magic or version).');
    const seen = new Set<string>();
    for (;;) {
      const type = (await reader.exact(1, 'an entry type'))[0];
      if (type === END) break;
      if (type !== ENTRY) throw new PackageError('E_PACKAGE_FORMAT', `Unknown entry type ${type}.`);
      const nameLength = new DataView((await reader.exact(2, 'a name length')).slice().buffer).getUint16(0);
      if (nameLength === 0 || nameLength > MAX_NAME_BYTES) throw new PackageError('E_PACKAGE_FORMAT', 'A file name is 1 to 1024 bytes.');
      let name: string;
      try {
        name = new TextDecoder('utf-8', { fatal: true }).decode(await reader.exact(nameLength, 'a file name'));
      } catch (error) {
        if (error instanceof PackageError) throw error;
        throw new PackageError('E_PACKAGE_FORMAT', 'A file name is not UTF-8.');
      }
      if (!isSafeEntryName(name)) throw new PackageError('E_PACKAGE_FORMAT', `"${name}" is not a safe relative file name.`);
      if (seen.has(name)) throw new PackageError('E_PACKAGE_FORMAT', `"${name}" appears twice.`);
      seen.add(name);
      let done = false;
      let length = 0;
      async function* data(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const segmentLength = new DataView((await reader.exact(4, `"${name}"`)).slice().buffer).getUint32(0);
          if (segmentLength === 0) break;
          if (segmentLength > MAX_SEGMENT) throw new PackageError('E_PACKAGE_FORMAT', `A segment of "${name}" is longer than 1 MiB.`);
          let left = segmentLength;
          while (left > 0) {
            const piece = await reader.some(left);
            if (piece === undefined) throw new PackageError('E_PACKAGE_FORMAT', `The package ends inside "${name}".`);
            left -= piece.length;
            length += piece.length;
            hooks.observe?.(name, piece);
            yield piece;
          }
        }
        done = true;
        hooks.onEntry?.({ name, length });
      }
      const iterator = data();
      let handedOut = false;
      // A consumer that stops early (break) must not end the inner generator: the rest is skipped below.
      const view: AsyncIterator<Uint8Array> = { next: () => iterator.next(), return: () => Promise.resolve({ done: true, value: undefined }) };
      yield {
        name,
        data: {
          [Symbol.asyncIterator]() {
            if (handedOut) throw new Error('An entry can be read once.');
            handedOut = true;
            return view;
          },
        },
      };
      // Skip what the consumer left unread (it is still authenticated and hashed on the way).
      if (!done) for await (const piece of iterator) void piece;
      if (!done) throw new PackageError('E_PACKAGE_FORMAT', `"${name}" was left half read.`);
    }
    if (!(await reader.atEnd())) throw new PackageError('E_PACKAGE_FORMAT', 'Bytes follow the end of the package.');
  } finally {
    await pieces.close();
  }
}

/** Collects an entry's bytes (small files: the manifest, the report, tests). */
export async function readAll(data: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for await (const piece of data) {
    pieces.push(piece.slice());
    length += piece.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

export function readText(data: AsyncIterable<Uint8Array>): Promise<string> {
  return readAll(data).then(utf8Decode);
}
