import { deflateSync, inflateSync } from 'fflate';
import { asBytes, concatBytes, randomBytes, toHex, type Bytes } from './bytes';
import { COMPRESSION_DICTIONARY_IDS, compressionDictionary, type CompressionDictionaryName } from './compression-dictionaries';
import {
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_V2_HEADER_LENGTH,
  ENVELOPE_VERSION_DEFLATED,
  EnvelopeError,
  MAX_DEFLATED_PLAINTEXT,
  GCM_TAG_LENGTH,
  KEK_INFO,
  NONCE_PREFIX_LENGTH,
  SALT_LENGTH,
  decodeEnvelopeHeader,
  encodeEnvelopeHeader,
  type EnvelopeDeflate,
  type EnvelopeHeader,
  type EnvelopeKind,
} from './envelope-format';
import { PieceReader, checkChunkIndex, checkEnvelopeKind, chunkCount, chunkNonce, fixedSizeChunks, sealerChunkSize, takeRandom, type ByteSource } from './envelope-stream';
import { generateP256KeyPair, importP256PrivateScalar, importP256PublicKey, type P256KeyPair } from './p256-keys';

/**
 * Sealing and opening of envelopes (format in envelope-format.ts, design §2).
 *
 * Sealing: one ephemeral ECDH P-256 key pair per Sealer, so the shared secret with the intake key
 * is computed once however many objects are sealed. Per envelope: a fresh 16-byte salt, KEK =
 * HKDF-SHA-256(shared secret, salt, "hdms/envelope/v1/kek"), a fresh random 32-byte data key
 * wrapped with AES-KW under the KEK, a fresh 7-byte nonce prefix. The plaintext is cut into chunks
 * of `chunkSize` bytes, each sealed with AES-256-GCM under the data key with nonce prefix ‖ index
 * (u32 BE) ‖ last flag and the 140 header bytes as associated data (the STREAM construction of
 * Hoang, Reyhanitabar, Rogaway, Vizár): a flipped bit, a swapped or dropped chunk, a cut at a chunk
 * boundary and a changed header all fail authentication.
 *
 * A Sealer's ephemeral private key lives only in memory and is never extractable (except in the
 * deterministic test mode). Every envelope it seals shares the one ECDH secret, separated by the
 * per-envelope salt; a holder of that process's memory could open them, but it also held their
 * plaintext. Create a new Sealer per process start (or per intake batch) if shorter-lived keys
 * are wanted.
 *
 * Streaming caveat (inherent to every chunked AEAD): openStream yields each chunk's plaintext as
 * soon as that chunk is authenticated, before later chunks are read. A consumer must treat the
 * output as provisional until the iteration ends without an error (for example write to a temp
 * file and rename it only then).
 */

export type { ByteSource } from './envelope-stream';

export interface SealerOptions {
  /** Plaintext bytes per chunk, 1 KiB … 16 MiB; 64 KiB by default. */
  readonly chunkSize?: number;
  /**
   * Source of the per-envelope random values; WebCrypto's getRandomValues by default. Test
   * vectors only. Called, per envelope, for the salt (16), the data key (32), the nonce prefix (7).
   */
  readonly random?: (length: number) => Uint8Array;
  /** Test vectors only: the ephemeral private scalar (32 bytes, big-endian) instead of a fresh key. */
  readonly ephemeralPrivateScalar?: Uint8Array;
}

/**
 * How `seal` may compress (envelope version 2): 'plain' = DEFLATE without a dictionary, or the name
 * of a preset dictionary. Only plaintexts up to 1 MiB are compressed, and only when that makes them
 * smaller; otherwise the envelope is a version-1 one.
 */
export type SealCompression = 'plain' | CompressionDictionaryName;

export interface SealOptions {
  readonly compress?: SealCompression;
  /**
   * Room a sealer may write the envelope into, from its start, when it is large enough: the result
   * is then a view of it. Never the plaintext's own bytes. For callers that recycle buffers (the
   * body's intake writing object files: electron/intake/buffer-pool.ts). A sealer may ignore it;
   * the WebCrypto one here does.
   */
  readonly output?: Uint8Array;
}

