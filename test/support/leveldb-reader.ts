/**
 * Just enough of LevelDB's on-disk formats to read what Chromium keeps in IndexedDB and Local
 * Storage, so a leak scan sees the plaintext of compressed table blocks and of log records that
 * straddle 32 KiB log blocks. Read-only, tolerant: anything it cannot parse it skips (the raw
 * bytes of every file are scanned anyway).
 *
 *   - Snappy (block compression of .ldb/.sst tables, and Blink's compression of large IndexedDB
 *     values): https://github.com/google/snappy/blob/main/format_description.txt
 *   - Table files: https://github.com/google/leveldb/blob/main/doc/table_format.md
 *   - Log and MANIFEST files: https://github.com/google/leveldb/blob/main/doc/log_format.md
 */

const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER_BYTES = 48;
const BLOCK_TRAILER_BYTES = 5;
const LOG_BLOCK_BYTES = 32 * 1024;
const LOG_HEADER_BYTES = 7;
const MAX_SNAPPY_OUTPUT = 256 * 1024 * 1024;

class Cursor {
  constructor(
    readonly data: Uint8Array,
    public pos = 0,
  ) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.data.length) throw new RangeError('varint past the end');
      const byte = this.data[this.pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new RangeError('varint too long');
  }
}

/** Decompresses one raw Snappy block; throws on anything malformed (so it doubles as a detector). */
export function snappyDecompress(input: Uint8Array): Uint8Array {
  const cursor = new Cursor(input);
  const length = cursor.varint();
  if (length > MAX_SNAPPY_OUTPUT) throw new RangeError('snappy: implausible length');
  const out = new Uint8Array(length);
  let o = 0;
  let i = cursor.pos;
  while (i < input.length) {
    const tag = input[i++]!;
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (i + extra > input.length) throw new RangeError('snappy: literal length past the end');
        len = 0;
        for (let k = 0; k < extra; k++) len |= input[i + k]! << (8 * k);
        len >>>= 0;
        i += extra;
      }
      len += 1;
      if (i + len > input.length || o + len > length) throw new RangeError('snappy: literal past the end');
      out.set(input.subarray(i, i + len), o);
      i += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (i >= input.length) throw new RangeError('snappy: short copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[i++]!;
    } else if (type === 2) {
      if (i + 2 > input.length) throw new RangeError('snappy: short copy');
      len = (tag >>> 2) + 1;
      offset = input[i]! | (input[i + 1]! << 8);
      i += 2;
    } else {
      if (i + 4 > input.length) throw new RangeError('snappy: short copy');
      len = (tag >>> 2) + 1;
      offset = (input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16) | (input[i + 3]! << 24)) >>> 0;
      i += 4;
    }
    if (offset === 0 || offset > o || o + len > length) throw new RangeError('snappy: bad copy');
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset]!;
  }
  if (o !== length) throw new RangeError('snappy: length mismatch');
  return out;
}

interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

function readHandle(cursor: Cursor): BlockHandle {
  return { offset: cursor.varint(), size: cursor.varint() };
}

/** A table block's contents, decompressed when its trailer says Snappy. */
function readTableBlock(file: Uint8Array, handle: BlockHandle): Uint8Array {
  const end = handle.offset + handle.size;
  if (end + BLOCK_TRAILER_BYTES > file.length) throw new RangeError('block past the end of the table');
  const contents = file.subarray(handle.offset, end);
  const type = file[end];
  if (type === 0) return contents;
  if (type === 1) return snappyDecompress(contents);
  throw new RangeError(`unknown block compression ${type}`);
}

