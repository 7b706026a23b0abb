import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { decodeEnvelopeHeader, ENVELOPE_HEADER_LENGTH, EnvelopeError, GCM_TAG_LENGTH } from '../../shared/crypto/envelope-format';
import { JOURNAL_KIND_PATTERN, MAX_KIND_LENGTH } from '../../shared/journal/journal-kinds';
import { readFully, type StorageFile } from './storage-fs';

/**
 * The journal file, version 1 (design §2):
 *
 *   offset 0   8 bytes  magic "HDMSJ001"
 *   then records, back to back:
 *              4 bytes  body length, u32 big-endian (1 … 16 MiB)
 *              4 bytes  CRC-32 (zlib/IEEE) of the body, u32 big-endian
 *              n bytes  body: UTF-8 JSON
 *                       {"seq":1,"kind":"intake.demo","at":"2025-01-01T00:00:00.000Z","operator":null,
 *                        "objects":["<sha256 hex>",…],"meta":"<base64url sealed envelope>"|null,
 *                        "note":{"truncatedBytes":123},   (note optional, numbers only)
 *                        "inline":{"<sha256 hex>":"<base64url sealed object>"}}   (optional)
 *
 * `inline` carries small sealed objects (intake payloads up to MAX_INLINE_OBJECT_BYTES) inside the
 * record that refers to them, so the object and its reference become durable in the same group
 * commit (one fdatasync, no object file, no rename, no folder fsync). Every key is the SHA-256 of
 * its sealed bytes (the object id, as for object files) and is listed in `objects`. Readers of
 * objects cannot tell an inline object from an object file (see VaultObjects).
 *
 * `dedupe` is a channel's duplicate tag for the record (HL7: keyed hashes of sender + control id
 * and of the content, and the ACK code sent; see hl7-duplicates.ts): in clear so that the body,
 * which cannot open `meta`, rebuilds its duplicate index from the journal, and durable in the same
 * fdatasync as the record. The journal treats it as opaque (a short token, never content). A
 * tombstone drops it. Journals written before it existed simply have none.
 *
 * Version 2 (magic "HDMSJ002", written for every journal created since) frames the same records
 * with a binary body, so sealed bytes are stored as they are rather than as base64 text inside
 * JSON (a third larger), and object ids as 32 bytes rather than 64 hex digits:
 *
 *              8 bytes  seq, u64 big-endian
 *              8 bytes  at, milliseconds since 1970-01-01T00:00:00Z, u64 big-endian
 *              1 byte   kind length k, then k bytes of kind (ASCII)
 *              1 byte   operator length (0 = null), then the operator (ASCII)
 *              1 byte   dedupe tag length (0 = none), then the tag (ASCII)
 *              2 bytes  object count n, u16 big-endian, then n × 32 bytes (SHA-256 ids)
 *              1 byte   note count m, then m × (1 byte key length, the key, 8 bytes IEEE-754 double)
 *              4 bytes  meta length (0 = null), u32 big-endian, then the sealed meta envelope
 *              then to the end of the body, per inline object: 2 bytes index into the objects,
 *                       4 bytes length, u32 big-endian, then the sealed object; and, for a
 *                       record with an actor, once: 2 bytes 0xFFFF (no object index: a record
 *                       refers to at most 65,535 objects), 4 bytes length, the sealed actor
 *
 * `actor` (optional, both versions; a base64url field in version 1) is who made a mind event as
 * the body saw it: the calling session's account id, sealed by the body to the vault's intake key
 * as a journalMetadata envelope of JSON {v: 1, operatorId} (shared/journal/record-actor.ts), so
 * the account id is never in clear on disk. Only `journal.append` (the mind's events) writes one;
 * records without it (every record written before, intake, the body's own) read as they always
 * did, since an old record's body simply has no 0xFFFF section and an old JSON record no field.
 * A tombstone drops it.
 *
 * Readers see one record shape (`JournalRecord`, sealed bytes as base64url) whatever the file's
 * version, and a journal keeps the version it was created with: old journals are read and
 * appended to as version 1, and vault:check and backups read both.
 *
 * Seq starts at 1 and grows by exactly 1. The CRC detects torn and damaged records (integrity);
 * it is no defence against deliberate tampering, which the signed ledger covers. Nothing here is
 * PHI: `kind` is a short category from a fixed alphabet, `operator` a pseudonymous id, `objects`
 * hashes of sealed bytes, `meta` a sealed envelope, `note` a few numbers.
 */