export interface Sealer {
  readonly chunkSize: number;
  /** The Sealer's ephemeral public key, as written in every header it produces. */
  readonly ephemeralPublicKey: Uint8Array;
  /** Seals a whole plaintext held in memory (chunks are encrypted in parallel). */
  seal(kind: EnvelopeKind, plaintext: Uint8Array, options?: SealOptions): Promise<Uint8Array>;
  /**
   * Seals a stream of any-sized pieces: yields the header, then one sealed chunk at a time. It
   * holds at most one plaintext chunk (the look-ahead that tells whether a chunk is the last) and
   * the chunk being encrypted.
   */
  sealStream(kind: EnvelopeKind, source: ByteSource): AsyncIterable<Uint8Array>;
}

export interface OpenedEnvelope {
  readonly kind: EnvelopeKind;
  readonly header: EnvelopeHeader;
  readonly plaintext: Uint8Array;
}

export interface OpenedStream {
  readonly kind: EnvelopeKind;
  readonly header: EnvelopeHeader;
  /**
   * The plaintext, one chunk at a time; throws EnvelopeError on the first chunk that fails, on a
   * cut (a missing last chunk or a partial chunk) and on bytes after the last chunk. Iterate it
   * once. Treat what it yielded as provisional until the iteration ends without an error.
   */
  readonly plaintext: AsyncIterable<Uint8Array>;
  /** Releases the source without reading the plaintext. */
  cancel(): Promise<void>;
}

export interface Opener {
  open(envelope: Uint8Array): Promise<OpenedEnvelope>;
  /** Reads and checks the header and unwraps the data key before it resolves. */
  openStream(source: ByteSource): Promise<OpenedStream>;
  /** The envelope's data key (AES-256-GCM, decrypt only, not extractable). */
  unwrapDataKey(header: EnvelopeHeader | Uint8Array): Promise<CryptoKey>;
  /**
   * The envelope's data key as 32 raw bytes, to hand one envelope (a backup file) to a party that
   * holds no vault key; it opens that envelope, and nothing else, with openWithDataKey.
   */
  exportDataKey(header: EnvelopeHeader | Uint8Array): Promise<Uint8Array>;
}

const AES_GCM = 'AES-GCM';
const DATA_KEY_LENGTH = 32;
const SHARED_SECRET_CACHE_SIZE = 64;
const KEK_INFO_BYTES = new TextEncoder().encode(KEK_INFO);

function chunkFailure(index: number): EnvelopeError {
  return new EnvelopeError(
    'E_ENVELOPE_AUTH',
    `Chunk ${index} failed authentication: the envelope was altered, reordered, truncated or sealed to another key.`,
  );
}

/** The data key, nonce prefix and header bytes of one envelope: everything its chunks need. */
interface ChunkContext {
  readonly dataKey: CryptoKey;
  readonly noncePrefix: Uint8Array;
  readonly aad: Bytes;
  readonly sealedChunkSize: number;
}

async function encryptChunk(context: ChunkContext, index: number, last: boolean, data: Uint8Array): Promise<Bytes> {
  checkChunkIndex(index);
  const iv = chunkNonce(context.noncePrefix, index, last);
  return new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: AES_GCM, iv, additionalData: context.aad }, context.dataKey, asBytes(data)));
}

/** The chunk's plaintext, or undefined when it does not authenticate with this index and flag. */
async function tryDecryptChunk(context: ChunkContext, index: number, last: boolean, data: Uint8Array): Promise<Bytes | undefined> {
  const iv = chunkNonce(context.noncePrefix, index, last);
  try {
    return new Uint8Array(await globalThis.crypto.subtle.decrypt({ name: AES_GCM, iv, additionalData: context.aad }, context.dataKey, asBytes(data)));
  } catch {
    return undefined;
  }
}

/**
 * Decrypts one chunk whose position is known. On failure it tells apart, with a second
 * authenticated decryption, the two cases that can be proven: the stream stops after a chunk
 * that was sealed as not-last (the last chunk is missing), and bytes follow a chunk sealed as last.
 */
