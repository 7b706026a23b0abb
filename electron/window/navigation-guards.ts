import type { App, Session, WebContents } from 'electron';
import { APP_ORIGIN, originOf } from './app-protocol';

/**
 * Navigation and permission guards for every webContents.
 *
 * Decision: the UI is one document (`app://hdms/index.html`) with hash routes, and the only way a
 * document is ever loaded is `loadURL` from main.ts, which does not raise these events. So every
 * navigation a page or a user starts is denied, including one to another file of the app origin;
 * the single exception is a same-document (fragment-only) change on the app origin, which Chromium
 * may report on some paths and which cannot load new code. Redirects, pop-ups, webviews,
 * downloads, permission prompts and device pickers are all refused. Serial, HID and USB devices
 * are the body's job (node serialport), never the renderer's.
 */

export type GuardEvent =
  | 'navigation-denied'
  | 'redirect-denied'
  | 'window-open-denied'
  | 'webview-denied'
  | 'permission-denied'
  | 'device-chooser-denied'
  | 'download-denied';

export interface NavigationGuardOptions {
  /** The origin of the app (default `app://hdms`). */
  readonly allowedOrigin?: string;
  /**
   * Receives https links the page tried to open (target=_blank, window.open), so they open in the
   * user's browser instead of inside the app. Never called for any other scheme.
   */
  readonly openExternal?: (url: string) => void;
  /** Told about each refusal, for a PHI-free log line (the origin only, never the full URL). */
  readonly onDenied?: (event: GuardEvent, details: { readonly origin: string | null; readonly what?: string }) => void;
}

/** Longest link handed to the OS browser; longer ones are a smell (data smuggled in a URL). */
const MAX_EXTERNAL_URL_LENGTH = 2048;

/** Only a fragment change inside the current document of the app origin is allowed. */
export function isAllowedNavigation(targetUrl: string, isSameDocument: boolean, allowedOrigin: string = APP_ORIGIN): boolean {
  return isSameDocument && originOf(targetUrl) === allowedOrigin.toLowerCase();
}

/** Links that may leave the app for the OS browser: plain https, no credentials, bounded length. */
export function isExternalLinkAllowed(url: string): boolean {
  if (url.length > MAX_EXTERNAL_URL_LENGTH) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && parsed.hostname !== '';
}

const guardedContents = new WeakSet<WebContents>();
const guardedSessions = new WeakSet<Session>();

/**
 * The one permission the UI needs: writing plain text to the clipboard ("Copy data folder path",
 * later node ids), only for the app's own origin. Reading the clipboard stays denied.
 */
export function isAllowedPermission(permission: string, requestingOrigin: string | null): boolean {
  return permission === 'clipboard-sanitized-write' && requestingOrigin === APP_ORIGIN;
}

/**
 * Denies every permission request and check but the clipboard write above, every device permission
 * and every device chooser of a session. Idempotent per session.
 */
export function denySessionPermissions(session: Session, onDenied?: NavigationGuardOptions['onDenied']): void {
  if (guardedSessions.has(session)) return;
  guardedSessions.add(session);
  session.setPermissionRequestHandler((contents, permission, callback) => {
    const origin = originOf(contents.getURL());
    if (isAllowedPermission(permission, origin)) return callback(true);
    onDenied?.('permission-denied', { origin, what: permission });
    callback(false);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isAllowedPermission(permission, originOf(requestingOrigin)),
  );
  session.setDevicePermissionHandler(() => false);
  session.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    onDenied?.('device-chooser-denied', { origin: null, what: 'hid' });
    callback();
  });
  session.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    onDenied?.('device-chooser-denied', { origin: null, what: 'serial' });
    callback('');
  });
  session.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    onDenied?.('device-chooser-denied', { origin: null, what: 'usb' });
    callback();
  });
  // Files leave the app through the body (save dialogs), never as a browser download.
  session.on('will-download', (event, item) => {
    event.preventDefault();
    item.cancel();
    onDenied?.('download-denied', { origin: null });
  });
}

/** Attaches the guards to one webContents (and its session). Idempotent per webContents. */
export function attachNavigationGuards(contents: WebContents, options: NavigationGuardOptions = {}): void {
  if (guardedContents.has(contents)) return;
  guardedContents.add(contents);
  const allowedOrigin = options.allowedOrigin ?? APP_ORIGIN;
  const onDenied = options.onDenied;

  contents.on('will-navigate', (event) => {
    if (isAllowedNavigation(event.url, event.isSameDocument, allowedOrigin)) return;
    event.preventDefault();
    onDenied?.('navigation-denied', { origin: originOf(event.url), what: 'will-navigate' });
  });
  contents.on('will-frame-navigate', (event) => {
    // Sub-frames never navigate (the CSP has frame-src 'none' as well).
    if (event.isMainFrame && isAllowedNavigation(event.url, event.isSameDocument, allowedOrigin)) return;
    event.preventDefault();
    onDenied?.('navigation-denied', { origin: originOf(event.url), what: event.isMainFrame ? 'main-frame' : 'sub-frame' });
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
    onDenied?.('redirect-denied', { origin: originOf(event.url) });
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (options.openExternal !== undefined && isExternalLinkAllowed(url)) {
      options.openExternal(url);
    } else {
      onDenied?.('window-open-denied', { origin: originOf(url) });
    }
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    onDenied?.('webview-denied', { origin: null });
  });
  contents.on('select-bluetooth-device', (event, _devices, callback) => {
    event.preventDefault();
    onDenied?.('device-chooser-denied', { origin: null, what: 'bluetooth' });
    callback('');
  });
  denySessionPermissions(contents.session, onDenied);
}

/** Guards every webContents the app ever creates, including ones nobody expected. */
export function guardAllWebContents(app: Pick<App, 'on'>, options: NavigationGuardOptions = {}): void {
  app.on('web-contents-created', (_event, contents) => attachNavigationGuards(contents, options));
}
