import { sha256Incremental, type HashFactory, type IncrementalHash } from '../research/package/package-seal';
import { ApiErrorSchema } from './api';
import {
  chunkLength,
  chunkPath,
  CHUNK_MEDIA_TYPE,
  ChunkStoredSchema,
  completePath,
  CONTENT_SHA256_HEADER,
  contentPath,
  DEFAULT_CHUNK_SIZE,
  DELIVERY_ROUTES,
  DeliveryListSchema,
  deliveryPath,
  DeliveryStatusSchema,
  firstMissing,
  inRanges,
  type ChunkStored,
  type DeliveryCreate,
  type DeliveryStatus,
} from './delivery';
import type { SignRequestInput } from './signed-request';

/**
 * The delivery blob store's client (routes in shared/network/delivery.ts), isomorphic: fetch, Web
 * Streams and Web Crypto, so the body (Node) and a browser page run the same code.
 *
 * - `upload` streams a blob from a source the caller can reopen at any byte offset (a file, a
 *   sealed package written to disk): it creates the delivery (a retry of the create is harmless),
 *   asks which chunks the server holds, reads the source from the first missing chunk on, and PUTs
 *   each missing chunk as soon as it is full, `chunksInFlight` (2) at a time, retrying a failed
 *   chunk; then asks the server to check the whole hash. It holds that many chunks in memory (plus
 *   what the source yields at once) and reads the source no further ahead. A new process resumes by
 *   calling `upload` again with the same id.
 * - `download` streams the content to a sink with `Range: bytes=<offset>-`, starting again from the
 *   last byte the sink took when the connection fails, hashing as it goes (SHA-256 from
 *   @noble/hashes by default, `hasher` for another), and refuses at the end a blob that does not hash
 *   to the expected SHA-256 (the notarized delivery's). A new process resumes with `start`: the bytes
 *   it already has and a hash fed with them.
 *
 * The sink gets each piece as it arrives and the next read waits for it: nothing is buffered beyond
 * one network piece. Whatever the sink received before a hash mismatch is provisional: the caller
 * discards it when `download` throws.
 */
export type SignHeaders = (input: SignRequestInput) => Promise<Record<string, string>>;

export interface DeliveryClientOptions {
  /** The server's base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The network key's address (the pinned network). */
  readonly network: string;
  /** Signs a request: `signRequest` with the identity key, or `signDelegatedRequest` with the transport key. */
  readonly sign: SignHeaders;
  readonly fetch?: typeof fetch;
  /** Attempts per chunk or per download span after a network failure or a 408/429/5xx (default 5). */
  readonly retries?: number;
  /** The wait before retry `attempt` (1, 2, …); default 250 ms doubling, at most 10 s. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Chunks an upload sends at once (default 2): what it holds in memory is this many chunks. */
  readonly chunksInFlight?: number;
}

/** A refusal from the server (its typed code), or a failure of the transfer itself. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface UploadInput extends Omit<DeliveryCreate, 'chunkSize'> {
  readonly chunkSize?: number;
  /** The blob's bytes from `offset` on (called again when the upload resumes). */
  readonly open: (offset: number) => ByteSource | Promise<ByteSource>;
  /** After the server acknowledged a chunk (stored, or already held). */
  readonly onChunk?: (stored: ChunkStored, bytes: number) => void;
}