async function decryptChunk(context: ChunkContext, index: number, last: boolean, data: Uint8Array): Promise<Bytes> {
  checkChunkIndex(index);
  const plaintext = await tryDecryptChunk(context, index, last, data);
  if (plaintext !== undefined) return plaintext;
  // Only a full chunk can be either; a short one can only ever be a last chunk.
  if (data.length === context.sealedChunkSize && (await tryDecryptChunk(context, index, !last, data)) !== undefined) {
    throw last
      ? new EnvelopeError('E_ENVELOPE_TRUNCATED', `The envelope ends after chunk ${index}: its last chunk is missing.`)
      : new EnvelopeError('E_ENVELOPE_FORMAT', `Unexpected bytes follow the envelope's last chunk (${index}).`);
  }
  throw chunkFailure(index);
}

function checkCanonicalLastChunk(index: number, plaintextLength: number): void {
  if (index > 0 && plaintextLength === 0) {
    // Our sealer flags the last full chunk as last; an empty chunk after it means another writer.
    throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The envelope ends with an empty chunk after a full one, which version 1 does not allow.');
  }
}

/** The dictionary id and bytes a SealCompression names. */
export function compressionOf(compress: SealCompression): { readonly id: number; readonly dictionary: Uint8Array | undefined } {
  if (compress === 'plain') return { id: 0, dictionary: undefined };
  const id = COMPRESSION_DICTIONARY_IDS[compress];
  if (id === undefined) throw new TypeError(`Unknown compression dictionary ${String(compress)}.`);
  return { id, dictionary: compressionDictionary(id) };
}

/**
 * The plaintext to seal and the version-2 fields, or the plaintext as it is (deflate: null) when
 * compression is not asked for, the plaintext is over 1 MiB, or DEFLATE does not make it smaller.
 */
export function maybeDeflate(plaintext: Uint8Array, compress: SealCompression | undefined): { readonly data: Uint8Array; readonly deflate: EnvelopeDeflate | null } {
  if (compress === undefined || plaintext.length > MAX_DEFLATED_PLAINTEXT) return { data: plaintext, deflate: null };
  const { id, dictionary } = compressionOf(compress);
  const deflated = deflateSync(plaintext, dictionary === undefined ? { level: 6 } : { level: 6, dictionary });
  if (deflated.length >= plaintext.length) return { data: plaintext, deflate: null };
  return { data: deflated, deflate: { dictionary: id, plaintextLength: plaintext.length } };
}

/** Inflates a version-2 envelope's authenticated content; anything but exactly the declared length is refused. */
export function inflatePlaintext(deflate: EnvelopeDeflate, data: Uint8Array): Uint8Array {
  const dictionary = deflate.dictionary === 0 ? undefined : compressionDictionary(deflate.dictionary);
  if (deflate.dictionary !== 0 && dictionary === undefined) {
    throw new EnvelopeError('E_ENVELOPE_VERSION', `The envelope was compressed with dictionary ${deflate.dictionary}, which this build does not have.`);
  }
  // One byte of room past the declared length tells "too long" from "exactly right" without inflating more.
  const out = new Uint8Array(deflate.plaintextLength + 1);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data, dictionary === undefined ? { out } : { out, dictionary });
  } catch {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The envelope authenticated but its compressed content is not valid DEFLATE.');
  }
  if (inflated.length !== deflate.plaintextLength) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The envelope authenticated but its compressed content does not inflate to its declared length.');
  }
  return inflated;
}

async function importDataKey(raw: Uint8Array, usages: KeyUsage[], extractable = false): Promise<CryptoKey> {
  if (raw.length !== DATA_KEY_LENGTH) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'A data key must be 32 bytes.');
  return globalThis.crypto.subtle.importKey('raw', asBytes(raw), AES_GCM, extractable, usages);
}

/** Imports 32 raw data-key bytes (from Opener.exportDataKey) as a decrypt-only key. */
export function importEnvelopeDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return importDataKey(raw, ['decrypt']);
}

// ---------------------------------------------------------------------------------------------
// Sealing

/**
 * KEK = HKDF-SHA-256(shared secret, salt, KEK_INFO) as an AES-KW key. deriveBits + importKey is
 * the same computation as deriveKey, and in Node 20 it costs about two thirds of it.
 */
async function deriveKek(secretKey: CryptoKey, salt: Uint8Array, usage: 'wrapKey' | 'unwrapKey'): Promise<CryptoKey> {
  const bits = await globalThis.crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: asBytes(salt), info: KEK_INFO_BYTES }, secretKey, 256);
  try {
    return await globalThis.crypto.subtle.importKey('raw', bits, 'AES-KW', false, [usage]);
  } finally {
    new Uint8Array(bits).fill(0);
  }
}

