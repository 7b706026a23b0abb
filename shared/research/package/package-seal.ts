import { sha256 } from '@noble/hashes/sha2.js';
import { asBytes, constantTimeEqual, fromHex, toHex, utf8Encode, type Bytes } from '../../crypto/bytes';
import { NONCE_PREFIX_LENGTH, P256_PUBLIC_KEY_LENGTH, SALT_LENGTH, WRAPPED_KEY_LENGTH, encodeEnvelopeHeader, type EnvelopeHeader } from '../../crypto/envelope-format';
import { PieceReader, chunkNonce, checkChunkIndex, fixedSizeChunks, sealerChunkSize, type ByteSource } from '../../crypto/envelope-stream';

/**
 * Sealing a dataset package under a fresh AES-256-GCM key (issue 15 item 4), as a standard
 * envelope (shared/crypto/envelope-format.ts, version 1) that `openStreamWithDataKey` opens.
 *
 * DATA-KEY-ONLY ENVELOPE. The envelope format carries a key slot (ephemeral ECDH key, HKDF salt,
 * AES-KW-wrapped data key) for the vault's intake key. A package has no such recipient: its key
 * goes to the keepers as Shamir shares (key-split.ts), never in the file. The slot is filled with
 * fixed, recognisable values that open nothing:
 *   ephemeral public key = 0x04 ‖ 64 zero bytes (not a point on P-256: an Opener refuses it with
 *                          E_ENVELOPE_FORMAT before any unwrapping),
 *   salt                 = 16 zero bytes,
 *   wrapped key          = 40 zero bytes.
 * The nonce prefix is random as always. The header is every chunk's associated data as in any
 * envelope, so these fields are authenticated too. Kind: 'backup' (3), the kind whose files are
 * already opened by a data key alone (Opener.exportDataKey → openWithDataKey); no new kind was
 * added to shared/crypto. A vault restore handed a package fails on the key slot, not later.
 *
 * STREAMING. The sealer reads any ByteSource, cuts it into chunks of `chunkSize` (64 KiB by
 * default) with one chunk of look-ahead (the last chunk must be flagged), keeps up to `inFlight`
 * chunks being encrypted by Web Crypto at once (Node runs them on its thread pool while this
 * thread hashes), and yields the header then each sealed chunk in order. It holds
 * (inFlight + 1) plaintext chunks at most; gigabytes pass through.
 *
 * CIPHERTEXT HASH. SHA-256 over every sealed byte (header and chunks), computed as they are
 * yielded: what `sha256sum` of the delivered file prints, and what the DATA_DELIVERY entry names.
 * Web Crypto has no incremental digest, so the default is @noble/hashes' SHA-256 (pure JS, about
 * 180 MB/s here); `hasher` lets a Node caller pass node:crypto's.
 *
 * KEY COMMITMENT. commitment = HMAC-SHA-256(key, "hdms/package/v1/commitment" ‖ ciphertext hash
 * (32 bytes)), hex. Chosen over SHA-256(domain ‖ key) because it binds the key to this one
 * delivery: the commitment, the hash and the key are checked together, so a key (or a
 * commitment) from another package never matches. It is binding: the HMAC key is always exactly
 * 32 bytes (zero-padded to the block alike), so two keys with one commitment are a SHA-256
 * collision; and hiding: the key is 256 random bits. AES-GCM alone is not key-committing, and
 * Shamir's combination does not detect a wrong share; a buyer recomputes the commitment from
 * the combined key and the notarized hash and refuses a mismatch before decrypting a byte.
 */

export const PACKAGE_KEY_LENGTH = 32;
export const COMMITMENT_DOMAIN = 'hdms/package/v1/commitment';
/** The envelope kind a package is sealed as (see above). */
export const PACKAGE_ENVELOPE_KIND = 'backup' as const;
/** Chunks encrypted concurrently by default. */
export const DEFAULT_IN_FLIGHT = 4;

