import { createCipheriv, createECDH, createHmac, getCiphers, randomFillSync, type webcrypto } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { deflateRawSync } from 'node:zlib';
import { compressionOf, createSealer, type ByteSource, type SealCompression, type SealOptions, type Sealer, type SealerOptions } from '../../shared/crypto/envelope';
import {
  GCM_TAG_LENGTH,
  MAX_DEFLATED_PLAINTEXT,
  KEK_INFO,
  NONCE_PREFIX_LENGTH,
  P256_PUBLIC_KEY_LENGTH,
  SALT_LENGTH,
  encodeEnvelopeHeader,
  type EnvelopeDeflate,
  type EnvelopeKind,
} from '../../shared/crypto/envelope-format';
import { PieceReader, checkChunkIndex, checkEnvelopeKind, chunkCount, chunkNonce, fixedSizeChunks, sealerChunkSize, takeRandom } from '../../shared/crypto/envelope-stream';
import { isValidP256Scalar } from '../../shared/crypto/p256-keys';

/**
 * The body's Sealer: the sealed envelope v1 (shared/crypto/envelope-format.ts, design §2) written
 * with node:crypto instead of WebCrypto, byte for byte the same format: one ephemeral ECDH P-256
 * key per Sealer; per envelope a fresh salt, KEK = HKDF-SHA-256(ECDH secret, salt,
 * "hdms/envelope/v1/kek"), a fresh data key wrapped with AES-KW (RFC 3394) under the KEK, a fresh
 * nonce prefix; AES-256-GCM chunks with STREAM nonces (prefix ‖ index u32 BE ‖ last flag) and the
 * 140 header bytes as associated data; every chunk but the last exactly `chunkSize` bytes, the last
 * possibly empty. Anything it seals opens with the shared `createOpener`, and its deterministic
 * mode reproduces test/shared/crypto/vectors/envelope-v1.json.
 *
 * Why a second implementation (design §3 says "WebCrypto plus well-kept libraries"):
 * - node:crypto is Node's binding to its TLS library (OpenSSL in Node, BoringSSL inside Electron):
 *   a well-kept library, and the same one WebCrypto in Node calls underneath. Nothing here is a
 *   hand-rolled primitive: ECDH, HMAC-SHA-256, AES and AES-GCM are the library's (AES-KW too where
 *   it offers it; see "Electron" below); this file only lays out the bytes the format document
 *   prescribes, including HKDF's two HMAC steps (RFC 5869; `hkdfKek`), which cost less than half of
 *   what node:crypto's `hkdfSync` costs per call.
 * - WebCrypto in Node costs ~0.5 ms of CPU per envelope (argument normalization, key objects per
 *   call, a thread-pool job and a promise per step, garbage); an intake message takes two envelopes.
 *   The same construction through node:crypto's synchronous calls costs a few tens of microseconds
 *   at most (~20 µs of CPU for 900 bytes in plain Node, ~30 µs with the composed key wrap), which
 *   is the difference between ~2,500 and ~9,000 sealed messages/s on one core.
 * - The shared WebCrypto implementation stays the reference (the vectors, the opener) and is the
 *   only one the mind uses (Chromium has no node:crypto).
 *
 * Everything is synchronous on the calling thread. Small payloads (all HL7 and device messages)
 * are sealed at once; `seal` of a large payload lets the event loop run every 16 chunks (1 MiB at
 * the default chunk size), and `sealStream` seals one chunk per step.
 *
 * Electron: inside Electron's main process node:crypto runs on BoringSSL, not OpenSSL. BoringSSL
 * most likely does not offer AES-KW (`id-aes256-wrap`) as an EVP cipher to createCipheriv, and
 * Electron's WebCrypto AES-KW has been reported broken (electron/electron#41720, #31874) — so
 * neither "the library's AES-KW" nor the WebCrypto fallback can be relied on there, and the body
 * could end up unable to seal at all. Hence two key-wrap paths (`KeyWrapPath`):
 * - 'cipher': OpenSSL's `id-aes256-wrap`, used whenever the process offers it (plain Node);
 * - 'composed': RFC 3394 §2.2.1 (the "W" wrapping process, default IV A6A6A6A6A6A6A6A6) composed
 *   here on AES-256-ECB of single 16-byte blocks (`aesKeyWrapComposed`). AES itself stays the
 *   library's; only the standard mode is laid out in this file, as the STREAM construction is on
 *   AES-GCM. It is checked against the RFC 3394 §4.6 vector and the committed envelope vectors.
 * `nodeSealerSupport()` picks the path once per process: every primitive present AND a known-answer
 * envelope reproduced byte for byte ('cipher' first, then 'composed'), and reports which one it
 * chose; `createBodySealer` falls back to the shared WebCrypto Sealer only when neither passes.
 * For the same reason the body validates an intake public key with node:crypto ECDH
 * (`checkIntakePublicKey`), not by building a WebCrypto Sealer. Backup restore needs no key wrap:
 * it receives the raw data key and opens with `openStreamWithDataKey` (WebCrypto AES-GCM only).
 */