export const JOURNAL_MAGIC_V1 = Buffer.from('HDMSJ001', 'ascii');
export const JOURNAL_MAGIC_V2 = Buffer.from('HDMSJ002', 'ascii');
/** What a new journal starts with. */
export const JOURNAL_MAGIC = JOURNAL_MAGIC_V2;
export const JOURNAL_MAGIC_LENGTH = 8;
export type JournalFormat = 1 | 2;
export const FRAME_HEADER_BYTES = 8;
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Sealed objects up to this size may travel inline in their journal record. */
export const MAX_INLINE_OBJECT_BYTES = 64 * 1024;

/**
 * Kinds (their pattern and length, and the kinds only the journal writes) are defined once for both
 * halves in shared/journal/journal-kinds.ts.
 */
export { ERASED_KIND, JOURNAL_KIND_PATTERN, MAX_KIND_LENGTH, REPAIRED_KIND, RESERVED_KIND_PREFIX } from '../../shared/journal/journal-kinds';
/**
 * A pseudonymous operator id: letters, digits, dash, underscore (a UUID, a hash or a base64url
 * HMAC pseudonym fits; the latter may start with "-" or "_").
 */
export const OPERATOR_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
const NOTE_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9]{0,31}$/;
/** A record's duplicate tag: short, opaque, base64url words joined by dots. */
export const DEDUPE_TAG_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){0,7}$/;
export const MAX_DEDUPE_TAG_LENGTH = 128;
export const MAX_NOTE_KEYS = 8;
/** A record's sealed actor: a few dozen bytes of JSON in an envelope; this bounds it generously. */
export const MAX_ACTOR_BYTES = 1024;
const MAX_ACTOR_TEXT = Math.ceil((MAX_ACTOR_BYTES * 4) / 3);
/** The section marker of a version-2 record's sealed actor, where an inline object's index would be. */
const V2_ACTOR_MARKER = 0xffff;

export const JournalRecordSchema = z
  .strictObject({
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    kind: z.string().max(MAX_KIND_LENGTH).regex(JOURNAL_KIND_PATTERN),
    at: z.iso.datetime(),
    operator: z.string().regex(OPERATOR_PATTERN).nullable(),
    objects: z.array(z.string().regex(OBJECT_ID_PATTERN)),
    meta: z.string().regex(BASE64URL_PATTERN).nullable(),
    note: z
      .record(z.string().regex(NOTE_KEY_PATTERN), z.number().refine(Number.isFinite))
      .refine((note) => Object.keys(note).length <= MAX_NOTE_KEYS)
      .optional(),
    inline: z.record(z.string().regex(OBJECT_ID_PATTERN), z.string().regex(BASE64URL_PATTERN)).optional(),
    dedupe: z.string().max(MAX_DEDUPE_TAG_LENGTH).regex(DEDUPE_TAG_PATTERN).optional(),
    actor: z.string().max(MAX_ACTOR_TEXT).regex(BASE64URL_PATTERN).optional(),
  })
  .refine((record) => record.inline === undefined || Object.keys(record.inline).every((id) => record.objects.includes(id)), {
    message: 'every inline object is listed in objects',
  });
export type JournalRecord = Readonly<z.infer<typeof JournalRecordSchema>>;

/**
 * JournalRecordSchema compiled by zod (code generated from the schema, so it accepts exactly what
 * the schema accepts), built on first use: every record read (the mind's replays, vault:check, the
 * duplicate index's catch-up) is checked, and safeParse cost several times as much. Where zod is
 * jitless (no `new Function`), the schema itself.
 */
let compiledRecordSchema: { validate(value: unknown): boolean } | undefined;

/** Whether `value` is a journal record (JournalRecordSchema), the fast way. */
export function isJournalRecord(value: unknown): value is JournalRecord {
  compiledRecordSchema ??= z.config().jitless === true ? { validate: (v) => JournalRecordSchema.safeParse(v).success } : z.compile(JournalRecordSchema);
  return compiledRecordSchema.validate(value);
}