/** The key-slot fields of a data-key-only envelope (see above). */
export const DATA_KEY_ONLY_SLOT = {
  ephemeralPublicKey: (() => {
    const point = new Uint8Array(P256_PUBLIC_KEY_LENGTH);
    point[0] = 0x04;
    return point;
  })(),
  salt: new Uint8Array(SALT_LENGTH),
  wrappedKey: new Uint8Array(WRAPPED_KEY_LENGTH),
} as const;

/** Whether a decoded header carries the data-key-only slot (so no vault key can open it). */
export function isDataKeyOnlyHeader(header: Pick<EnvelopeHeader, 'ephemeralPublicKey' | 'salt' | 'wrappedKey'>): boolean {
  const zero = (bytes: Uint8Array, from = 0): boolean => bytes.subarray(from).every((b) => b === 0);
  return header.ephemeralPublicKey[0] === 0x04 && zero(header.ephemeralPublicKey, 1) && zero(header.salt) && zero(header.wrappedKey);
}

/** A fresh random package key (256 bits, Web Crypto). */
export function newPackageKey(): Bytes {
  return globalThis.crypto.getRandomValues(new Uint8Array(PACKAGE_KEY_LENGTH));
}

/** An incremental hash (SHA-256 unless a test says otherwise). */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}
export type HashFactory = () => IncrementalHash;

/** SHA-256 from @noble/hashes: runs in the renderer and in Node alike. */
export const sha256Incremental: HashFactory = () => {
  const hash = sha256.create();
  return {
    update: (data) => void hash.update(data),
    digest: () => hash.digest(),
  };
};

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== PACKAGE_KEY_LENGTH) throw new RangeError('A package key is 32 bytes.');
}

function digestBytes(hash: Uint8Array | string): Bytes {
  const bytes = typeof hash === 'string' ? (/^[0-9a-f]{64}$/.test(hash) ? fromHex(hash) : null) : asBytes(hash);
  if (bytes === null || bytes.length !== 32) throw new RangeError('A ciphertext hash is 32 bytes (or 64 lowercase hex digits).');
  return bytes;
}