const CURVE = 'prime256v1';
const DATA_KEY_LENGTH = 32;
const WRAPPED_KEY_LENGTH = DATA_KEY_LENGTH + 8;
const AES_KW = 'id-aes256-wrap';
const AES_GCM = 'aes-256-gcm';
const AES_ECB = 'aes-256-ecb';
const AES_BLOCK = 16;
const KW_SEMIBLOCK = 8;
const KW_ROUNDS = 6;
/** RFC 3394 §2.2.3.1 default initial value: what WebCrypto's AES-KW uses. */
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** HKDF's T(1) input after the PRK: info ‖ 0x01 (RFC 5869 §2.3; one block gives the 32-byte KEK). */
const KEK_INFO_BLOCK_1 = Buffer.concat([Buffer.from(KEK_INFO, 'utf8'), Buffer.from([0x01])]);
const SHA256_LENGTH = 32;
/** seal() of a large payload yields to the event loop after this many chunks. */
const CHUNKS_PER_TURN = 16;
/** Salt ‖ data key ‖ nonce prefix: 55 bytes per envelope. */
const RANDOM_PER_ENVELOPE = SALT_LENGTH + DATA_KEY_LENGTH + NONCE_PREFIX_LENGTH;
/** The random pool holds this many envelopes' worth of bytes (7,040 bytes); see `createNodeSealer`. */
const RANDOM_POOL_ENVELOPES = 128;

/** What the shared createSealer takes: a WebCrypto ECDH P-256 public key, or its raw uncompressed point. */
export type IntakePublicKey = Parameters<typeof createSealer>[0];

/**
 * How the data key is wrapped (RFC 3394 either way, the same bytes): 'cipher' = node:crypto's
 * `id-aes256-wrap`; 'composed' = `aesKeyWrapComposed` on AES-256-ECB (see the file comment).
 */
export type KeyWrapPath = 'cipher' | 'composed';

export interface NodeSealerOptions extends SealerOptions {
  /** The key-wrap path; by default 'cipher' when this process offers `id-aes256-wrap`, else 'composed'. */
  readonly keyWrap?: KeyWrapPath;
}

/**
 * RFC 3394 §2.2.1 key wrap (index-based "W" process, default IV A6A6A6A6A6A6A6A6) composed on
 * AES-256-ECB of single blocks: A = IV, R[1..n] = key data; for j = 0..5, i = 1..n:
 * B = AES(KEK, A ‖ R[i]), A = MSB64(B) ⊕ t (t = n·j + i), R[i] = LSB64(B); output A ‖ R[1..n].
 * `kek` must be 32 bytes, `keyData` a multiple of 8 bytes, at least 16 (n = 4 for a 256-bit key).
 */