/**
 * What is wrong with an inline object's bytes, or null: they must hash to their id, start with a
 * sealed-envelope header of kind `object`, hold at least one chunk tag and fit the inline cap.
 * The CRC of the frame already covers them against tears; this is the content-address check.
 * `knownDigest`: the bytes' SHA-256 (hex) when the caller has just computed it (the journal's
 * append names an inline object by that hash), so the same bytes are not hashed twice.
 */
export function inlineObjectProblem(id: string, bytes: Uint8Array, knownDigest?: string): string | null {
  if (bytes.length < ENVELOPE_HEADER_LENGTH + GCM_TAG_LENGTH) return `${bytes.length} bytes, shorter than the smallest sealed envelope`;
  if (bytes.length > MAX_INLINE_OBJECT_BYTES) return `${bytes.length} bytes, over the inline cap of ${MAX_INLINE_OBJECT_BYTES}`;
  const digest = knownDigest ?? createHash('sha256').update(bytes).digest('hex');
  if (digest !== id) return `content does not match its name (SHA-256 is ${digest}): damaged or altered`;
  try {
    const header = decodeEnvelopeHeader(bytes);
    if (header.kind !== 'object') return `is a sealed envelope of kind ${header.kind}, not object`;
  } catch (error) {
    if (error instanceof EnvelopeError) return `not a sealed envelope (${error.code})`;
    throw error;
  }
  return null;
}

/** Why a frame is not a valid next record. */
export type FrameProblem =
  | 'bad-magic' // the file does not start with HDMSJ001
  | 'short-header' // fewer than 8 bytes left for a frame header (or the magic)
  | 'bad-length' // body length 0 or over 16 MiB
  | 'short-body' // the body runs past the end of the file
  | 'crc' // the body does not match its CRC
  | 'json' // CRC fine but the body is not JSON, or (version 2) not a well-formed binary record (never produced by a crash)
  | 'schema' // CRC fine but the record breaks the schema
  | 'seq'; // CRC fine but seq does not follow the previous one

/** Problems a crash or kill mid-write can leave at the end of the file; the rest mean damage. */
const TEAR_PROBLEMS: ReadonlySet<FrameProblem> = new Set(['short-header', 'bad-length', 'short-body', 'crc']);

export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeUInt32BE(crc32(body), 4);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/**
 * A window over a file for reading frames front to back without holding the whole file; the
 * views it returns are valid until the next `ensure`.
 */
export class FrameWindow {
  private buffer: Buffer;
  private start = 0;
  private length = 0;

  constructor(
    private readonly file: StorageFile,
    private readonly end: number,
    private readonly windowBytes = 1024 * 1024,
    /** How the frames' bodies are encoded (the file's version). */
    readonly format: JournalFormat = 1,
  ) {
    this.buffer = Buffer.allocUnsafe(windowBytes);
  }

  /** Makes bytes [offset, offset + n) available; false if they run past the end. */
  async ensure(offset: number, n: number): Promise<boolean> {
    if (offset + n > this.end) return false;
    if (offset >= this.start && offset + n <= this.start + this.length) return true;
    const capacity = Math.max(this.windowBytes, n);
    if (this.buffer.length < capacity) this.buffer = Buffer.allocUnsafe(capacity);
    const want = Math.min(capacity, this.end - offset);
    const got = await readFully(this.file, this.buffer, 0, want, offset);
    this.start = offset;
    this.length = got;
    return got >= n;
  }

  view(offset: number, n: number): Buffer {
    return this.buffer.subarray(offset - this.start, offset - this.start + n);
  }
}

export type FrameRead =
  | { readonly ok: true; readonly record: JournalRecord; readonly frameBytes: number }
  | { readonly ok: false; readonly problem: FrameProblem };

/** Reads and checks the frame at `offset` (length, CRC, JSON, schema, and seq if `expectSeq` is given). */
/**
 * The size of the frame at `offset` from its header alone (no CRC, no parse): for stepping over
 * records a read does not return. The frames returned after it are still checked whole,
 * including their expected seq, so a wrong step cannot go unnoticed.
 */
export async function frameSize(window: FrameWindow, offset: number): Promise<number | FrameProblem> {
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES))) return 'short-header';
  const length = window.view(offset, FRAME_HEADER_BYTES).readUInt32BE(0);
  if (length === 0 || length > MAX_RECORD_BYTES) return 'bad-length';
  return FRAME_HEADER_BYTES + length;
}