/**
 * A Sealer for the vault's intake public key (a CryptoKey, or the raw uncompressed 65-byte point).
 * It generates one ephemeral key pair and computes the ECDH secret once.
 */
export async function createSealer(intakePublicKey: CryptoKey | Uint8Array, options: SealerOptions = {}): Promise<Sealer> {
  const chunkSize = sealerChunkSize(options.chunkSize);
  const random = options.random ?? randomBytes;
  const intakeKey = intakePublicKey instanceof Uint8Array ? await importP256PublicKey(intakePublicKey) : intakePublicKey;
  if (intakeKey.type !== 'public' || intakeKey.algorithm.name !== 'ECDH' || (intakeKey.algorithm as KeyAlgorithm & { namedCurve?: string }).namedCurve !== 'P-256') {
    throw new TypeError('The intake key must be an ECDH P-256 public key.');
  }
  const ephemeral: P256KeyPair =
    options.ephemeralPrivateScalar === undefined ? await generateP256KeyPair() : await importP256PrivateScalar(options.ephemeralPrivateScalar);
  const secret = await globalThis.crypto.subtle.deriveBits({ name: 'ECDH', public: intakeKey }, ephemeral.privateKey, 256);
  const secretKey = await globalThis.crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  new Uint8Array(secret).fill(0);

  const randomOf = (length: number): Bytes => takeRandom(random, length);

  /** Header and chunk context of a new envelope: fresh salt, data key and nonce prefix. */
  async function beginEnvelope(kind: EnvelopeKind, deflate: EnvelopeDeflate | null = null): Promise<{ header: Bytes; context: ChunkContext }> {
    checkEnvelopeKind(kind);
    const salt = randomOf(SALT_LENGTH);
    const rawDataKey = randomOf(DATA_KEY_LENGTH);
    const noncePrefix = randomOf(NONCE_PREFIX_LENGTH);
    const [kek, dataKey] = await Promise.all([
      deriveKek(secretKey, salt, 'wrapKey'),
      // Extractable only because AES-KW wraps extractable keys; the handle lives as long as this envelope.
      importDataKey(rawDataKey, ['encrypt'], true),
    ]);
    rawDataKey.fill(0);
    const wrappedKey = new Uint8Array(await globalThis.crypto.subtle.wrapKey('raw', dataKey, kek, 'AES-KW'));
    const header = encodeEnvelopeHeader({ kind, chunkSize, ephemeralPublicKey: ephemeral.publicKeyRaw, salt, noncePrefix, wrappedKey, deflate }) as Bytes;
    return { header, context: { dataKey, noncePrefix, aad: header, sealedChunkSize: chunkSize + GCM_TAG_LENGTH } };
  }

  async function seal(kind: EnvelopeKind, input: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
    if (!(input instanceof Uint8Array)) throw new TypeError('The plaintext must be a Uint8Array.');
    const { data: plaintext, deflate } = maybeDeflate(input, options.compress);
    const { header, context } = await beginEnvelope(kind, deflate);
    const chunks = chunkCount(plaintext.length, chunkSize);
    const sealed = await Promise.all(
      Array.from({ length: chunks }, (_, index) =>
        encryptChunk(context, index, index === chunks - 1, plaintext.subarray(index * chunkSize, (index + 1) * chunkSize)),
      ),
    );
    return concatBytes(header, ...sealed);
  }

  async function* sealStream(kind: EnvelopeKind, source: ByteSource): AsyncGenerator<Uint8Array> {
    const reader = new PieceReader(source);
    try {
      const { header, context } = await beginEnvelope(kind);
      yield header.slice();
      // One chunk of look-ahead: a full chunk is sealed as not-last only once another byte arrives.
      for await (const { index, last, data } of fixedSizeChunks(() => reader.next(), chunkSize)) {
        yield await encryptChunk(context, index, last, data);
      }
    } finally {
      await reader.close();
    }
  }

  return { chunkSize, ephemeralPublicKey: ephemeral.publicKeyRaw.slice(), seal, sealStream };
}