export function aesKeyWrapComposed(kek: Uint8Array, keyData: Uint8Array): Buffer {
  if (kek.length !== 32) throw new RangeError('The AES-KW key-encryption key must be 32 bytes.');
  if (keyData.length < 2 * KW_SEMIBLOCK || keyData.length % KW_SEMIBLOCK !== 0) throw new RangeError('AES-KW wraps a multiple of 8 bytes, at least 16.');
  const n = keyData.length / KW_SEMIBLOCK;
  const out = Buffer.alloc(KW_SEMIBLOCK + keyData.length); // A ‖ R[1] ‖ … ‖ R[n], worked on in place
  out.set(AES_KW_IV, 0);
  out.set(keyData, KW_SEMIBLOCK);
  const block = Buffer.alloc(AES_BLOCK);
  const cipher = createCipheriv(AES_ECB, kek, null);
  cipher.setAutoPadding(false);
  try {
    // The 8-byte moves are plain loops: Buffer#copy and #fill are a native call each, and the five
    // of them per step were about a third of the step's cost (24 steps per 256-bit key).
    for (let j = 0; j < KW_ROUNDS; j++) {
      for (let i = 1; i <= n; i++) {
        const r = i * KW_SEMIBLOCK;
        for (let k = 0; k < KW_SEMIBLOCK; k++) {
          block[k] = out[k]!; // A
          block[KW_SEMIBLOCK + k] = out[r + k]!; // R[i]
        }
        const b = cipher.update(block);
        if (b.length !== AES_BLOCK) throw new Error('AES-256-ECB did not return one block per block.');
        for (let k = 0; k < KW_SEMIBLOCK; k++) {
          out[k] = b[k]!; // A = MSB64(B)
          out[r + k] = b[KW_SEMIBLOCK + k]!; // R[i] = LSB64(B)
          b[k] = 0;
          b[KW_SEMIBLOCK + k] = 0;
        }
        // A ⊕ t, t as a 64-bit big-endian integer (t ≤ 6n, far below 2^32 for any key here).
        const t = n * j + i;
        out[4]! ^= t >>> 24;
        out[5]! ^= (t >>> 16) & 0xff;
        out[6]! ^= (t >>> 8) & 0xff;
        out[7]! ^= t & 0xff;
      }
    }
    cipher.final();
    return out;
  } catch (error) {
    out.fill(0);
    throw error;
  } finally {
    block.fill(0);
  }
}

/** RFC 3394 key wrap of `keyData` under `kek` by the chosen path. */
function aesKeyWrap(path: KeyWrapPath, kek: Uint8Array, keyData: Uint8Array): Buffer {
  if (path === 'composed') return aesKeyWrapComposed(kek, keyData);
  const wrap = createCipheriv(AES_KW, kek, AES_KW_IV);
  const wrapped = wrap.update(keyData); // OpenSSL wraps it all here; final() adds nothing
  const rest = wrap.final();
  return rest.length === 0 ? wrapped : Buffer.concat([wrapped, rest]);
}

/**
 * HKDF-SHA-256 (RFC 5869 §2.2–2.3) of the envelope KEK, composed on the library's HMAC-SHA-256:
 * PRK = HMAC(salt, ikm); KEK = T(1) = HMAC(PRK, "hdms/envelope/v1/kek" ‖ 0x01), one hash block
 * being the 32 bytes needed. The same bytes as `hkdfSync('sha256', ikm, salt, KEK_INFO, 32)`
 * (checked by the tests, the committed vectors and the known answer) at under half its CPU cost:
 * hkdfSync validates its arguments and builds a KeyObject on every call (~9.5 µs against ~4 µs
 * here on Node 20; ~7.5 µs even with the secret as a KeyObject made once). The PRK is wiped; the
 * caller wipes the KEK.
 */
function hkdfKek(ikm: Uint8Array, salt: Uint8Array): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  try {
    const kek = createHmac('sha256', prk).update(KEK_INFO_BLOCK_1).digest();
    if (kek.length !== SHA256_LENGTH) {
      kek.fill(0);
      throw new Error('HMAC-SHA-256 returned a digest of the wrong length.');
    }
    return kek;
  } finally {
    prk.fill(0);
  }
}

/** 'cipher' when this process's node:crypto lists `id-aes256-wrap`, else 'composed'. */
function defaultKeyWrap(): KeyWrapPath {
  return getCiphers().includes(AES_KW) ? 'cipher' : 'composed';
}

/**
 * Checks that `point` is an uncompressed P-256 public key on the curve, with node:crypto ECDH
 * only (no WebCrypto: see the file comment). Throws a TypeError when it is not.
 */