export interface DownloadInput {
  readonly id: string;
  /** Takes each piece in order; the next read waits for it. */
  readonly sink: (bytes: Uint8Array) => void | Promise<void>;
  /** The SHA-256 the blob must have (the notarized delivery's); the server's declared one otherwise. */
  readonly expectedSha256?: string;
  readonly hasher?: HashFactory;
  /** Resuming in a new process: the bytes already received and a hash fed with exactly them. */
  readonly start?: { readonly offset: number; readonly hash: IncrementalHash };
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

async function* iterate(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  yield* source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

async function refusal(response: Response): Promise<DeliveryError> {
  let code = 'http_error';
  let message = `The server answered ${response.status}.`;
  try {
    const parsed = ApiErrorSchema.safeParse(await response.json());
    if (parsed.success) ({ code, message } = parsed.data.error);
  } catch {
    // not a typed error
  }
  return new DeliveryError(message, code, response.status, RETRYABLE_STATUS.has(response.status));
}

export class DeliveryClient {
  private readonly fetch: typeof fetch;
  private readonly retries: number;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly chunksInFlight: number;

  constructor(private readonly options: DeliveryClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? ((attempt) => Math.min(250 * 2 ** (attempt - 1), 10_000));
    this.chunksInFlight = Math.max(1, options.chunksInFlight ?? 2);
  }

  async create(input: DeliveryCreate): Promise<DeliveryStatus> {
    return DeliveryStatusSchema.parse(await this.json('POST', DELIVERY_ROUTES.deliveries, input, [200, 201]));
  }

  async status(id: string): Promise<DeliveryStatus> {
    return DeliveryStatusSchema.parse(await this.json('GET', deliveryPath(id), undefined, [200]));
  }

  async list(as: 'sender' | 'recipient' = 'recipient'): Promise<DeliveryStatus[]> {
    return DeliveryListSchema.parse(await this.json('GET', `${DELIVERY_ROUTES.deliveries}?as=${as}`, undefined, [200])).deliveries;
  }

  async complete(id: string): Promise<DeliveryStatus> {
    return DeliveryStatusSchema.parse(await this.json('POST', completePath(id), undefined, [200]));
  }

  async remove(id: string): Promise<void> {
    await this.request('DELETE', deliveryPath(id), undefined, [204]);
  }

  /** PUTs one chunk (its bytes exactly), signed over their SHA-256. */
  async putChunk(id: string, index: number, bytes: Uint8Array): Promise<ChunkStored> {
    const sha256 = await sha256Hex(bytes);
    const path = chunkPath(id, index);
    const headers = await this.options.sign({ network: this.options.network, method: 'PUT', path, bodySha256: sha256 });
    const response = await this.transport(`${this.options.baseUrl}${path}`, { method: 'PUT', headers: { ...headers, 'content-type': CHUNK_MEDIA_TYPE, [CONTENT_SHA256_HEADER]: sha256 }, body: bytes as Uint8Array<ArrayBuffer> });
    if (response.status !== 200 && response.status !== 201) throw await refusal(response);
    return ChunkStoredSchema.parse(await response.json());
  }

  /** Uploads a blob (see above); answers the completed delivery. */
  async upload(input: UploadInput): Promise<DeliveryStatus> {
    const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const create: DeliveryCreate = { id: input.id, recipient: input.recipient, purchaseId: input.purchaseId, size: input.size, sha256: input.sha256, chunkSize };
    let status = await this.retrying(() => this.create(create));
    for (let round = 0; firstMissing(status.received, status.chunkCount) < status.chunkCount; round++) {
      if (round > this.retries) throw new DeliveryError('Chunks are still missing after every retry.', 'upload_incomplete', null, false);
      await this.sendMissing(input, status);
      status = await this.retrying(() => this.status(input.id));
    }
    return this.retrying(() => this.complete(input.id));
  }

  /** Downloads a complete delivery into `sink` (see above); answers its size and SHA-256. */
  async download(input: DownloadInput): Promise<{ readonly size: number; readonly sha256: string }> {
    const status = await this.retrying(() => this.status(input.id));
    const expected = input.expectedSha256 ?? status.sha256;
    if (status.sha256 !== expected) throw new DeliveryError('The server declares another SHA-256 for this delivery than the one expected.', 'hash_mismatch', null, false);
    const hash = input.start?.hash ?? (input.hasher ?? sha256Incremental)();
    let offset = input.start?.offset ?? 0;
    let failures = 0;
    while (offset < status.size) {
      try {
        offset = await this.downloadFrom(input, status.size, offset, hash, () => (failures = 0));
      } catch (error) {
        if (!(error instanceof DeliveryError) || !error.retryable || ++failures > this.retries) throw error;
        await sleep(this.retryDelayMs(failures));
      }
    }
    const digest = hex(hash.digest());
    if (digest !== expected) throw new DeliveryError('The downloaded bytes do not hash to the expected SHA-256.', 'hash_mismatch', null, false);
    return { size: offset, sha256: digest };
  }

  private async sendMissing(input: UploadInput, status: DeliveryStatus): Promise<void> {
    const { size, chunkSize, chunkCount: count, received } = status;
    let index = firstMissing(received, count);
    // Up to `chunksInFlight` chunks are being sent at once, each in a buffer of its own, reused.
    const free: Uint8Array<ArrayBuffer>[] = [];
    const pending = new Map<number, Promise<void>>();
    // The first chunk that failed for good (or whose onChunk threw): the upload stops with it.
    let failure: { readonly error: unknown } | null = null;
    const failed = (): void => {
      if (failure !== null) throw failure.error;
    };
    let buffer: Uint8Array<ArrayBuffer> = new Uint8Array(chunkSize);
    let filled = 0;
    const flush = async (): Promise<void> => {
      failed();
      if (!inRanges(received, index)) {
        const at = index;
        const own = buffer;
        const bytes = own.subarray(0, filled);
        const task = this.retrying(() => this.putChunk(input.id, at, bytes))
          .then((stored) => input.onChunk?.(stored, bytes.length))
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            pending.delete(at);
            free.push(own);
          });
        pending.set(at, task);
        if (pending.size >= this.chunksInFlight) await Promise.race(pending.values());
        failed();
        buffer = free.pop() ?? new Uint8Array(chunkSize);
      }
      index++;
      filled = 0;
    };
    try {
      for await (const piece of iterate(await input.open(index * chunkSize))) {
        let taken = 0;
        while (taken < piece.length) {
          if (index >= count) throw new DeliveryError('The source holds more bytes than the declared size.', 'source_size_mismatch', null, false);
          const take = Math.min(piece.length - taken, chunkLength(size, chunkSize, index) - filled);
          buffer.set(piece.subarray(taken, taken + take), filled);
          filled += take;
          taken += take;
          if (filled === chunkLength(size, chunkSize, index)) await flush();
        }
      }
      if (index < count) throw new DeliveryError('The source ended before the declared size.', 'source_size_mismatch', null, false);
      await Promise.all(pending.values());
      failed();
    } finally {
      // Nothing stays in flight once upload() has settled, success or not.
      await Promise.allSettled(pending.values());
    }
  }

