import { createHash } from 'node:crypto';
import { ApiErrorSchema } from '../../shared/network/api';
import { CHUNK_MEDIA_TYPE, CONTENT_SHA256_HEADER } from '../../shared/network/delivery';
import { NetworkRefusal } from './server-url';

/** Responses larger than this are refused (a network map of 10,000 members is about 12 MB). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Signs a member request: the headers for this method, request target (path and query) and exact
 * body. A binary body (a delivery chunk) is given by its SHA-256 instead (`bodySha256`, 64 lowercase
 * hex digits), with `body` undefined.
 */
export type RequestSigning = (method: string, path: string, body: string | undefined, bodySha256?: string) => Promise<Record<string, string>>;

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly etag: string | null;
}

/**
 * One JSON request to the network server with a deadline and a size cap: a slow or hostile server
 * can neither hang the body nor fill its memory. A refusal the server explains (`{error: {code}}`)
 * becomes a NetworkRefusal naming its code; the server's own sentence is not passed on.
 */
export async function requestJson(
  url: string,
  init: { readonly method?: 'GET' | 'POST' | 'PUT'; readonly body?: unknown; readonly etag?: string | null; readonly timeoutMs?: number; readonly sign?: RequestSigning } = {},
): Promise<JsonResponse> {
  const method = init.method ?? 'GET';
  const bodyText = init.body === undefined ? undefined : JSON.stringify(init.body);
  const target = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json', ...(init.sign === undefined ? {} : await init.sign(method, `${target.pathname}${target.search}`, bodyText)) };
  if (bodyText !== undefined) headers['content-type'] = 'application/json';
  if (init.etag !== undefined && init.etag !== null) headers['if-none-match'] = init.etag;
  const response = await send(url, { method, headers, ...(bodyText === undefined ? {} : { body: bodyText }) }, init.timeoutMs);
  if (response.status === 304) return { status: 304, body: null, etag: response.headers.get('etag') };
  return jsonAnswer(response, MAX_RESPONSE_BYTES);
}