export function checkIntakePublicKey(point: Uint8Array): void {
  if (!(point instanceof Uint8Array) || point.length !== P256_PUBLIC_KEY_LENGTH || point[0] !== 0x04) {
    throw new TypeError('The intake key must be an uncompressed P-256 public key (65 bytes, 0x04 ‖ X ‖ Y).');
  }
  const ecdh = createECDH(CURVE);
  ecdh.generateKeys();
  try {
    // Throws when the point is not on the curve (OpenSSL and BoringSSL check it).
    ecdh.computeSecret(point).fill(0);
  } catch {
    throw new TypeError('The intake key is not a point on P-256.');
  }
}

/** The raw uncompressed point of the intake public key (a CryptoKey is exported, a point is checked). */
async function intakePointOf(intakePublicKey: IntakePublicKey): Promise<Buffer> {
  if (intakePublicKey instanceof Uint8Array) {
    if (intakePublicKey.length !== P256_PUBLIC_KEY_LENGTH || intakePublicKey[0] !== 0x04) {
      throw new TypeError('The intake key must be an uncompressed P-256 public key (65 bytes, 0x04 ‖ X ‖ Y).');
    }
    return Buffer.from(intakePublicKey);
  }
  const algorithm = intakePublicKey.algorithm as { name: string; namedCurve?: string };
  if (intakePublicKey.type !== 'public' || algorithm.name !== 'ECDH' || algorithm.namedCurve !== 'P-256') {
    throw new TypeError('The intake key must be an ECDH P-256 public key.');
  }
  return Buffer.from(await globalThis.crypto.subtle.exportKey('raw', intakePublicKey as unknown as webcrypto.CryptoKey));
}

/** One envelope's secrets and header: everything its chunks need. */
interface Envelope {
  readonly header: Uint8Array;
  readonly dataKey: Uint8Array;
  readonly noncePrefix: Uint8Array;
}

/** Wipes an envelope's data key and nonce prefix once its last chunk is sealed (or sealing stops). */
function endEnvelope(envelope: Envelope): void {
  envelope.dataKey.fill(0);
  envelope.noncePrefix.fill(0);
}

/**
 * A Sealer implemented with node:crypto (see the file comment); same options and output as the
 * shared `createSealer`, including the deterministic test mode (`ephemeralPrivateScalar`, `random`).
 *
 * Per-envelope random values (salt ‖ data key ‖ nonce prefix, 55 bytes) come from a pool: one
 * `randomFillSync` of 128 envelopes' worth (7,040 bytes) into a fresh buffer, handed out in
 * consecutive 55-byte slices, so every byte is handed out once. A `randomFillSync` per envelope
 * cost ~2 µs of CPU, about a tenth of the rest of a small envelope; the pool's one call costs
 * ~0.05 µs per envelope. (Node's own `randomUUID` keeps a cache of random bytes the same way.) A
 * used-up pool is never refilled in place, since a streamed envelope may still hold its data key
 * there: the next pool is a new buffer. Each slice is wiped by its envelope: the salt as soon as
 * the header holds a copy, the data key and nonce prefix when the envelope ends (or fails to
 * begin). The bytes not yet handed out are future secrets held in this process's memory, as the
 * data keys of envelopes being sealed are. With the `random` option (test vectors) there is no
 * pool: the values come from that function, in the shared sealer's order and sizes.
 */
