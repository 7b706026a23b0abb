import type { Transport } from '../../shared/ipc/api-client';
import { isEventName, type EventName, type EventPayloadOf } from '../../shared/ipc/contract';
import { WireResultSchema, type WireResult } from '../../shared/ipc/errors';
import {
  decodeBinaryFrame,
  OBJECT_SIZE_HEADER,
  OBJECT_SLICE_PATH,
  OBJECT_TICKET_HEADER,
  OBJECT_TICKET_METHOD,
  ServerFrameSchema,
  WS_PATH,
  WS_SUBPROTOCOL,
} from '../../shared/ipc/ws-protocol';

const TOKEN_PROTOCOL_PREFIX = 'hdms.token.';
type Pending = { resolve: (result: WireResult<unknown>) => void };

interface SliceRequest {
  readonly id: string;
  readonly offset: number;
  readonly length: number;
}

function isSliceRequest(payload: unknown): payload is SliceRequest {
  if (typeof payload !== 'object' || payload === null) return false;
  const { id, offset, length } = payload as Record<string, unknown>;
  return typeof id === 'string' && Number.isSafeInteger(offset) && Number.isSafeInteger(length) && (offset as number) >= 0 && (length as number) >= 0;
}

/**
 * objects.readBinary as an HTTP GET with the connection's ticket (see OBJECT_SLICE_PATH): the
 * answer, or null when the ticket is no longer known (the socket was replaced) or the request did
 * not get through, and the caller goes over the socket instead.
 */
async function readSliceOverHttp(ticket: string, request: SliceRequest): Promise<WireResult<unknown> | null> {
  const query = new URLSearchParams({ id: request.id, offset: String(request.offset), length: String(request.length) });
  let response: Response;
  try {
    response = await fetch(`${OBJECT_SLICE_PATH}?${query.toString()}`, { headers: { [OBJECT_TICKET_HEADER]: ticket }, cache: 'no-store', credentials: 'omit' });
  } catch {
    return null;
  }
  if (response.status === 401 || response.status === 429) return null;
  if (response.ok) {
    const size = Number(response.headers.get(OBJECT_SIZE_HEADER));
    if (!Number.isSafeInteger(size) || size < 0) return { ok: false, error: { code: 'E_INTERNAL', message: "The node's answer could not be read: no object size." } };
    return { ok: true, value: { bytes: new Uint8Array(await response.arrayBuffer()), size } };
  }
  try {
    return WireResultSchema.parse(await response.json()) as WireResult<unknown>;
  } catch {
    return { ok: false, error: { code: 'E_INTERNAL', message: `The node's answer could not be read (HTTP ${response.status}).` } };
  }
}

/** The contract over the shell's loopback WebSocket; reconnects if the socket drops. */
export function createWebSocketTransport(token: string, location: Location): Transport {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const lostListeners = new Set<(reachable: boolean) => void>();
  let socket: WebSocket | null = null;
  let stopped = false;
  let opened: Promise<WebSocket> | null = null;
  /** The socket's ticket for object slices over HTTP (null: the shell has none; ask over the socket). */
  let ticket: Promise<string | null> | null = null;

  const failAll = (message: string): void => {
    for (const [id, call] of pending) {
      call.resolve({ ok: false, error: { code: 'E_UNAVAILABLE', message } });
      pending.delete(id);
    }
  };

  const reportLost = (reachable: boolean): void => {
    for (const listener of lostListeners) listener(reachable);
  };

  const connect = (): Promise<WebSocket> => {
    opened ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}${WS_PATH}`, [WS_SUBPROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
      // Binary frames (results that carry bytes) arrive as ArrayBuffers the bytes are a view of.
      ws.binaryType = 'arraybuffer';
      let wasOpen = false;
      ws.addEventListener('open', () => {
        wasOpen = true;
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
        ticket = null;
        failAll('The connection to the node was lost.');
        reject(new Error('closed'));
        // An open socket dropped without the body saying it stops (a crash, a kill): the body has
        // ended this connection's sessions. Dial once more to tell "gone" from "still there".
        if (wasOpen && !stopped) {
          connect().then(
            () => reportLost(true),
            () => {
              stopped = true;
              reportLost(false);
            },
          );
        }
      });
    });
    return opened;
  };

  return {
    kind: 'websocket',
    async call(method, payload) {
      if (stopped) return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'HDMS Node has shut down. Start it again (npm run shell) and open the new link it prints.' } };
      let ws: WebSocket;
      try {
        ws = socket ?? (await connect());
      } catch {
        return { ok: false, error: { code: 'E_UNAVAILABLE', message: 'The node is not reachable. Is the shell still running? If it was restarted, open the new link it printed.' } };
      }
      const send = (sentMethod: string, sentPayload: unknown): Promise<WireResult<unknown>> => {
        const id = nextId++;
        return new Promise<WireResult<unknown>>((resolve) => {
          pending.set(id, { resolve });
          ws.send(JSON.stringify({ type: 'call', id, method: sentMethod, payload: sentPayload }));
        });
      };
      if (method === 'objects.readBinary' && isSliceRequest(payload)) {
        ticket ??= send(OBJECT_TICKET_METHOD, null).then((result) => {
          const value = result.ok ? (result.value as { ticket?: unknown } | null) : null;
          return typeof value?.ticket === 'string' ? value.ticket : null;
        });
        const known = await ticket;
        const answer = known === null ? null : await readSliceOverHttp(known, payload);
        if (answer !== null) return answer;
      }
      return send(method, payload);
    },
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayloadOf<E>) => void) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      void connect().catch(() => undefined);
      return () => set.delete(wrapped);
    },
    onConnectionLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
  };
}
