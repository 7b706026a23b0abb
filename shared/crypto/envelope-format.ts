/**
 * The sealed envelope's header, version 1 (design §2). Every object in the vault, every journal
 * record's metadata and every backup file starts with it. It holds no secret: `vault:check` reads
 * it without a passphrase, and its bytes are the additional authenticated data of every chunk, so
 * a changed header fails decryption.
 *
 *   offset  size  field
 *        0     4  magic "HDMS"
 *        4     1  format version (1)
 *        5     1  kind (EnvelopeKind)
 *        6     2  header length in bytes, big-endian (140 in version 1)
 *        8     4  plaintext chunk size, big-endian (65536 by default; 1 KiB … 16 MiB)
 *       12    65  sender's ephemeral ECDH P-256 public key, uncompressed (0x04 ‖ X ‖ Y)
 *       77    16  HKDF salt, fresh per envelope
 *       93     7  STREAM nonce prefix, fresh per envelope
 *      100    40  the envelope's data key (AES-256), wrapped with AES-KW under the KEK
 *      140        chunks: ciphertext ‖ 16-byte GCM tag; every chunk but the last holds exactly
 *                 `chunk size` plaintext bytes; the last may be shorter, even empty
 *
 * Version 2 is version 1 with a compressed plaintext (for small payloads: an HL7 message, a
 * journal record's metadata). Bytes 0–139 are laid out as above (byte 4 = 2, header length 146), then
 *      140     1  coding: 1 = DEFLATE (RFC 1951, raw, no zlib wrapper)
 *      141     1  preset dictionary id (compression-dictionaries.ts; 0 = none)
 *      142     4  length of the plaintext after inflating, big-endian (at most 1 MiB)
 *      146        chunks, as in version 1, of the deflated bytes
 * The coding fields are part of the header and so of every chunk's associated data. An opener
 * inflates after authenticating and refuses output of any other length than the declared one, so
 * a deflate bomb cannot make it allocate more than 1 MiB. Compression happens before encryption of
 * a single payload only (never mixing attacker-chosen and secret data in one stream), so the
 * length it reveals is that of one payload that already belongs to the sender.
 *
 * KEK = HKDF-SHA-256(ECDH(ephemeral, intake key), salt, "hdms/envelope/v1/kek").
 * Chunk i's nonce = prefix (7) ‖ i as u32 big-endian (4) ‖ last-chunk flag (1: 0x01 or 0x00).
 */
export const ENVELOPE_MAGIC = new Uint8Array([0x48, 0x44, 0x4d, 0x53]); // "HDMS"
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_LENGTH = 140;
/** Version 2: a deflated plaintext (see above). */
export const ENVELOPE_VERSION_DEFLATED = 2;
export const ENVELOPE_V2_HEADER_LENGTH = 146;
export const CODING_DEFLATE_RAW = 1;
/** The largest plaintext a version-2 envelope may inflate to. */
export const MAX_DEFLATED_PLAINTEXT = 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const GCM_TAG_LENGTH = 16;
export const P256_PUBLIC_KEY_LENGTH = 65;
export const SALT_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 7;
export const WRAPPED_KEY_LENGTH = 40;
export const KEK_INFO = 'hdms/envelope/v1/kek';

/** What an envelope holds. Stored as one byte; values are never reused. */
export const ENVELOPE_KINDS = {
  object: 1, // a raw intake payload or any large blob in the object store
  journalMetadata: 2, // the sealed part of one journal record
  backup: 3, // a whole-vault backup file
} as const;
export type EnvelopeKind = keyof typeof ENVELOPE_KINDS;

export interface EnvelopeHeader {
  readonly version: number;
  readonly kind: EnvelopeKind;
  readonly headerLength: number;
  readonly chunkSize: number;
  readonly ephemeralPublicKey: Uint8Array;
  readonly salt: Uint8Array;
  readonly noncePrefix: Uint8Array;
  readonly wrappedKey: Uint8Array;
  /** Version 2 only: the chunks hold DEFLATE bytes that inflate (with this dictionary) to `plaintextLength`. */
  readonly deflate: EnvelopeDeflate | null;
  /** The header's exact bytes: the additional authenticated data of every chunk. */
  readonly bytes: Uint8Array;
}

export interface EnvelopeDeflate {
  /** A preset dictionary id (compression-dictionaries.ts), or 0 for none. */
  readonly dictionary: number;
  readonly plaintextLength: number;
}

export type EnvelopeErrorCode =
  | 'E_ENVELOPE_TRUNCATED' // fewer bytes than the header or a chunk needs, or the last chunk is missing
  | 'E_ENVELOPE_FORMAT' // not an envelope, or a field out of range
  | 'E_ENVELOPE_VERSION' // a format version this build cannot read
  | 'E_ENVELOPE_AUTH'; // a chunk failed authentication: tampered, reordered, truncated at a chunk boundary, or the wrong key

/** Raised for every envelope failure; the message names the problem, never the content. */
export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

function kindFromByte(value: number): EnvelopeKind | undefined {
  return (Object.keys(ENVELOPE_KINDS) as EnvelopeKind[]).find((kind) => ENVELOPE_KINDS[kind] === value);
}

