import type { Privileges } from 'electron';
import { buildCsp, buildDecodeWorkerCsp, securityHeaders } from '../security/csp';
import { loadStaticAsset } from '../security/static-assets';

/**
 * The privileged scheme the renderer is served from.
 *
 * NEVER CHANGE `APP_SCHEME`, `APP_HOST` or therefore `APP_ORIGIN` once a build has shipped:
 * Chromium keys IndexedDB (the mind's Dexie views, its journal cursor, its wrapped keys) and all
 * other web storage by origin. A new origin is a new, empty database; the views would have to be
 * rebuilt from the journal and anything that lives only in the browser profile would be orphaned.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hdms';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one document of the UI; routes are hash routes inside it. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * standard: parsed like http (host, path, relative URLs, a real origin), so IndexedDB and
 * localStorage work. secure: a secure context (WebCrypto subtle, no mixed-content downgrade).
 * supportFetchAPI: the renderer may fetch its own assets (wasm, json). codeCache: V8 caches the
 * bundle. stream: large assets may stream. No service workers (nothing may outlive or intercept
 * the page), no CORS (no other origin may read from it), and never bypassCSP.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
  allowServiceWorkers: false,
  corsEnabled: false,
  stream: true,
  bypassCSP: false,
} as const satisfies Privileges;

/**
 * `scheme://host[:port]` of a URL, or null. Node's URL answers `"null"` as the origin of any
 * non-special scheme (such as app:), so the origin is computed from its parts, the way Chromium
 * does for a registered standard scheme. URLs with credentials never count as any origin.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.username !== '' || parsed.password !== '') return null;
  if (parsed.host === '') return null;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** True only for URLs on exactly `app://hdms` (no port, no credentials, no other host). */
export function isAppUrl(url: string): boolean {
  return originOf(url) === APP_ORIGIN;
}

export interface AppProtocolOptions {
  /** Called with the error class when a file could not be read for a reason other than absence. */
  readonly onError?: (errorClass: string) => void;
}

function plain(status: number, text: string, headers: Record<string, string>, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { ...headers, ...extra, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/**
 * The `protocol.handle('app', …)` handler: serves the built renderer from `rendererDir` with the
 * CSP and security headers on every response (the CSP is a header, not a meta tag, so it also
 * covers the document before any script runs). GET and HEAD on host `hdms` only; anything else,
 * any path outside `rendererDir` and any unknown file type answers an error without a body that
 * could be mistaken for content.
 */
export function createAppProtocolHandler(
  rendererDir: string,
  options: AppProtocolOptions = {},
): (request: Request) => Promise<Response> {
  // No network origin: connect-src is 'self' only. The mind reaches the world through the body.
  const headers = securityHeaders(buildCsp());
  const workerHeaders = securityHeaders(buildDecodeWorkerCsp());
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, 'Bad request', headers);
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username !== '' || url.password !== '') {
      return plain(403, 'Forbidden', headers);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(405, 'Method not allowed', headers, { Allow: 'GET, HEAD' });
    }
    let asset;
    try {
      asset = await loadStaticAsset(rendererDir, url.pathname);
    } catch (error) {
      options.onError?.((error as Error)?.name ?? 'Error');
      return plain(500, 'Internal error', headers);
    }
    if (asset === null) return plain(404, 'Not found', headers);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(asset.body.buffer, asset.body.byteOffset, asset.body.byteLength), {
      status: 200,
      headers: {
        ...(asset.isDecodeWorker ? workerHeaders : headers),
        'Content-Type': asset.contentType,
        'Content-Length': String(asset.body.length),
        'Cache-Control': asset.isDocument ? 'no-store' : 'no-cache',
      },
    });
  };
}
