import type { Bytes } from './bytes';
import { DEFAULT_CHUNK_SIZE, ENVELOPE_KINDS, EnvelopeError, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, NONCE_PREFIX_LENGTH, type EnvelopeKind } from './envelope-format';

/**
 * The runtime-independent parts of the envelope's STREAM layer (format in envelope-format.ts,
 * design §2), shared by the WebCrypto sealer/opener (envelope.ts) and the node:crypto sealer
 * (electron/crypto/node-sealer.ts): option checks, chunk nonces, chunk planning, byte sources and
 * the cutting of any-sized pieces into fixed-size chunks with one chunk of look-ahead. No crypto
 * and no platform API here; both implementations lay out the same bytes through these helpers.
 */

/** Where bytes come from: pieces of any size (empty ones are skipped), or one array. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array> | Uint8Array;

/** Chunk indexes are a u32 in the nonce. */
export const MAX_CHUNK_INDEX = 0xffffffff;
/** AES-GCM nonce: prefix (7) ‖ index u32 BE (4) ‖ last flag (1). */
export const CHUNK_NONCE_LENGTH = 12;

export function checkEnvelopeKind(kind: EnvelopeKind): void {
  if (!Object.hasOwn(ENVELOPE_KINDS, kind)) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'Unknown envelope kind.');
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError('E_ENVELOPE_FORMAT', `Chunk size must be from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes.`);
  }
}

/** A sealer's `chunkSize` option, defaulted and checked. */
export function sealerChunkSize(chunkSize: number | undefined): number {
  const size = chunkSize ?? DEFAULT_CHUNK_SIZE;
  checkChunkSize(size);
  return size;
}

export function checkChunkIndex(index: number): void {
  if (index > MAX_CHUNK_INDEX) throw new EnvelopeError('E_ENVELOPE_FORMAT', 'The envelope has more chunks than the format allows.');
}

/**
 * How many chunks a plaintext of `plaintextLength` bytes is sealed in: every chunk but the last
 * holds exactly `chunkSize` bytes, and there is always at least one (an empty plaintext is one
 * empty last chunk). Throws when that is more chunks than the format allows.
 */
export function chunkCount(plaintextLength: number, chunkSize: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextLength / chunkSize));
  checkChunkIndex(chunks - 1);
  return chunks;
}

/** Chunk `index`'s nonce: prefix (7) ‖ index u32 BE (4) ‖ last flag (1: 0x01 or 0x00). */
export function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Bytes {
  const nonce = new Uint8Array(CHUNK_NONCE_LENGTH);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_LENGTH, index);
  nonce[11] = last ? 0x01 : 0x00;
  return nonce;
}

/**
 * `length` bytes from a sealer's `random` option (test vectors only), checked and copied; throws a
 * TypeError when the function returns anything else.
 */
export function takeRandom(random: (length: number) => Uint8Array, length: number): Bytes {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new TypeError(`random(${length}) must return ${length} bytes.`);
  return new Uint8Array(bytes);
}

/** Pulls pieces from any ByteSource, one `next()` at a time, and can release it. */
export class PieceReader {
  private readonly pull: () => Promise<Uint8Array | undefined>;
  /** Lets go of the source; `early` when it has not ended (cancel a stream, return an iterator). */
  private readonly release: (early: boolean) => Promise<void>;
  private ended = false;
  private closed = false;

  constructor(source: ByteSource) {
    if (source instanceof Uint8Array) {
      let given = false;
      this.pull = () => {
        if (given) return Promise.resolve(undefined);
        given = true;
        return Promise.resolve(source);
      };
      this.release = () => Promise.resolve();
    } else if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
      const reader = (source as ReadableStream<Uint8Array>).getReader();
      this.pull = async () => {
        const result = await reader.read();
        return result.done ? undefined : result.value;
      };
      this.release = async (early) => {
        if (early) await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      };
    } else {
      const iterator =
        Symbol.asyncIterator in source
          ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
          : (source as Iterable<Uint8Array>)[Symbol.iterator]();
      this.pull = async () => {
        const result = await iterator.next();
        return result.done === true ? undefined : result.value;
      };
      this.release = async (early) => {
        if (early) await iterator.return?.();
      };
    }
  }

  /** The next non-empty piece, or undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    while (!this.ended && !this.closed) {
      const piece = await this.pull();
      if (piece === undefined) {
        this.ended = true;
        return undefined;
      }
      if (!(piece instanceof Uint8Array)) throw new TypeError('A byte source must yield Uint8Array pieces.');
      if (piece.length > 0) return piece;
    }
    return undefined;
  }

  /** Releases the source (cancels a stream, returns an iterator) when it has not ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release(!this.ended);
  }
}

/** One fixed-size chunk cut from a stream of pieces. */
export interface StreamChunk {
  readonly index: number;
  /** Whether no byte follows it; only the last chunk may be shorter than the size, even empty. */
  readonly last: boolean;
  /** Valid only until the next chunk is requested (the buffer is reused, and wiped at the end). */
  readonly data: Uint8Array;
}

/**
 * Cuts the pieces `next` returns (until undefined) into chunks of exactly `size` bytes, the last
 * one shorter or empty, with one chunk of look-ahead: a full chunk is yielded as not-last only once
 * another byte has arrived, so the last chunk is always known as such. Holds one chunk of bytes.
 */
export async function* fixedSizeChunks(next: () => Promise<Uint8Array | undefined>, size: number): AsyncGenerator<StreamChunk> {
  const pending = new Uint8Array(size);
  let filled = 0;
  let index = 0;
  try {
    for (let piece = await next(); piece !== undefined; piece = await next()) {
      let offset = 0;
      while (offset < piece.length) {
        if (filled === size) {
          yield { index: index++, last: false, data: pending };
          filled = 0;
        }
        const take = Math.min(size - filled, piece.length - offset);
        pending.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
      }
    }
    yield { index, last: true, data: pending.subarray(0, filled) };
  } finally {
    pending.fill(0);
  }
}
