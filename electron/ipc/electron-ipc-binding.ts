import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { METHOD_NAMES, type EventName, type MethodName, type WireResult } from '../../shared/ipc';
import type { Body } from '../body';
import { APP_ORIGIN, originOf } from '../window/app-protocol';

/** Channel names on Electron's IPC: one per contract method, one for all pushes. */
export const IPC_METHOD_PREFIX = 'hdms:';
export const IPC_EVENT_CHANNEL = 'hdms:event';

export function methodChannel(method: MethodName): string {
  return `${IPC_METHOD_PREFIX}${method}`;
}

export type SenderVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly origin: string | null };

/**
 * Who may call the body over IPC: only the main frame of a page on exactly `app://hdms`. Not a
 * sub-frame (even a same-origin one), not a page that navigated elsewhere, not a frame that is
 * gone. Both the frame's URL and its security origin must be the app's (they differ for
 * about:blank children, which inherit the parent's origin).
 */
export function checkSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): SenderVerdict {
  let frame: IpcMainInvokeEvent['senderFrame'];
  try {
    frame = event.senderFrame;
  } catch {
    frame = null; // the frame navigated or was destroyed before the call arrived
  }
  if (frame === null || frame === undefined) return { ok: false, reason: 'no sender frame', origin: null };
  const urlOrigin = originOf(frame.url);
  if (urlOrigin !== APP_ORIGIN || frame.origin !== APP_ORIGIN) {
    return { ok: false, reason: 'foreign origin', origin: urlOrigin ?? (typeof frame.origin === 'string' ? frame.origin.slice(0, 100) : null) };
  }
  if (frame.parent !== null) return { ok: false, reason: 'sub-frame', origin: urlOrigin };
  return { ok: true };
}

const FORBIDDEN: WireResult<never> = {
  ok: false,
  error: { code: 'E_FORBIDDEN', message: 'This caller may not use the node.' },
};

/**
 * Binds every contract method to `ipcMain.handle('hdms:<method>')` and forwards the body's events
 * to the app's windows. The handler checks the sender, then hands the payload to the body's
 * router, which validates it against the method's schema. Payloads are never logged.
 * Returns the function that removes the handlers and the event forwarding.
 */
export function bindContractToIpc(
  body: Pick<Body, 'router' | 'events' | 'log' | 'connectionClosed' | 'mayHear'>,
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  getWindows: () => readonly BrowserWindow[],
): () => void {
  // A renderer's operator session lives as long as its page: a reload, a navigation or a closed
  // window ends it (the mind starts locked again, and so does its session with the body).
  const watched = new Set<number>();
  const watch = (event: IpcMainInvokeEvent, connectionId: string): void => {
    const sender = event.sender as Partial<Pick<IpcMainInvokeEvent['sender'], 'id' | 'once' | 'on'>> | undefined;
    if (sender?.id === undefined || watched.has(sender.id) || typeof sender.once !== 'function' || typeof sender.on !== 'function') return;
    watched.add(sender.id);
    const id = sender.id;
    sender.once('destroyed', () => {
      watched.delete(id);
      body.connectionClosed(connectionId);
    });
    sender.on('did-start-navigation', (details: { isMainFrame: boolean; isSameDocument: boolean }) => {
      if (details.isMainFrame && !details.isSameDocument) body.connectionClosed(connectionId);
    });
  };
  for (const method of METHOD_NAMES) {
    ipcMain.handle(methodChannel(method), async (event: IpcMainInvokeEvent, payload: unknown) => {
      const verdict = checkSender(event);
      const connectionId = `webcontents-${String(event.sender?.id ?? 'unknown')}`;
      if (!verdict.ok) {
        body.log.warn({ method, connectionId, reason: verdict.reason, origin: verdict.origin }, 'ipc call refused');
        return FORBIDDEN;
      }
      watch(event, connectionId);
      try {
        return await body.router.dispatch(method, payload, { transport: 'electron-ipc', connectionId });
      } catch (error) {
        // The router never throws by design; this is the last line, so no call can hang.
        body.log.error({ method, connectionId, errorClass: (error as Error)?.name }, 'ipc dispatch failed');
        return { ok: false, error: { code: 'E_INTERNAL', message: `The node could not complete ${method}.` } } satisfies WireResult<never>;
      }
    });
  }

  const unsubscribe = body.events.subscribe((name: EventName, payload: unknown) => {
    for (const window of getWindows()) {
      try {
        if (window.isDestroyed()) continue;
        const contents = window.webContents;
        if (contents.isDestroyed() || originOf(contents.getURL()) !== APP_ORIGIN) continue;
        // The page's connection id, as its calls give it: events have access rules like methods (EVENT_ACCESS).
        if (!body.mayHear(`webcontents-${String(contents.id)}`, name)) continue;
        contents.send(IPC_EVENT_CHANNEL, name, payload);
      } catch {
        // A window that is closing must not stop the others from hearing the event.
      }
    }
  });

  return () => {
    unsubscribe();
    for (const method of METHOD_NAMES) ipcMain.removeHandler(methodChannel(method));
  };
}