export async function createNodeSealer(intakePublicKey: IntakePublicKey, options: NodeSealerOptions = {}): Promise<Sealer> {
  const chunkSize = sealerChunkSize(options.chunkSize);
  const keyWrap = options.keyWrap ?? defaultKeyWrap();
  if (keyWrap !== 'cipher' && keyWrap !== 'composed') throw new TypeError("keyWrap must be 'cipher' or 'composed'.");
  const intakePoint = await intakePointOf(intakePublicKey);
  const ecdh = createECDH(CURVE);
  if (options.ephemeralPrivateScalar === undefined) {
    ecdh.generateKeys();
  } else {
    if (!isValidP256Scalar(options.ephemeralPrivateScalar)) throw new RangeError('A P-256 private scalar must be 32 bytes and in [1, n − 1].');
    ecdh.setPrivateKey(Buffer.from(options.ephemeralPrivateScalar));
  }
  const ephemeralPublicKey = new Uint8Array(ecdh.getPublicKey());
  let secret: Buffer;
  try {
    // Throws when the point is not on the curve (OpenSSL checks it).
    secret = ecdh.computeSecret(intakePoint);
  } catch {
    throw new TypeError('The intake key is not a point on P-256.');
  }
  const chunkLength = chunkSize;
  const random = options.random;
  /** The random pool (see above): bytes [0, poolUsed) are handed out, the rest not yet. */
  let pool: Buffer | null = null;
  let poolUsed = 0;

  /** The next RANDOM_PER_ENVELOPE bytes of the pool, never handed out before. */
  function takeFromPool(): Buffer {
    if (pool === null || poolUsed + RANDOM_PER_ENVELOPE > pool.length) {
      pool = randomFillSync(Buffer.allocUnsafeSlow(RANDOM_POOL_ENVELOPES * RANDOM_PER_ENVELOPE));
      poolUsed = 0;
    }
    return pool.subarray(poolUsed, (poolUsed += RANDOM_PER_ENVELOPE));
  }

  /** The per-envelope random values, in the order of the shared sealer: salt, data key, nonce prefix. */
  function freshValues(): { salt: Uint8Array; dataKey: Uint8Array; noncePrefix: Uint8Array } {
    if (random === undefined) {
      const bytes = takeFromPool();
      return {
        salt: bytes.subarray(0, SALT_LENGTH),
        dataKey: bytes.subarray(SALT_LENGTH, SALT_LENGTH + DATA_KEY_LENGTH),
        noncePrefix: bytes.subarray(SALT_LENGTH + DATA_KEY_LENGTH),
      };
    }
    const take = (length: number): Uint8Array => takeRandom(random, length);
    const salt = take(SALT_LENGTH);
    const dataKey = take(DATA_KEY_LENGTH);
    return { salt, dataKey, noncePrefix: take(NONCE_PREFIX_LENGTH) };
  }

  function beginEnvelope(kind: EnvelopeKind, deflate: EnvelopeDeflate | null = null): Envelope {
    checkEnvelopeKind(kind);
    const { salt, dataKey, noncePrefix } = freshValues();
    try {
      const kek = hkdfKek(secret, salt);
      let wrappedKey: Buffer;
      try {
        wrappedKey = aesKeyWrap(keyWrap, kek, dataKey);
      } finally {
        kek.fill(0);
      }
      if (wrappedKey.length !== WRAPPED_KEY_LENGTH) throw new Error('AES-KW produced a wrapped key of the wrong length.');
      const header = encodeEnvelopeHeader({ kind, chunkSize, ephemeralPublicKey, salt, noncePrefix, wrappedKey, deflate });
      return { header, dataKey, noncePrefix };
    } catch (error) {
      dataKey.fill(0);
      noncePrefix.fill(0);
      throw error;
    } finally {
      salt.fill(0); // the header holds its copy
    }
  }

  /** Seals chunk `index` of `envelope` into `out` at `offset`; returns the offset after it. */
  function sealChunkInto(envelope: Envelope, index: number, last: boolean, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    checkChunkIndex(index);
    const cipher = createCipheriv(AES_GCM, envelope.dataKey, chunkNonce(envelope.noncePrefix, index, last), { authTagLength: GCM_TAG_LENGTH });
    cipher.setAAD(envelope.header);
    const body = cipher.update(plaintext);
    out.set(body, offset);
    let at = offset + body.length;
    const rest = cipher.final(); // empty for GCM; kept for form
    out.set(rest, at);
    at += rest.length;
    out.set(cipher.getAuthTag(), at);
    return at + GCM_TAG_LENGTH;
  }

  async function seal(kind: EnvelopeKind, input: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
    if (!(input instanceof Uint8Array)) throw new TypeError('The plaintext must be a Uint8Array.');
    const { data: plaintext, deflate } = deflateForSeal(input, options.compress);
    const chunks = chunkCount(plaintext.length, chunkLength);
    const envelope = beginEnvelope(kind, deflate);
    try {
      const length = envelope.header.length + plaintext.length + chunks * GCM_TAG_LENGTH;
      const out = options.output !== undefined && options.output.length >= length ? options.output.subarray(0, length) : new Uint8Array(length);
      out.set(envelope.header, 0);
      let offset = envelope.header.length;
      for (let index = 0; index < chunks; index++) {
        if (index > 0 && index % CHUNKS_PER_TURN === 0) await nextTurn();
        const piece = plaintext.subarray(index * chunkLength, (index + 1) * chunkLength);
        offset = sealChunkInto(envelope, index, index === chunks - 1, piece, out, offset);
      }
      return out;
    } finally {
      endEnvelope(envelope);
    }
  }

  function sealOne(envelope: Envelope, index: number, last: boolean, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + GCM_TAG_LENGTH);
    sealChunkInto(envelope, index, last, plaintext, out, 0);
    return out;
  }

  async function* sealStream(kind: EnvelopeKind, source: ByteSource): AsyncGenerator<Uint8Array> {
    const pieces = new PieceReader(source);
    let envelope: Envelope | null = null;
    try {
      envelope = beginEnvelope(kind);
      yield envelope.header.slice();
      // One chunk of look-ahead: a full chunk is sealed as not-last only once another byte arrives.
      for await (const { index, last, data } of fixedSizeChunks(() => pieces.next(), chunkLength)) {
        yield sealOne(envelope, index, last, data);
      }
    } finally {
      if (envelope !== null) endEnvelope(envelope);
      await pieces.close();
    }
  }

  return { chunkSize, ephemeralPublicKey: ephemeralPublicKey.slice(), seal, sealStream };
}