export async function readFrame(window: FrameWindow, offset: number, expectSeq?: number): Promise<FrameRead> {
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES))) return { ok: false, problem: 'short-header' };
  const header = window.view(offset, FRAME_HEADER_BYTES);
  const length = header.readUInt32BE(0);
  const checksum = header.readUInt32BE(4);
  if (length === 0 || length > MAX_RECORD_BYTES) return { ok: false, problem: 'bad-length' };
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES + length))) return { ok: false, problem: 'short-body' };
  const body = window.view(offset + FRAME_HEADER_BYTES, length);
  if (crc32(body) !== checksum) return { ok: false, problem: 'crc' };
  let json: unknown;
  if (window.format === 2) {
    json = decodeRecordV2(body);
    if (json === null) return { ok: false, problem: 'json' };
  } else {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, problem: 'json' };
    }
  }
  if (!isJournalRecord(json)) return { ok: false, problem: 'schema' };
  if (expectSeq !== undefined && json.seq !== expectSeq) return { ok: false, problem: 'seq' };
  return { ok: true, record: json, frameBytes: FRAME_HEADER_BYTES + length };
}

export interface ScanResult {
  /** The file's version (from its magic; 2 for an empty file, which becomes a version-2 journal). */
  readonly format: JournalFormat;
  readonly fileSize: number;
  readonly records: number;
  readonly lastSeq: number;
  /** End of the last good record (or of the magic): where the next record goes. */
  readonly goodEnd: number;
  /** The first problem, or null if the file ends cleanly after a good record. */
  readonly problem: { readonly offset: number; readonly kind: FrameProblem } | null;
  /**
   * `torn`: a problem a crash leaves, with no valid record after it: truncating to `goodEnd`
   * loses only writes that were never acknowledged. `corrupt`: anything else: refuse.
   */
  readonly verdict: 'clean' | 'torn' | 'corrupt';
}

/** May return a promise (for example to let an index write out what it gathered): the scan waits for it. */
export type RecordVisitor = (record: JournalRecord, offset: number, frameBytes: number) => void | Promise<void>;

/** Verifies a whole journal file front to back, calling `visit` for each good record. Reads only. */
export async function scanJournal(file: StorageFile, fileSize: number, visit?: RecordVisitor): Promise<ScanResult> {
  if (fileSize < JOURNAL_MAGIC_LENGTH) {
    const head = Buffer.alloc(fileSize);
    await readFully(file, head, 0, fileSize, 0);
    const isPrefix = head.equals(JOURNAL_MAGIC_V2.subarray(0, fileSize)) || head.equals(JOURNAL_MAGIC_V1.subarray(0, fileSize));
    return {
      format: 2,
      fileSize,
      records: 0,
      lastSeq: 0,
      goodEnd: 0,
      problem: fileSize === 0 ? null : { offset: 0, kind: isPrefix ? 'short-header' : 'bad-magic' },
      verdict: fileSize === 0 ? 'clean' : isPrefix ? 'torn' : 'corrupt',
    };
  }
  const magic = Buffer.alloc(JOURNAL_MAGIC_LENGTH);
  await readFully(file, magic, 0, JOURNAL_MAGIC_LENGTH, 0);
  const format = journalFormatOf(magic);
  if (format === null) {
    return { format: 2, fileSize, records: 0, lastSeq: 0, goodEnd: 0, problem: { offset: 0, kind: 'bad-magic' }, verdict: 'corrupt' };
  }
  const window = new FrameWindow(file, fileSize, undefined, format);
  let offset = JOURNAL_MAGIC_LENGTH;
  let lastSeq = 0;
  let records = 0;
  while (offset < fileSize) {
    const read = await readFrame(window, offset, lastSeq + 1);
    if (!read.ok) {
      const torn = TEAR_PROBLEMS.has(read.problem) && (await findValidFrameAfter(file, offset + 1, fileSize, format)) === null;
      return { format, fileSize, records, lastSeq, goodEnd: offset, problem: { offset, kind: read.problem }, verdict: torn ? 'torn' : 'corrupt' };
    }
    const visited = visit?.(read.record, offset, read.frameBytes);
    if (visited !== undefined) await visited;
    records++;
    lastSeq = read.record.seq;
    offset += read.frameBytes;
  }
  return { format, fileSize, records, lastSeq, goodEnd: offset, problem: null, verdict: 'clean' };
}