export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** The entries of one (decompressed) block, with their prefix-compressed keys restored. */
function blockEntries(block: Uint8Array): KeyValue[] {
  if (block.length < 4) return [];
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const restarts = view.getUint32(block.length - 4, true);
  const limit = block.length - 4 - 4 * restarts;
  if (limit < 0) throw new RangeError('bad restart array');
  const out: KeyValue[] = [];
  const cursor = new Cursor(block);
  let previous = new Uint8Array(0);
  while (cursor.pos < limit) {
    const shared = cursor.varint();
    const unshared = cursor.varint();
    const valueLength = cursor.varint();
    if (shared > previous.length || cursor.pos + unshared + valueLength > limit) throw new RangeError('bad block entry');
    const key = new Uint8Array(shared + unshared);
    key.set(previous.subarray(0, shared));
    key.set(block.subarray(cursor.pos, cursor.pos + unshared), shared);
    cursor.pos += unshared;
    const value = block.subarray(cursor.pos, cursor.pos + valueLength);
    cursor.pos += valueLength;
    out.push({ key, value });
    previous = key;
  }
  return out;
}

/** Every key/value of an .ldb/.sst table file (data blocks, via the index block). */
export function readTableFile(file: Uint8Array): KeyValue[] {
  if (file.length < FOOTER_BYTES) throw new RangeError('too short for a table');
  const footer = file.subarray(file.length - FOOTER_BYTES);
  const magic = new DataView(footer.buffer, footer.byteOffset + 40, 8).getBigUint64(0, true);
  if (magic !== TABLE_MAGIC) throw new RangeError('not a LevelDB table');
  const cursor = new Cursor(footer);
  readHandle(cursor); // metaindex
  const indexHandle = readHandle(cursor);
  const out: KeyValue[] = [];
  for (const entry of blockEntries(readTableBlock(file, indexHandle))) {
    const handle = readHandle(new Cursor(entry.value));
    out.push(...blockEntries(readTableBlock(file, handle)));
  }
  return out;
}

/** The records of a LevelDB log or MANIFEST file, reassembled from their 32 KiB block fragments. */
export function readLogFile(file: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  for (let block = 0; block < file.length; block += LOG_BLOCK_BYTES) {
    const end = Math.min(block + LOG_BLOCK_BYTES, file.length);
    let pos = block;
    while (pos + LOG_HEADER_BYTES <= end) {
      const length = file[pos + 4]! | (file[pos + 5]! << 8);
      const type = file[pos + 6]!;
      const start = pos + LOG_HEADER_BYTES;
      if (type === 0 && length === 0) break; // zero padding (preallocated or block tail)
      if (start + length > end) break;
      const data = file.subarray(start, start + length);
      if (type === 1) {
        records.push(data);
        pending = [];
      } else if (type === 2) {
        pending = [data];
      } else if (type === 3) {
        pending.push(data);
      } else if (type === 4) {
        pending.push(data);
        records.push(concat(pending));
        pending = [];
      }
      pos = start + length;
    }
  }
  return records;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Blink compresses large IndexedDB values with Snappy inside its own envelope. Rather than
 * depend on that envelope's exact layout, try every start offset in the first bytes of a value:
 * a stream that decompresses cleanly to exactly its stated length is taken as compressed data.
 */
export function embeddedSnappy(value: Uint8Array, maxStart = 24): Uint8Array[] {
  const found: Uint8Array[] = [];
  if (value.length < 16) return found;
  for (let start = 0; start <= Math.min(maxStart, value.length - 2); start++) {
    try {
      const out = snappyDecompress(value.subarray(start));
      if (out.length > value.length - start) found.push(out);
    } catch {
      // not a snappy stream at this offset
    }
  }
  return found;
}

/** The puts of a LevelDB write batch (a log record of a database's .log file). */
export function readWriteBatch(record: Uint8Array): KeyValue[] {
  const out: KeyValue[] = [];
  if (record.length < 12) return out;
  const cursor = new Cursor(record, 12);
  try {
    while (cursor.pos < record.length) {
      const type = record[cursor.pos++]!;
      const keyLength = cursor.varint();
      const key = record.subarray(cursor.pos, cursor.pos + keyLength);
      cursor.pos += keyLength;
      if (type === 1) {
        const valueLength = cursor.varint();
        const value = record.subarray(cursor.pos, cursor.pos + valueLength);
        cursor.pos += valueLength;
        out.push({ key, value });
      } else if (type !== 0) {
        break;
      }
    }
  } catch {
    // a batch cut short: keep what was read
  }
  return out;
}