/** A JSON answer read up to `maxBytes`; a refusal becomes a NetworkRefusal naming the server's code. */
async function jsonAnswer(response: Response, maxBytes: number): Promise<JsonResponse> {
  const text = await readCapped(response, maxBytes);
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new NetworkRefusal('E_UNAVAILABLE', `The network server answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) throw refusalOf(response, body);
  return { status: response.status, body, etag: response.headers.get('etag') };
}

/** The server's 429 (its per-member and per-address request limits): how long it asked to wait. */
export class RateLimitedRefusal extends NetworkRefusal {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('E_UNAVAILABLE', message);
  }
}

/** The longest one wait for a rate limit (the server's windows are a minute). */
export const RATE_LIMIT_MAX_WAIT_MS = 60_000;

function refusalOf(response: Response, body: unknown): NetworkRefusal {
  const { status } = response;
  const explained = ApiErrorSchema.safeParse(body);
  const code = explained.success ? explained.data.error.code : `HTTP ${status}`;
  const message = `The network server refused the request (${code}).`;
  if (status === 429) {
    // Retry-After in seconds (fastify-rate-limit's form); absent or odd: one second.
    const seconds = Number(response.headers.get('retry-after') ?? '');
    return new RateLimitedRefusal(message, Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, RATE_LIMIT_MAX_WAIT_MS));
  }
  return new NetworkRefusal(status >= 500 ? 'E_UNAVAILABLE' : 'E_CONFLICT', message);
}

/**
 * Runs a request again after each rate limit, waiting as long as the server asked (at most a
 * minute, at most `maxWaits` times in a row). A delivery of several GB is thousands of chunk
 * requests, more than the server's per-member limit allows in a minute: each chunk waits its turn
 * instead of failing the whole upload or download. Any other refusal is thrown at once.
 */
export async function whileRateLimited<T>(operation: () => Promise<T>, options: { readonly maxWaits?: number; readonly sleep?: (ms: number) => Promise<void> } = {}): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let waits = 0; ; waits++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof RateLimitedRefusal) || waits >= (options.maxWaits ?? 10)) throw error;
      await sleep(error.retryAfterMs);
    }
  }
}

/** A chunk's upload or download may take longer than a JSON request (512 KiB on a slow link). */
export const CHUNK_TIMEOUT_MS = 60_000;
/** The most a JSON answer to a chunk upload, or a refusal of a chunk download, may hold. */
const MAX_CHUNK_ANSWER_BYTES = 64 * 1024;

/** SHA-256 of bytes, 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A signed PUT of binary bytes (a delivery chunk, shared/network/delivery.ts): application/octet-stream,
 * signed over the bytes' SHA-256, which also travels in the x-hdms-content-sha256 header. Answers
 * the server's JSON (small, capped) as requestJson does, refusals included.
 */
export async function putOctets(url: string, bytes: Uint8Array, init: { readonly sign: RequestSigning; readonly timeoutMs?: number }): Promise<JsonResponse> {
  const sha256 = sha256Hex(bytes);
  const target = new URL(url);
  const headers: Record<string, string> = {
    ...(await init.sign('PUT', `${target.pathname}${target.search}`, undefined, sha256)),
    accept: 'application/json',
    'content-type': CHUNK_MEDIA_TYPE,
    [CONTENT_SHA256_HEADER]: sha256,
  };
  const response = await send(url, { method: 'PUT', headers, body: bytes as Uint8Array<ArrayBuffer> }, init.timeoutMs ?? CHUNK_TIMEOUT_MS);
  return jsonAnswer(response, MAX_CHUNK_ANSWER_BYTES);
}

export interface OctetsResponse {
  readonly bytes: Buffer;
  /** The x-hdms-content-sha256 header as sent (null without one); the caller checks it. */
  readonly declaredSha256: string | null;
}

/**
 * A signed GET of binary bytes (a delivery chunk) of at most `maxBytes`: more, declared or sent, is
 * refused. A refusal the server explains becomes a NetworkRefusal naming its code, as in requestJson.
 */
export async function requestOctets(url: string, init: { readonly sign: RequestSigning; readonly maxBytes: number; readonly timeoutMs?: number }): Promise<OctetsResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...(await init.sign('GET', `${target.pathname}${target.search}`, undefined)), accept: `${CHUNK_MEDIA_TYPE}, application/json` };
  const response = await send(url, { method: 'GET', headers }, init.timeoutMs ?? CHUNK_TIMEOUT_MS);
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = JSON.parse(await readCapped(response, MAX_CHUNK_ANSWER_BYTES));
    } catch {
      // not a typed refusal
    }
    throw refusalOf(response, body);
  }
  return { bytes: await readCappedBytes(response, init.maxBytes), declaredSha256: response.headers.get(CONTENT_SHA256_HEADER) };
}

/** A GET of a text document (a signed checkpoint) of at most `maxBytes`, with the same deadline. */
export async function requestText(url: string, maxBytes: number): Promise<string> {
  const response = await send(url, { method: 'GET', headers: { accept: 'text/plain' } });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkRefusal(response.status >= 500 ? 'E_UNAVAILABLE' : 'E_CONFLICT', `The network server refused the request (HTTP ${response.status}).`);
  }
  return readCapped(response, maxBytes);
}

async function send(url: string, init: RequestInit, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new NetworkRefusal('E_UNAVAILABLE', timedOut ? 'The network server did not answer in time.' : 'The network server could not be reached.');
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  return (await readCappedBytes(response, maxBytes)).toString('utf8');
}

async function readCappedBytes(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkRefusal('E_UNAVAILABLE', 'The network server sent more than the node accepts.');
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new NetworkRefusal('E_UNAVAILABLE', 'The network server sent more than the node accepts.');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The largest answer of a settlement chain call (a page of logs). */
export const MAX_CHAIN_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * One JSON-RPC 2.0 call to the settlement chain's endpoint, with the same deadline and a size cap.
 * Answers the call's `result` or its `error` (code, message cut to 500 characters, data); a chain
 * that cannot be reached or answers something else is a NetworkRefusal.
 */
export async function requestJsonRpc(url: string, method: string, params: readonly unknown[]): Promise<{ result: unknown } | { error: { code: number; message: string; data?: unknown } }> {
  const response = await send(url, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  let text: string;
  try {
    text = await readCapped(response, MAX_CHAIN_RESPONSE_BYTES);
  } catch {
    throw new NetworkRefusal('E_UNAVAILABLE', 'The settlement chain sent more than the node accepts.');
  }
  type RpcReply = { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } | null };
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const body = parsed as RpcReply | null;
  if (body === null || typeof body !== 'object') throw new NetworkRefusal('E_UNAVAILABLE', `The settlement chain answered ${response.status} with something that is not JSON-RPC.`);
  if (body.error !== undefined && body.error !== null) {
    const code = typeof body.error.code === 'number' && Number.isInteger(body.error.code) ? body.error.code : -32603;
    const message = typeof body.error.message === 'string' ? body.error.message.slice(0, 500) : 'error';
    return { error: { code, message, ...(body.error.data !== undefined ? { data: body.error.data } : {}) } };
  }
  if (!('result' in body)) throw new NetworkRefusal('E_UNAVAILABLE', 'The settlement chain answered without a result.');
  return { result: body.result };
}
