import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsBridge } from '../../shared/ipc/contract';
import { createIpcTransport } from './ipc-transport';
import { exchangeShellCode, hashHasShellCode, NEW_LINK_HELP, takeShellCode } from './shell-link';
import { createWebSocketTransport } from './ws-transport';

declare global {
  interface Window {
    /** Present only in Electron, put there by the preload. */
    readonly hdms?: HdmsBridge;
  }
}

export type TransportChoice = { readonly ok: true; readonly transport: Transport } | { readonly ok: false; readonly reason: string };

/**
 * Picks the transport once at startup: Electron's preload bridge if present, else the shell's
 * WebSocket, with the token the link's one-time code is traded for.
 */
export async function pickTransport(win: Window = window): Promise<TransportChoice> {
  if (win.hdms !== undefined) return { ok: true, transport: createIpcTransport(win.hdms) };
  const code = takeShellCode(win.location, win.history);
  // Pasting a new link into this tab changes only the fragment, which loads nothing: load the page
  // again so its code is read. Also after a start with a code: after the node stopped or crashed,
  // the restarted shell's link must reconnect the same tab.
  win.addEventListener('hashchange', () => {
    if (hashHasShellCode(win.location.hash)) win.location.reload();
  });
  if (code === null) {
    return {
      ok: false,
      reason: `This page has no access. Its access lives in the page's memory only, so a reload or a new tab needs a new link (one that ends in #code= and a long code). ${NEW_LINK_HELP}`,
    };
  }
  const access = await exchangeShellCode(code);
  if (!access.ok) return access;
  return { ok: true, transport: createWebSocketTransport(access.token, win.location) };
}