// ---------------------------------------------------------------------------------------------
// Opening

function headerOf(header: EnvelopeHeader | Uint8Array): EnvelopeHeader {
  return header instanceof Uint8Array ? decodeEnvelopeHeader(header) : header;
}

function chunkContext(header: EnvelopeHeader, dataKey: CryptoKey): ChunkContext {
  return { dataKey, noncePrefix: header.noncePrefix, aad: asBytes(header.bytes), sealedChunkSize: header.chunkSize + GCM_TAG_LENGTH };
}

async function openWithContext(header: EnvelopeHeader, context: ChunkContext, envelope: Uint8Array): Promise<OpenedEnvelope> {
  const body = envelope.subarray(header.headerLength);
  if (body.length === 0) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'The envelope has a header but no chunk.');
  const { sealedChunkSize } = context;
  const chunks = Math.ceil(body.length / sealedChunkSize);
  const lastLength = body.length - (chunks - 1) * sealedChunkSize;
  checkChunkIndex(chunks - 1);
  // Chunks are decrypted in parallel; the first failure in chunk order is reported, so a short
  // tail after a full last chunk reads as trailing bytes (chunk n − 2 opens only as last), not a cut.
  const results = await Promise.allSettled(
    Array.from({ length: chunks }, (_, index) => {
      if (index === chunks - 1 && lastLength < GCM_TAG_LENGTH) {
        return Promise.reject(
          new EnvelopeError('E_ENVELOPE_TRUNCATED', `The envelope is cut short: its last chunk (${index}) is shorter than an authentication tag.`),
        );
      }
      const start = index * sealedChunkSize;
      const end = Math.min(body.length, start + sealedChunkSize);
      return decryptChunk(context, index, index === chunks - 1, body.subarray(start, end));
    }),
  );
  const plaintexts: Uint8Array[] = [];
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
    plaintexts.push(result.value);
  }
  checkCanonicalLastChunk(chunks - 1, plaintexts[chunks - 1]!.length);
  const content = concatBytes(...plaintexts);
  return { kind: header.kind, header, plaintext: header.deflate === null ? content : inflatePlaintext(header.deflate, content) };
}

/** A version-2 envelope's plaintext stream: gathered (at most 1 MiB, checked as it comes), inflated, yielded once. */
async function* inflatedChunks(deflate: EnvelopeDeflate, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for await (const piece of chunks) {
    length += piece.length;
    // DEFLATE never shrinks input by less than nothing: compressed content longer than 1 MiB is not ours.
    if (length > MAX_DEFLATED_PLAINTEXT + 1024) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'A compressed envelope is larger than any this format allows.');
    pieces.push(piece);
  }
  yield inflatePlaintext(deflate, concatBytes(...pieces));
}

/** Reads the rest of `reader` after the header, with one sealed chunk of look-ahead. */
async function* openChunks(context: ChunkContext, reader: PieceReader, leftover: Uint8Array): AsyncGenerator<Uint8Array> {
  let first: Uint8Array | undefined = leftover.length > 0 ? leftover : undefined;
  const next = (): Promise<Uint8Array | undefined> => {
    if (first === undefined) return reader.next();
    const piece = first;
    first = undefined;
    return Promise.resolve(piece);
  };
  try {
    for await (const { index, last, data } of fixedSizeChunks(next, context.sealedChunkSize)) {
      if (!last) {
        yield await decryptChunk(context, index, false, data);
        continue;
      }
      if (data.length === 0) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'The envelope has a header but no chunk.');
      if (data.length < GCM_TAG_LENGTH) {
        throw new EnvelopeError('E_ENVELOPE_TRUNCATED', `The envelope is cut short: its last chunk (${index}) is shorter than an authentication tag.`);
      }
      const plaintext = await decryptChunk(context, index, true, data);
      checkCanonicalLastChunk(index, plaintext.length);
      yield plaintext;
    }
  } finally {
    await reader.close();
  }
}

