import type { Transport } from '../../shared/ipc/api-client';
import { isEventName, type EventName, type EventPayloadOf } from '../../shared/ipc/contract';
import type { WireResult } from '../../shared/ipc/errors';
import { decodeBinaryFrame, ServerFrameSchema, WS_PATH, WS_SUBPROTOCOL } from '../../shared/ipc/ws-protocol';

const TOKEN_PROTOCOL_PREFIX = 'hdms.token.';
const TOKEN_IN_HASH = /(?:^#|&)token=([0-9a-f]{16,128})(?:&|$)/;

/** Whether an address fragment carries a shell token (`#token=…`). */
export function hashHasShellToken(hash: string): boolean {
  return TOKEN_IN_HASH.test(hash);
}

/**
 * Reads the shell's token from `#token=…` and removes it from the address bar (replaceState, so
 * Back does not lead to it either). The caller keeps it in memory only: sessionStorage and
 * history.state are written to the browser profile on disk, so a reload needs the link again.
 */
export function takeShellToken(location: Location, history: History): string | null {
  const match = TOKEN_IN_HASH.exec(location.hash);
  if (match?.[1] === undefined) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  return match[1];
}

type Pending = { resolve: (result: WireResult<unknown>) => void };

/** The contract over the shell's loopback WebSocket; reconnects if the socket drops. */
export function createWebSocketTransport(token: string, location: Location): Transport {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let stopped = false;
  let opened: Promise<WebSocket> | null = null;

  const failAll = (message: string): void => {
    for (const [id, call] of pending) {
      call.resolve({ ok: false, error: { code: 'E_UNAVAILABLE', message } });
      pending.delete(id);
    }
  };

  const connect = (): Promise<WebSocket> => {
    opened ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}${WS_PATH}`, [WS_SUBPROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
      // Binary frames (results that carry bytes) arrive as ArrayBuffers the bytes are a view of.
      ws.binaryType = 'arraybuffer';
      ws.addEventListener('open', () => {
        socket = ws;
        resolve(ws);
      });
      ws.addEventListener('message', (message) => {
        if (message.data instanceof ArrayBuffer) {
          const decoded = decodeBinaryFrame(message.data);
          // A frame that cannot be read fails only its own call (when its id can be read); the socket goes on.
          if (decoded.id === null) return;
          pending.get(decoded.id)?.resolve(decoded.ok ? decoded.result : { ok: false, error: { code: 'E_INTERNAL', message: `The node's answer could not be read: ${decoded.reason}` } });
          pending.delete(decoded.id);
          return;
        }
        let frame;
        try {
          frame = ServerFrameSchema.parse(JSON.parse(String(message.data)));
        } catch {
          return; // The body never sends these; ignore rather than crash the UI.
        }
        if (frame.type === 'result') {
          pending.get(frame.id)?.resolve(frame.result as WireResult<unknown>);
          pending.delete(frame.id);
        } else if (frame.type === 'event') {
          if (!isEventName(frame.name)) return;
          // The body said it is going away: later calls fail at once instead of dialling a port
          // that is about to close (or, worse, reconnecting to whatever listens there next).
          if (frame.name === 'app.stopping') stopped = true;
          for (const listener of listeners.get(frame.name) ?? []) listener(frame.payload);
        }
      });
      ws.addEventListener('close', (event) => {
        // 1001 "going away" is how the shell closes every socket when it shuts down.
        if (event.code === 1001) stopped = true;
        socket = null;
        opened = null;
        failAll('The connection to the node was lost.');
        reject(new Error('closed'));
      });
    });
    return opened;
  };

  return {
    kind: 'websocket',
    async call(method, payload) {
      if (stopped) return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'HDMS Node has shut down. Start it again and open the new link it prints.' } };
      let ws: WebSocket;
      try {
        ws = socket ?? (await connect());
      } catch {
        return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'The node is not reachable. Is the shell still running? If it was restarted, open the new link it printed.' } };
      }
      const id = nextId++;
      return new Promise<WireResult<unknown>>((resolve) => {
        pending.set(id, { resolve });
        ws.send(JSON.stringify({ type: 'call', id, method, payload }));
      });
    },
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayloadOf<E>) => void) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      void connect().catch(() => undefined);
      return () => set.delete(wrapped);
    },
  };
}