/** The version a journal's first 8 bytes name, or null when they are no journal magic. */
export function journalFormatOf(magic: Uint8Array): JournalFormat | null {
  const head = Buffer.from(magic.buffer, magic.byteOffset, Math.min(magic.byteLength, JOURNAL_MAGIC_LENGTH));
  if (head.equals(JOURNAL_MAGIC_V2)) return 2;
  if (head.equals(JOURNAL_MAGIC_V1)) return 1;
  return null;
}

/**
 * The offset of the first CRC-valid, schema-valid record at or after `from`, trying every byte
 * offset, or null. Cheap in practice for version 1: JSON text never reads as a plausible length
 * (its bytes are ≥ 0x20, so any u32 from it exceeds 16 MiB), so only real frame headers cost a
 * CRC. Version-2 bodies hold binary, so more offsets cost a CRC; it runs only after a tear.
 */
export async function findValidFrameAfter(file: StorageFile, from: number, fileSize: number, format: JournalFormat = 1): Promise<number | null> {
  const scan = new FrameWindow(file, fileSize, 4 * 1024 * 1024, format);
  const probe = new FrameWindow(file, fileSize, undefined, format);
  for (let offset = from; offset + FRAME_HEADER_BYTES < fileSize; offset++) {
    if (!(await scan.ensure(offset, FRAME_HEADER_BYTES))) break;
    const length = scan.view(offset, 4).readUInt32BE(0);
    if (length === 0 || length > MAX_RECORD_BYTES || offset + FRAME_HEADER_BYTES + length > fileSize) continue;
    const read = await readFrame(probe, offset);
    if (read.ok) return offset;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Version 2: the binary record body (layout in the file comment)

const SHA256_BYTES = 32;
/** The fixed part before the kind: seq (8) and at (8). */
const V2_SEQ_AT_BYTES = 16;

/** A record's content without seq and at, checked by the journal before it is encoded. */
export interface RecordFieldsV2 {
  readonly kind: string;
  readonly operator: string | null;
  readonly dedupe?: string;
  readonly objects: readonly string[];
  readonly note?: Readonly<Record<string, number>>;
  readonly meta: Uint8Array | null;
  /** Inline objects: index into `objects` and the sealed bytes. */
  readonly inline: ReadonlyArray<{ readonly index: number; readonly bytes: Uint8Array }>;
  /** The body's sealed actor of a mind event (see the file comment). */
  readonly actor?: Uint8Array;
}

/** Everything of a version-2 body after seq and at; the journal prefixes those when it commits. */
export function encodeRecordTailV2(fields: RecordFieldsV2): Buffer {
  const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
  const kind = ascii(fields.kind);
  const operator = fields.operator === null ? Buffer.alloc(0) : ascii(fields.operator);
  const dedupe = fields.dedupe === undefined ? Buffer.alloc(0) : ascii(fields.dedupe);
  const noteEntries = Object.entries(fields.note ?? {});
  const parts: Uint8Array[] = [];
  const byte = (value: number): void => void parts.push(Uint8Array.of(value));
  const u16 = (value: number): void => {
    const out = Buffer.allocUnsafe(2);
    out.writeUInt16BE(value, 0);
    parts.push(out);
  };
  const u32 = (value: number): void => {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(value, 0);
    parts.push(out);
  };
  byte(kind.length);
  parts.push(kind);
  byte(operator.length);
  parts.push(operator);
  byte(dedupe.length);
  parts.push(dedupe);
  u16(fields.objects.length);
  for (const id of fields.objects) parts.push(Buffer.from(id, 'hex'));
  byte(noteEntries.length);
  for (const [key, value] of noteEntries) {
    const name = ascii(key);
    byte(name.length);
    parts.push(name);
    const number = Buffer.allocUnsafe(8);
    number.writeDoubleBE(value, 0);
    parts.push(number);
  }
  u32(fields.meta === null ? 0 : fields.meta.length);
  if (fields.meta !== null) parts.push(fields.meta);
  if (fields.actor !== undefined) {
    u16(V2_ACTOR_MARKER);
    u32(fields.actor.length);
    parts.push(fields.actor);
  }
  for (const { index, bytes } of fields.inline) {
    u16(index);
    u32(bytes.length);
    parts.push(bytes);
  }
  return Buffer.concat(parts);
}

/** A version-2 body: seq and at (milliseconds since the epoch), then the tail. */
export function encodeRecordV2(seq: number, atMs: number, tail: Uint8Array): Buffer {
  const body = Buffer.allocUnsafe(V2_SEQ_AT_BYTES + tail.length);
  body.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
  body.writeUInt32BE(seq >>> 0, 4);
  body.writeUInt32BE(Math.floor(atMs / 0x1_0000_0000), 8);
  body.writeUInt32BE(atMs >>> 0, 12);
  body.set(tail, V2_SEQ_AT_BYTES);
  return body;
}

/**
 * A version-2 body as the record shape version 1 stores (sealed bytes as base64url), for the
 * schema to check; null when the bytes do not follow the layout (a length runs past the end, a
 * field is cut, an inline index points at no object).
 */
export function decodeRecordV2(body: Buffer): Record<string, unknown> | null {
  let at = 0;
  const need = (n: number): boolean => at + n <= body.length;
  const u8 = (): number | null => (need(1) ? body[at++]! : null);
  const text = (length: number): string | null => {
    if (!need(length)) return null;
    const out = body.toString('latin1', at, at + length);
    at += length;
    return out;
  };
  if (!need(V2_SEQ_AT_BYTES)) return null;
  const seq = body.readUInt32BE(0) * 0x1_0000_0000 + body.readUInt32BE(4);
  const atMs = body.readUInt32BE(8) * 0x1_0000_0000 + body.readUInt32BE(12);
  at = V2_SEQ_AT_BYTES;
  const when = new Date(atMs);
  if (!Number.isSafeInteger(seq) || Number.isNaN(when.getTime())) return null;
  const kindLength = u8();
  const kind = kindLength === null ? null : text(kindLength);
  const operatorLength = u8();
  const operator = operatorLength === null ? null : text(operatorLength);
  const dedupeLength = u8();
  const dedupe = dedupeLength === null ? null : text(dedupeLength);
  if (kind === null || operator === null || dedupe === null || !need(2)) return null;
  const objectCount = body.readUInt16BE(at);
  at += 2;
  if (!need(objectCount * SHA256_BYTES)) return null;
  const objects: string[] = [];
  for (let i = 0; i < objectCount; i++, at += SHA256_BYTES) objects.push(body.toString('hex', at, at + SHA256_BYTES));
  const noteCount = u8();
  if (noteCount === null) return null;
  let note: Record<string, number> | undefined;
  for (let i = 0; i < noteCount; i++) {
    const keyLength = u8();
    const key = keyLength === null ? null : text(keyLength);
    if (key === null || !need(8)) return null;
    note ??= {};
    note[key] = body.readDoubleBE(at);
    at += 8;
  }
  if (!need(4)) return null;
  const metaLength = body.readUInt32BE(at);
  at += 4;
  if (!need(metaLength)) return null;
  const meta = metaLength === 0 ? null : body.toString('base64url', at, at + metaLength);
  at += metaLength;
  let inline: Record<string, string> | undefined;
  let actor: string | undefined;
  while (at < body.length) {
    if (!need(6)) return null;
    const index = body.readUInt16BE(at);
    const length = body.readUInt32BE(at + 2);
    at += 6;
    if (index === V2_ACTOR_MARKER) {
      if (actor !== undefined || length === 0 || !need(length)) return null;
      actor = body.toString('base64url', at, at + length);
      at += length;
      continue;
    }
    const id = objects[index];
    if (id === undefined || !need(length) || inline?.[id] !== undefined) return null;
    inline ??= {};
    inline[id] = body.toString('base64url', at, at + length);
    at += length;
  }
  return {
    seq,
    kind,
    at: when.toISOString(),
    operator: operatorLength === 0 ? null : operator,
    objects,
    meta,
    ...(note === undefined ? {} : { note }),
    ...(inline === undefined ? {} : { inline }),
    ...(dedupeLength === 0 ? {} : { dedupe }),
    ...(actor === undefined ? {} : { actor }),
  };
}