/** zlib keeps this many bytes of a window free for look-ahead (MIN_LOOKAHEAD): matches reach back window − 262. */
const ZLIB_LOOKAHEAD = 262;
/** An 8 KiB window (windowBits 13) holds a preset dictionary and a payload up to this many bytes together. */
const SMALL_DEFLATE_SPAN = (1 << 13) - ZLIB_LOOKAHEAD;
/**
 * zlib settings for a payload that fits with its dictionary in an 8 KiB window (every HL7 message
 * and its metadata here): a window of 8 KiB instead of 32, a hash of 2^13 heads instead of 2^15
 * (memLevel 6) and an output buffer from Node's small-buffer pool (under 4 KiB) instead of a new
 * 16 KiB one. zlib's state, allocated and touched on every call, falls from ~256 KiB to ~64 KiB;
 * same-session A/B under load: ~50 µs less CPU per message on the pipeline's thread (README "CPU
 * per message in the shell"). Every byte of dictionary and payload stays within reach of a match,
 * so the output is as small (1,200 demo payloads: 603 bytes on average either way).
 */
const SMALL_DEFLATE = { level: 6, windowBits: 13, memLevel: 6, chunkSize: 4095 } as const;

/**
 * The shared sealer's `maybeDeflate` on node:zlib (native, several times faster than the JS
 * DEFLATE the mind uses to inflate; both are RFC 1951, so either opens what the other wrote).
 */
function deflateForSeal(plaintext: Uint8Array, compress: SealCompression | undefined): { readonly data: Uint8Array; readonly deflate: EnvelopeDeflate | null } {
  if (compress === undefined || plaintext.length > MAX_DEFLATED_PLAINTEXT) return { data: plaintext, deflate: null };
  const { id, dictionary } = compressionOf(compress);
  const settings = plaintext.length + (dictionary?.length ?? 0) <= SMALL_DEFLATE_SPAN ? SMALL_DEFLATE : { level: 6 };
  const deflated = deflateRawSync(plaintext, dictionary === undefined ? settings : { ...settings, dictionary });
  if (deflated.length >= plaintext.length) return { data: plaintext, deflate: null };
  return { data: deflated, deflate: { dictionary: id, plaintextLength: plaintext.length } };
}

// ---------------------------------------------------------------------------------------------
// Platform check and the body's choice

/**
 * A known answer: test/shared/crypto/vectors/envelope-v1.json, vector "one byte" (also checked
 * there against the WebCrypto sealer and an independent node:crypto reconstruction).
 */
