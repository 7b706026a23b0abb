import type { Session } from 'electron';
import { APP_ORIGIN, originOf } from './app-protocol';

/**
 * The mind opens no socket (design §1). The CSP already allows no network origin; this filter is
 * the second lock: the renderer session cancels every request that is not to the app origin or an
 * in-memory URL (data:, blob:). The body's own networking runs in Node and is not affected.
 */
export function isAllowedRendererRequest(url: string, allowedOrigin: string = APP_ORIGIN): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) {
    // blob: URLs carry their creator's origin: blob:app://hdms/<uuid>.
    return !url.startsWith('blob:') || originOf(url.slice('blob:'.length)) === allowedOrigin;
  }
  // DevTools (development builds only) loads its own front end from devtools://.
  if (url.startsWith('devtools://')) return true;
  return originOf(url) === allowedOrigin;
}

export function blockRendererNetwork(
  session: Session,
  onBlocked?: (origin: string | null, resourceType: string) => void,
  allowedOrigin: string = APP_ORIGIN,
): void {
  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    const allowed = isAllowedRendererRequest(details.url, allowedOrigin);
    if (!allowed) onBlocked?.(originOf(details.url), details.resourceType);
    callback({ cancel: !allowed });
  });
}
