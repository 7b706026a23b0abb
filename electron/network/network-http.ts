import { ApiErrorSchema } from '../../shared/network/api';
import { NetworkRefusal } from './server-url';

/** Responses larger than this are refused (a network map of 10,000 members is about 12 MB). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 15_000;

/** Signs a member request: the headers for this method, request target (path and query) and exact body. */
export type RequestSigning = (method: string, path: string, body: string | undefined) => Promise<Record<string, string>>;

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
  const text = await readCapped(response, MAX_RESPONSE_BYTES);
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new NetworkRefusal('E_UNAVAILABLE', `The network server answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const explained = ApiErrorSchema.safeParse(body);
    const code = explained.success ? explained.data.error.code : `HTTP ${response.status}`;
    throw new NetworkRefusal(response.status >= 500 ? 'E_UNAVAILABLE' : 'E_CONFLICT', `The network server refused the request (${code}).`);
  }
  return { status: response.status, body, etag: response.headers.get('etag') };
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
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkRefusal('E_UNAVAILABLE', 'The network server sent more than the node accepts.');
  }
  if (response.body === null) return '';
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
  return Buffer.concat(chunks).toString('utf8');
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