/** Reads exactly the header from the reader; returns it and the bytes that came after it. */
async function readHeader(reader: PieceReader): Promise<{ header: EnvelopeHeader; leftover: Uint8Array }> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  const wanted = (): number => {
    if (length < 5) return ENVELOPE_HEADER_LENGTH;
    const head = pieces.length === 1 ? pieces[0]! : concatBytes(...pieces);
    return head[4] === ENVELOPE_VERSION_DEFLATED ? ENVELOPE_V2_HEADER_LENGTH : ENVELOPE_HEADER_LENGTH;
  };
  while (length < wanted()) {
    const piece = await reader.next();
    if (piece === undefined) break;
    pieces.push(piece);
    length += piece.length;
  }
  const head = concatBytes(...pieces);
  const header = decodeEnvelopeHeader(head); // throws E_ENVELOPE_TRUNCATED when the source ended early
  return { header, leftover: head.subarray(header.headerLength) };
}

async function openStreamWithKey(source: ByteSource, keyFor: (header: EnvelopeHeader) => Promise<CryptoKey>): Promise<OpenedStream> {
  const reader = new PieceReader(source);
  try {
    const { header, leftover } = await readHeader(reader);
    const context = chunkContext(header, await keyFor(header));
    const chunks = openChunks(context, reader, leftover);
    return { kind: header.kind, header, plaintext: header.deflate === null ? chunks : inflatedChunks(header.deflate, chunks), cancel: () => reader.close() };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

async function dataKeyFrom(dataKey: CryptoKey | Uint8Array): Promise<CryptoKey> {
  return dataKey instanceof Uint8Array ? importEnvelopeDataKey(dataKey) : dataKey;
}

/** Opens an envelope with its data key alone (see Opener.exportDataKey); no vault key involved. */
export async function openWithDataKey(dataKey: CryptoKey | Uint8Array, envelope: Uint8Array): Promise<OpenedEnvelope> {
  const header = decodeEnvelopeHeader(envelope);
  return openWithContext(header, chunkContext(header, await dataKeyFrom(dataKey)), envelope);
}

/** The streaming form of openWithDataKey. */
export async function openStreamWithDataKey(dataKey: CryptoKey | Uint8Array, source: ByteSource): Promise<OpenedStream> {
  const key = await dataKeyFrom(dataKey);
  return openStreamWithKey(source, () => Promise.resolve(key));
}

/**
 * An Opener for the vault's intake private key. It caches the ECDH secret per ephemeral public
 * key (a Sealer uses one for all its envelopes), so opening many envelopes costs one ECDH each
 * per Sealer, not per envelope.
 */
export function createOpener(intakePrivateKey: CryptoKey): Opener {
  if (intakePrivateKey.type !== 'private' || intakePrivateKey.algorithm.name !== 'ECDH') {
    throw new TypeError('The intake key must be an ECDH P-256 private key.');
  }
  const secrets = new Map<string, Promise<CryptoKey>>();

  function sharedSecretFor(ephemeralPublicKey: Uint8Array): Promise<CryptoKey> {
    const id = toHex(ephemeralPublicKey);
    const cached = secrets.get(id);
    if (cached !== undefined) {
      secrets.delete(id); // re-insert: the Map's order is the least-recently-used order
      secrets.set(id, cached);
      return cached;
    }
    const derived = (async () => {
      let publicKey: CryptoKey;
      try {
        publicKey = await importP256PublicKey(ephemeralPublicKey);
      } catch {
        throw new EnvelopeError('E_ENVELOPE_FORMAT', "The envelope's ephemeral public key is not a point on P-256.");
      }
      const secret = await globalThis.crypto.subtle.deriveBits({ name: 'ECDH', public: publicKey }, intakePrivateKey, 256);
      const key = await globalThis.crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
      new Uint8Array(secret).fill(0);
      return key;
    })();
    secrets.set(id, derived);
    derived.catch(() => secrets.delete(id));
    while (secrets.size > SHARED_SECRET_CACHE_SIZE) secrets.delete(secrets.keys().next().value!);
    return derived;
  }

  async function unwrap(header: EnvelopeHeader, extractable: boolean): Promise<CryptoKey> {
    const secretKey = await sharedSecretFor(header.ephemeralPublicKey);
    const kek = await deriveKek(secretKey, header.salt, 'unwrapKey');
    try {
      return await globalThis.crypto.subtle.unwrapKey('raw', asBytes(header.wrappedKey), kek, 'AES-KW', AES_GCM, extractable, ['decrypt']);
    } catch {
      throw new EnvelopeError(
        'E_ENVELOPE_AUTH',
        "The envelope's data key could not be unwrapped: the header was altered or the envelope was sealed to another key.",
      );
    }
  }

  return {
    async open(envelope) {
      const header = decodeEnvelopeHeader(envelope);
      return openWithContext(header, chunkContext(header, await unwrap(header, false)), envelope);
    },
    openStream: (source) => openStreamWithKey(source, (header) => unwrap(header, false)),
    unwrapDataKey: (header) => unwrap(headerOf(header), false),
    async exportDataKey(header) {
      const key = await unwrap(headerOf(header), true);
      return new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', key));
    },
  };
}

/** Collects an async iterable of byte pieces into one array (tests, small envelopes). */
export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of source) pieces.push(piece);
  return concatBytes(...pieces);
}