export function encodeEnvelopeHeader(fields: Omit<EnvelopeHeader, 'bytes' | 'version' | 'headerLength' | 'deflate'> & { readonly deflate?: EnvelopeDeflate | null }): Uint8Array {
  const { kind, chunkSize, ephemeralPublicKey, salt, noncePrefix, wrappedKey } = fields;
  const deflate = fields.deflate ?? null;
  if (ephemeralPublicKey.length !== P256_PUBLIC_KEY_LENGTH || ephemeralPublicKey[0] !== 0x04) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The ephemeral public key must be an uncompressed P-256 point.');
  }
  if (salt.length !== SALT_LENGTH || noncePrefix.length !== NONCE_PREFIX_LENGTH || wrappedKey.length !== WRAPPED_KEY_LENGTH) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', 'Envelope header field has the wrong length.');
  }
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', `Chunk size must be from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes.`);
  }
  if (deflate !== null) checkDeflateFields(deflate.dictionary, deflate.plaintextLength);
  const headerLength = deflate === null ? ENVELOPE_HEADER_LENGTH : ENVELOPE_V2_HEADER_LENGTH;
  const bytes = new Uint8Array(headerLength);
  const view = new DataView(bytes.buffer);
  bytes.set(ENVELOPE_MAGIC, 0);
  bytes[4] = deflate === null ? ENVELOPE_VERSION : ENVELOPE_VERSION_DEFLATED;
  bytes[5] = ENVELOPE_KINDS[kind];
  view.setUint16(6, headerLength);
  view.setUint32(8, chunkSize);
  bytes.set(ephemeralPublicKey, 12);
  bytes.set(salt, 77);
  bytes.set(noncePrefix, 93);
  bytes.set(wrappedKey, 100);
  if (deflate !== null) {
    bytes[140] = CODING_DEFLATE_RAW;
    bytes[141] = deflate.dictionary;
    view.setUint32(142, deflate.plaintextLength);
  }
  return bytes;
}

function checkDeflateFields(dictionary: number, plaintextLength: number): void {
  if (!Number.isInteger(dictionary) || dictionary < 0 || dictionary > 255) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'A dictionary id is a byte.');
  if (!Number.isInteger(plaintextLength) || plaintextLength < 0 || plaintextLength > MAX_DEFLATED_PLAINTEXT) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', `A deflated envelope holds at most ${MAX_DEFLATED_PLAINTEXT} bytes of plaintext.`);
  }
}

/** Parses and checks a header from the first bytes of an envelope (at least 140 of them; 146 for version 2). */
export function decodeEnvelopeHeader(data: Uint8Array): EnvelopeHeader {
  if (data.length < 8) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'Envelope is shorter than its header.');
  for (let i = 0; i < ENVELOPE_MAGIC.length; i++) {
    if (data[i] !== ENVELOPE_MAGIC[i]) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'Not a sealed envelope (bad magic).');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = data[4]!;
  if (version !== ENVELOPE_VERSION && version !== ENVELOPE_VERSION_DEFLATED) {
    throw new EnvelopeError('E_ENVELOPE_VERSION', `Envelope format version ${version} is not supported (this build reads versions ${ENVELOPE_VERSION} and ${ENVELOPE_VERSION_DEFLATED}).`);
  }
  const kind = kindFromByte(data[5]!);
  if (kind === undefined) throw new EnvelopeError('E_ENVELOPE_FORMAT', `Unknown envelope kind ${data[5]}.`);
  const headerLength = view.getUint16(6);
  const expectedLength = version === ENVELOPE_VERSION ? ENVELOPE_HEADER_LENGTH : ENVELOPE_V2_HEADER_LENGTH;
  if (headerLength !== expectedLength) throw new EnvelopeError('E_ENVELOPE_FORMAT', `Header length ${headerLength} is invalid for version ${version}.`);
  if (data.length < headerLength) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'Envelope is shorter than its header.');
  const chunkSize = view.getUint32(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new EnvelopeError('E_ENVELOPE_FORMAT', `Chunk size ${chunkSize} is out of range.`);
  const ephemeralPublicKey = data.slice(12, 77);
  if (ephemeralPublicKey[0] !== 0x04) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The ephemeral public key is not an uncompressed P-256 point.');
  let deflate: EnvelopeDeflate | null = null;
  if (version === ENVELOPE_VERSION_DEFLATED) {
    if (data[140] !== CODING_DEFLATE_RAW) throw new EnvelopeError('E_ENVELOPE_FORMAT', `Unknown plaintext coding ${data[140]}.`);
    deflate = { dictionary: data[141]!, plaintextLength: view.getUint32(142) };
    checkDeflateFields(deflate.dictionary, deflate.plaintextLength);
  }
  return {
    version,
    kind,
    headerLength,
    chunkSize,
    ephemeralPublicKey,
    salt: data.slice(77, 93),
    noncePrefix: data.slice(93, 100),
    wrappedKey: data.slice(100, 140),
    deflate,
    bytes: data.slice(0, headerLength),
  };
}

/**
 * The exact sealed size of a plaintext of `plaintextLength` bytes; lets a reader tell a file cut
 * short at a chunk boundary from a whole one without any key (vault:check uses it).
 */
export function sealedLength(plaintextLength: number, chunkSize: number, headerLength = ENVELOPE_HEADER_LENGTH): number {
  const chunks = Math.max(1, Math.ceil(plaintextLength / chunkSize));
  return headerLength + plaintextLength + chunks * GCM_TAG_LENGTH;
}

/**
 * Whether a sealed body of this many bytes (after the header) can be a complete envelope: every
 * full chunk is chunkSize + 16 bytes and the last chunk at least 16. Any length ≥ 16 is possible,
 * so this is only a floor check; truncation at a chunk boundary is caught by authentication.
 */
export function isPlausibleSealedBodyLength(bodyLength: number): boolean {
  return bodyLength >= GCM_TAG_LENGTH;
}
