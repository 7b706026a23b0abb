import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode, WireResult } from '../../shared/ipc/errors';
import { MAX_BINARY_PAYLOAD_BYTES, OBJECT_SIZE_HEADER, OBJECT_TICKET_HEADER } from '../../shared/ipc/ws-protocol';
import type { Body } from '../body';

/** Slice requests one connection may have in flight; more are answered 429 (each holds up to 4 MiB until sent). */
export const MAX_SLICES_IN_FLIGHT = 8;

/**
 * The read tickets of the shell's WebSocket connections: a page asks for its connection's ticket
 * over the socket (`shell.objectTicket`), then reads slices of sealed objects over plain HTTP GETs
 * that carry it in a header. The GET is answered as if the call came over that socket, with the
 * same access rule (the connection's session), and the ticket dies with the socket.
 *
 * Why: in Chromium a 512 KiB WebSocket message cost the page's main thread about 26 ms of CPU and
 * the browser process about 14 (measured here with a bare `ws` server), a fetch of the same bytes
 * about 6 and 2.5; the viewer reads one such slice per image while scrolling a stack.
 */
export class ObjectTickets {
  private readonly byTicket = new Map<string, string>();
  private readonly byConnection = new Map<string, string>();
  private readonly inFlight = new Map<string, number>();

  /** The connection's ticket (the same one for the life of the connection): 256 random bits, hex. */
  ticketFor(connectionId: string): string {
    let ticket = this.byConnection.get(connectionId);
    if (ticket === undefined) {
      ticket = randomBytes(32).toString('hex');
      this.byConnection.set(connectionId, ticket);
      this.byTicket.set(ticket, connectionId);
    }
    return ticket;
  }

  connectionOf(ticket: string): string | null {
    return this.byTicket.get(ticket) ?? null;
  }

  /** The socket closed: its ticket reads nothing any more. */
  revoke(connectionId: string): void {
    const ticket = this.byConnection.get(connectionId);
    if (ticket !== undefined) this.byTicket.delete(ticket);
    this.byConnection.delete(connectionId);
    this.inFlight.delete(connectionId);
  }

  /** Counts a request in; false when the connection already has the most in flight. */
  enter(connectionId: string): boolean {
    const now = this.inFlight.get(connectionId) ?? 0;
    if (now >= MAX_SLICES_IN_FLIGHT) return false;
    this.inFlight.set(connectionId, now + 1);
    return true;
  }

  leave(connectionId: string): void {
    const now = this.inFlight.get(connectionId);
    if (now !== undefined && now > 1) this.inFlight.set(connectionId, now - 1);
    else this.inFlight.delete(connectionId);
  }
}

const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  E_BAD_REQUEST: 400,
  E_UNKNOWN_METHOD: 400,
  E_FORBIDDEN: 403,
  E_CONFLICT: 409,
  E_UNAVAILABLE: 503,
  E_INTERNAL: 500,
};

const DIGITS = /^\d{1,15}$/;

function answerError(response: ServerResponse, headers: Record<string, string>, status: number, code: ErrorCode, message: string): void {
  const result: WireResult<never> = { ok: false, error: { code, message } };
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(result));
}

/**
 * `GET <OBJECT_SLICE_PATH>?id=…&offset=…&length=…` with the connection's ticket in
 * OBJECT_TICKET_HEADER: the bytes of objects.readBinary as the body (its size in
 * OBJECT_SIZE_HEADER), or the contract's error as JSON with a matching status. A custom header
 * cannot be sent cross-origin without a CORS preflight, which the shell never grants.
 */
export async function serveObjectSlice(request: IncomingMessage, response: ServerResponse, options: { readonly body: Body; readonly tickets: ObjectTickets; readonly headers: Record<string, string> }): Promise<void> {
  const { body, tickets, headers } = options;
  if (request.method !== 'GET') {
    response.writeHead(405, { ...headers, Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    return;
  }
  const offered = request.headers[OBJECT_TICKET_HEADER];
  const connectionId = typeof offered === 'string' ? tickets.connectionOf(offered) : null;
  if (connectionId === null) {
    answerError(response, headers, 401, 'E_FORBIDDEN', 'This read needs the ticket of an open shell connection.');
    return;
  }
  const query = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams;
  const id = query.get('id');
  const offset = query.get('offset');
  const length = query.get('length');
  if (id === null || offset === null || length === null || !DIGITS.test(offset) || !DIGITS.test(length)) {
    answerError(response, headers, 400, 'E_BAD_REQUEST', 'An object slice needs id, offset and length (whole numbers).');
    return;
  }
  if (!tickets.enter(connectionId)) {
    answerError(response, { ...headers, 'Retry-After': '1' }, 429, 'E_UNAVAILABLE', 'Too many object reads at once on this connection.');
    return;
  }
  try {
    const result = await body.router.dispatch('objects.readBinary', { id, offset: Number(offset), length: Number(length) }, { transport: 'websocket', connectionId });
    if (!result.ok) {
      answerError(response, headers, STATUS_OF[result.error.code], result.error.code, result.error.message);
      return;
    }
    const { bytes, size } = result.value as { bytes: Uint8Array; size: number };
    if (bytes.byteLength > MAX_BINARY_PAYLOAD_BYTES) throw new RangeError('A slice is larger than the shell protocol allows.');
    response.writeHead(200, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': bytes.byteLength,
      'Cache-Control': 'no-store',
      [OBJECT_SIZE_HEADER]: String(size),
    });
    // Resolve once the bytes are handed to the socket (or the client went away), so the in-flight count bounds memory.
    await new Promise<void>((resolve) => {
      response.once('close', resolve);
      response.end(bytes);
    });
  } finally {
    tickets.leave(connectionId);
  }
}
