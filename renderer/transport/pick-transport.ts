import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsBridge } from '../../shared/ipc/contract';
import { createIpcTransport } from './ipc-transport';
import { createWebSocketTransport, hashHasShellToken, takeShellToken } from './ws-transport';

declare global {
  interface Window {
    /** Present only in Electron, put there by the preload. */
    readonly hdms?: HdmsBridge;
  }
}

export type TransportChoice = { readonly ok: true; readonly transport: Transport } | { readonly ok: false; readonly reason: string };

/** Picks the transport once at startup: Electron's preload bridge if present, else the shell's WebSocket. */
export function pickTransport(win: Window = window): TransportChoice {
  if (win.hdms !== undefined) return { ok: true, transport: createIpcTransport(win.hdms) };
  const token = takeShellToken(win.location, win.history);
  // Pasting the printed link into this tab changes only the fragment, which loads nothing: load the
  // page again so the token is read. Also when the page started with a token: after the node stopped
  // or crashed, its new link (a new token) must reconnect the same tab. The reload reads the token
  // and removes it from the address bar as on any start, so it is kept nowhere more than before.
  win.addEventListener('hashchange', () => {
    if (hashHasShellToken(win.location.hash)) win.location.reload();
  });
  if (token === null) {
    return {
      ok: false,
      reason:
        'This page has no access token. The token is kept in memory only, so a reload or a new tab needs the link again: open the full link that “npm run shell” printed when it started (it ends in #token= followed by a long code).',
    };
  }
  return { ok: true, transport: createWebSocketTransport(token, win.location) };
}