/** Wraps an async iterable of bytes as a ReadableStream (for fetch bodies, Response, pipes). */
export function toReadableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const result = await iterator.next();
      if (result.done === true) controller.close();
      else controller.enqueue(result.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** Random access to the plaintext of a version-1 envelope (see envelopeRangeReader). */
export interface EnvelopeRangeReader {
  readonly header: EnvelopeHeader;
  readonly plaintextLength: number;
  /** `length` plaintext bytes from `offset` (fewer at the end); only the chunks they lie in are read and authenticated. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Reads a large version-1 envelope's plaintext piece by piece instead of whole (a DICOM instance
 * over the viewer's whole-object limit). Chunk i sits at headerLength + i × (chunkSize + 16) and
 * authenticates alone with its index and last flag, so any range can be opened without the rest:
 * a changed, moved or swapped chunk still fails, and so does a cut (the chunk that then ends the
 * envelope was not sealed as last). Only what is read is checked. `readSealed(offset, length)`
 * returns sealed bytes of the envelope from `offset` (at most `length`; shorter only at its end).
 * Version 2 (deflated) cannot be read this way: it is refused.
 */
export function envelopeRangeReader(
  headerBytes: Uint8Array,
  sealedSize: number,
  dataKey: CryptoKey,
  readSealed: (offset: number, length: number) => Promise<Uint8Array>,
): EnvelopeRangeReader {
  const header = decodeEnvelopeHeader(headerBytes);
  if (header.deflate !== null) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'A compressed envelope cannot be read in ranges.');
  const context = chunkContext(header, dataKey);
  const body = sealedSize - header.headerLength;
  if (!Number.isSafeInteger(sealedSize) || body < GCM_TAG_LENGTH) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'The envelope is shorter than its header and one chunk.');
  const chunks = Math.ceil(body / context.sealedChunkSize);
  checkChunkIndex(chunks - 1);
  const lastSealed = body - (chunks - 1) * context.sealedChunkSize;
  if (lastSealed < GCM_TAG_LENGTH) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', `The envelope is cut short: its last chunk (${chunks - 1}) is shorter than an authentication tag.`);
  const plaintextLength = (chunks - 1) * header.chunkSize + lastSealed - GCM_TAG_LENGTH;

  async function read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) throw new RangeError('A plaintext range needs a whole offset and length ≥ 0.');
    const end = Math.min(plaintextLength, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const first = Math.floor(offset / header.chunkSize);
    const last = Math.floor((end - 1) / header.chunkSize);
    const sealedStart = header.headerLength + first * context.sealedChunkSize;
    const sealedEnd = Math.min(sealedSize, header.headerLength + (last + 1) * context.sealedChunkSize);
    const sealed = await readSealed(sealedStart, sealedEnd - sealedStart);
    if (sealed.length !== sealedEnd - sealedStart) throw new EnvelopeError('E_ENVELOPE_TRUNCATED', 'The envelope ended before the chunks asked for.');
    const plaintexts = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, n) => {
        const start = n * context.sealedChunkSize;
        return decryptChunk(context, first + n, first + n === chunks - 1, sealed.subarray(start, Math.min(sealed.length, start + context.sealedChunkSize)));
      }),
    );
    const joined = plaintexts.length === 1 ? plaintexts[0]! : concatBytes(...plaintexts);
    const from = offset - first * header.chunkSize;
    return joined.subarray(from, from + (end - offset));
  }

  return { header, plaintextLength, read };
}