/** HMAC-SHA-256(key, COMMITMENT_DOMAIN ‖ ciphertext hash), hex (see above). */
export async function keyCommitment(key: Uint8Array, ciphertextSha256: Uint8Array | string): Promise<string> {
  checkKey(key);
  const hmacKey = await globalThis.crypto.subtle.importKey('raw', asBytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const domain = utf8Encode(COMMITMENT_DOMAIN);
  const message = new Uint8Array(domain.length + 32);
  message.set(domain, 0);
  message.set(digestBytes(ciphertextSha256), domain.length);
  return toHex(new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', hmacKey, message)));
}

/** Whether `key` is the one `commitment` names for the package with this ciphertext hash (constant-time compare). */
export async function checkKeyCommitment(key: Uint8Array, ciphertextSha256: Uint8Array | string, commitment: string): Promise<boolean> {
  if (!(key instanceof Uint8Array) || key.length !== PACKAGE_KEY_LENGTH || !/^[0-9a-f]{64}$/.test(commitment)) return false;
  return constantTimeEqual(utf8Encode(await keyCommitment(key, ciphertextSha256)), utf8Encode(commitment));
}

export interface SealSummary {
  /** SHA-256 of every sealed byte, hex. */
  readonly ciphertextSha256: string;
  /** See KEY COMMITMENT above, hex. */
  readonly keyCommitment: string;
  readonly sealedLength: number;
  readonly plaintextLength: number;
}

export interface SealWithDataKeyOptions {
  /** Plaintext bytes per chunk, 1 KiB … 16 MiB; 64 KiB by default. */
  readonly chunkSize?: number;
  /** Chunks encrypted at once (1…32, default 4). */
  readonly inFlight?: number;
  readonly hasher?: HashFactory;
  /** Test vectors only: the 7-byte nonce prefix. */
  readonly noncePrefix?: Uint8Array;
}

export interface SealingStream {
  /** The envelope's bytes: the header, then one sealed chunk at a time. Iterate once. */
  readonly stream: AsyncIterable<Uint8Array>;
  /** Settles when `stream` has ended (or failed): the hash, the commitment, the lengths. */
  readonly summary: Promise<SealSummary>;
}

/**
 * Seals `source` under the raw 32-byte `key` as a data-key-only envelope (see above). Nothing is
 * read until `stream` is iterated.
 */
export function sealWithDataKey(key: Uint8Array, source: ByteSource, options: SealWithDataKeyOptions = {}): SealingStream {
  checkKey(key);
  const chunkSize = sealerChunkSize(options.chunkSize);
  const inFlight = options.inFlight ?? DEFAULT_IN_FLIGHT;
  if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > 32) throw new RangeError('inFlight is 1 to 32.');
  const noncePrefix = options.noncePrefix === undefined ? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_PREFIX_LENGTH)) : new Uint8Array(options.noncePrefix);
  if (noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new RangeError('A nonce prefix is 7 bytes.');
  const keyCopy = new Uint8Array(key);
  let settle!: { resolve: (summary: SealSummary) => void; reject: (error: unknown) => void };
  const summary = new Promise<SealSummary>((resolve, reject) => (settle = { resolve, reject }));
  summary.catch(() => undefined); // the stream's consumer sees the error; an unawaited summary must not be an unhandled rejection

  async function* run(): AsyncGenerator<Uint8Array> {
    const reader = new PieceReader(source);
    const hash = (options.hasher ?? sha256Incremental)();
    let sealedLength = 0;
    let plaintextLength = 0;
    let settled = false;
    try {
      const header = encodeEnvelopeHeader({ kind: PACKAGE_ENVELOPE_KIND, chunkSize, ...DATA_KEY_ONLY_SLOT, noncePrefix }) as Bytes;
      const dataKey = await globalThis.crypto.subtle.importKey('raw', keyCopy, 'AES-GCM', false, ['encrypt']);
      hash.update(header);
      sealedLength += header.length;
      yield header.slice();
      const pending: Promise<ArrayBuffer>[] = [];
      const take = async (): Promise<Uint8Array> => {
        const sealed = new Uint8Array(await pending.shift()!);
        hash.update(sealed);
        sealedLength += sealed.length;
        return sealed;
      };
      for await (const { index, last, data } of fixedSizeChunks(() => reader.next(), chunkSize)) {
        checkChunkIndex(index);
        plaintextLength += data.length;
        // fixedSizeChunks reuses its buffer: each chunk in flight gets its own copy.
        pending.push(globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: chunkNonce(noncePrefix, index, last), additionalData: header }, dataKey, data.slice()));
        if (pending.length >= inFlight) yield await take();
      }
      while (pending.length > 0) yield await take();
      const digest = hash.digest();
      settle.resolve({ ciphertextSha256: toHex(digest), keyCommitment: await keyCommitment(keyCopy, digest), sealedLength, plaintextLength });
      settled = true;
    } catch (error) {
      settle.reject(error);
      settled = true;
      throw error;
    } finally {
      // A consumer that stopped early (break, return) gets no summary of bytes it did not take.
      if (!settled) settle.reject(new Error('The sealed stream was abandoned before its end: no hash or commitment.'));
      keyCopy.fill(0);
      await reader.close();
    }
  }
  return { stream: run(), summary };
}

/**
 * Passes `source` through unchanged while hashing it: `digest()` gives the SHA-256 (hex) of what
 * went through once the iteration has ended.
 */
export function hashingPassThrough(source: ByteSource, hasher: HashFactory = sha256Incremental): { readonly stream: AsyncIterable<Uint8Array>; digest(): string; readonly length: () => number } {
  const hash = hasher();
  let ended = false;
  let length = 0;
  async function* run(): AsyncGenerator<Uint8Array> {
    const reader = new PieceReader(source);
    try {
      for (let piece = await reader.next(); piece !== undefined; piece = await reader.next()) {
        hash.update(piece);
        length += piece.length;
        yield piece;
      }
      ended = true;
    } finally {
      await reader.close();
    }
  }
  let digest: string | undefined;
  return {
    stream: run(),
    digest() {
      if (!ended) throw new Error('The stream has not ended: no hash yet.');
      digest ??= toHex(hash.digest());
      return digest;
    },
    length: () => length,
  };
}
