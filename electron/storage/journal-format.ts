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
 * Seq starts at 1 and grows by exactly 1. The CRC detects torn and damaged records (integrity);
 * it is no defence against deliberate tampering, which the signed ledger covers. Nothing here is
 * PHI: `kind` is a short category from a fixed alphabet, `operator` a pseudonymous id, `objects`
 * hashes of sealed bytes, `meta` a sealed envelope, `note` a few numbers.
 */
export const JOURNAL_MAGIC = Buffer.from('HDMSJ001', 'ascii');
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
  })
  .refine((record) => record.inline === undefined || Object.keys(record.inline).every((id) => record.objects.includes(id)), {
    message: 'every inline object is listed in objects',
  });
export type JournalRecord = Readonly<z.infer<typeof JournalRecordSchema>>;

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
  | 'json' // CRC fine but the body is not JSON (never produced by a crash)
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
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, problem: 'json' };
  }
  const parsed = JournalRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: 'schema' };
  if (expectSeq !== undefined && parsed.data.seq !== expectSeq) return { ok: false, problem: 'seq' };
  return { ok: true, record: parsed.data, frameBytes: FRAME_HEADER_BYTES + length };
}

export interface ScanResult {
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
  const window = new FrameWindow(file, fileSize);
  if (fileSize < JOURNAL_MAGIC.length) {
    const head = Buffer.alloc(fileSize);
    await readFully(file, head, 0, fileSize, 0);
    const isPrefix = head.equals(JOURNAL_MAGIC.subarray(0, fileSize));
    return {
      fileSize,
      records: 0,
      lastSeq: 0,
      goodEnd: 0,
      problem: fileSize === 0 ? null : { offset: 0, kind: isPrefix ? 'short-header' : 'bad-magic' },
      verdict: fileSize === 0 ? 'clean' : isPrefix ? 'torn' : 'corrupt',
    };
  }
  await window.ensure(0, JOURNAL_MAGIC.length);
  if (!window.view(0, JOURNAL_MAGIC.length).equals(JOURNAL_MAGIC)) {
    return { fileSize, records: 0, lastSeq: 0, goodEnd: 0, problem: { offset: 0, kind: 'bad-magic' }, verdict: 'corrupt' };
  }
  let offset = JOURNAL_MAGIC.length;
  let lastSeq = 0;
  let records = 0;
  while (offset < fileSize) {
    const read = await readFrame(window, offset, lastSeq + 1);
    if (!read.ok) {
      const torn = TEAR_PROBLEMS.has(read.problem) && (await findValidFrameAfter(file, offset + 1, fileSize)) === null;
      return { fileSize, records, lastSeq, goodEnd: offset, problem: { offset, kind: read.problem }, verdict: torn ? 'torn' : 'corrupt' };
    }
    const visited = visit?.(read.record, offset, read.frameBytes);
    if (visited !== undefined) await visited;
    records++;
    lastSeq = read.record.seq;
    offset += read.frameBytes;
  }
  return { fileSize, records, lastSeq, goodEnd: offset, problem: null, verdict: 'clean' };
}

/**
 * The offset of the first CRC-valid, schema-valid record at or after `from`, trying every byte
 * offset, or null. Cheap in practice: JSON text never reads as a plausible length (its bytes are
 * ≥ 0x20, so any u32 from it exceeds 16 MiB), so only real frame headers cost a CRC.
 */
export async function findValidFrameAfter(file: StorageFile, from: number, fileSize: number): Promise<number | null> {
  const scan = new FrameWindow(file, fileSize, 4 * 1024 * 1024);
  const probe = new FrameWindow(file, fileSize);
  for (let offset = from; offset + FRAME_HEADER_BYTES < fileSize; offset++) {
    if (!(await scan.ensure(offset, FRAME_HEADER_BYTES))) break;
    const length = scan.view(offset, 4).readUInt32BE(0);
    if (length === 0 || length > MAX_RECORD_BYTES || offset + FRAME_HEADER_BYTES + length > fileSize) continue;
    const read = await readFrame(probe, offset);
    if (read.ok) return offset;
  }
  return null;
}