  /** One GET of the content from `offset` on, fed to the sink; answers the offset reached. */
  private async downloadFrom(input: DownloadInput, size: number, offset: number, hash: IncrementalHash, progressed: () => void): Promise<number> {
    const path = contentPath(input.id);
    const headers = await this.options.sign({ network: this.options.network, method: 'GET', path });
    const response = await this.transport(`${this.options.baseUrl}${path}`, { method: 'GET', headers: { ...headers, range: `bytes=${offset}-` } });
    if (response.status !== 206) {
      await response.body?.cancel().catch(() => undefined);
      throw response.status === 200 ? new DeliveryError('The server ignored the range.', 'range_ignored', 200, false) : await refusal(response);
    }
    if (response.headers.get('content-range') !== `bytes ${offset}-${size - 1}/${size}`) {
      await response.body?.cancel().catch(() => undefined);
      throw new DeliveryError('The server answered another range than the one asked for.', 'range_mismatch', 206, false);
    }
    if (response.body === null) throw new DeliveryError('The content has no body.', 'transfer_failed', 206, true);
    const reader = response.body.getReader();
    let position = offset;
    try {
      for (;;) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch {
          // The connection broke: the caller starts again from `position` (or retries if none came).
          if (position > offset) return position;
          throw new DeliveryError('The download was cut.', 'transfer_failed', null, true);
        }
        if (read.done) return position;
        const piece = read.value;
        if (position + piece.length > size) throw new DeliveryError('The server sent more bytes than the delivery holds.', 'transfer_failed', 206, false);
        hash.update(piece);
        await input.sink(piece);
        position += piece.length;
        progressed();
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  private async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof DeliveryError) || !error.retryable || attempt > this.retries) throw error;
        await sleep(this.retryDelayMs(attempt));
      }
    }
  }

  /** fetch, with a network failure as a retryable DeliveryError. */
  private async transport(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, init);
    } catch {
      throw new DeliveryError('The server could not be reached.', 'network_error', null, true);
    }
  }

  private async request(method: string, path: string, body: unknown, ok: readonly number[]): Promise<Response> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.options.sign({ network: this.options.network, method, path, ...(text !== undefined ? { body: text } : {}) });
    const response = await this.transport(`${this.options.baseUrl}${path}`, { method, headers: text !== undefined ? { ...headers, 'content-type': 'application/json' } : headers, ...(text !== undefined ? { body: text } : {}) });
    if (!ok.includes(response.status)) throw await refusal(response);
    return response;
  }

  private async json(method: string, path: string, body: unknown, ok: readonly number[]): Promise<unknown> {
    return (await this.request(method, path, body, ok)).json();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