const KNOWN_ANSWER = {
  chunkSize: 1024,
  plaintext: '41',
  intakePublicKey:
    '04cd9c6b0647e0c8786992d6a94c7c3523e9621d3b87203f67e13fc0dc9e839772a6c2d6ecd663236ddfe1df2072ba876abc83bb7eadf1ebb89896db4b1e2f3205',
  ephemeralPrivateScalar: '9519edc87115ae9a78fea4a79f363c43961248d9c088fe0b183a282d4ef82a7d',
  random: '9e9f2ffec36365f731be168d5f59599a194d93eeca77afe4183e49f9b309b5fc2c7968bb6f886227e5d911cc457738dd614a908535b1e9',
  envelope:
    '48444d530101008c0000040004835f8d68cf0aaad4aae76067e2841ec97ef7653b03a2a6bb7448729e46626b600c942f09bec2e1b7a7db9525e0f57b71068a198be4bca2342543d8507ec3ec05' +
    '9e9f2ffec36365f731be168d5f59599a614a908535b1e9bbc465ee78cc2fa6ec53040a33905bf58e0561630b619f443089e904dafbdcf2c50c6845060eea702ae4c57720b11c9d0c84863ab3a0ef0d0e',
} as const;

/**
 * The self-check's verdict. ok: the node:crypto sealer works, with key wrap by `keyWrap`; when that
 * is 'composed', `cipherRejected` says why the `id-aes256-wrap` cipher was not used.
 */
export type NodeSealerSupport =
  | { readonly ok: true; readonly keyWrap: 'cipher' }
  | { readonly ok: true; readonly keyWrap: 'composed'; readonly cipherRejected: string }
  | { readonly ok: false; readonly reason: string };

let support: Promise<NodeSealerSupport> | null = null;

/** Seals the known answer with `keyWrap`; null when it comes out byte for byte, else why not. */
async function knownAnswerFails(keyWrap: KeyWrapPath): Promise<string | null> {
  try {
    const random = Buffer.from(KNOWN_ANSWER.random, 'hex');
    let used = 0;
    const sealer = await createNodeSealer(Buffer.from(KNOWN_ANSWER.intakePublicKey, 'hex'), {
      chunkSize: KNOWN_ANSWER.chunkSize,
      ephemeralPrivateScalar: Buffer.from(KNOWN_ANSWER.ephemeralPrivateScalar, 'hex'),
      random: (length) => random.subarray(used, (used += length)),
      keyWrap,
    });
    const sealed = Buffer.from(await sealer.seal('object', Buffer.from(KNOWN_ANSWER.plaintext, 'hex'))).toString('hex');
    return sealed === KNOWN_ANSWER.envelope ? null : `node:crypto (${keyWrap} key wrap) sealed the known-answer envelope differently.`;
  } catch (error) {
    return `node:crypto (${keyWrap} key wrap) could not seal the known-answer envelope: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * 'cipher' when `id-aes256-wrap` is listed and seals the known answer; else 'composed' when that
 * seals it; else not ok. Whether AES-256-GCM, AES-256-ECB, HKDF and ECDH work is decided by the
 * known answer itself, not by getCiphers() (whose listing need not match what createCipheriv takes).
 */
async function checkSupport(): Promise<NodeSealerSupport> {
  let cipherRejected = `node:crypto offers no ${AES_KW} cipher in this process.`;
  if (getCiphers().includes(AES_KW)) {
    const failure = await knownAnswerFails('cipher');
    if (failure === null) return { ok: true, keyWrap: 'cipher' };
    cipherRejected = failure;
  }
  const failure = await knownAnswerFails('composed');
  if (failure === null) return { ok: true, keyWrap: 'composed', cipherRejected };
  return { ok: false, reason: `${cipherRejected} ${failure}` };
}

/**
 * Whether this process's node:crypto can seal envelopes (every primitive present, and the known
 * answer reproduced byte for byte), and with which key-wrap path. Checked once per process; logs
 * nothing (the caller may log the verdict).
 */
export function nodeSealerSupport(): Promise<NodeSealerSupport> {
  support ??= checkSupport();
  return support;
}

/**
 * The body's process Sealer: node:crypto when this process supports it (plain Node: always, with
 * the 'cipher' key wrap; Electron/BoringSSL: expected with the 'composed' one), with the key-wrap
 * path the self-check chose; the shared WebCrypto Sealer otherwise. Both write the same format;
 * the intake private key opens both.
 */
export async function createBodySealer(intakePublicKey: IntakePublicKey, options: SealerOptions = {}): Promise<Sealer> {
  const checked = await nodeSealerSupport();
  return checked.ok ? createNodeSealer(intakePublicKey, { ...options, keyWrap: checked.keyWrap }) : createSealer(intakePublicKey, options);
}
