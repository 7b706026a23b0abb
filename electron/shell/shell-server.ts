import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  ClientFrameSchema,
  encodeResultFrame,
  MAX_WS_FRAME_BYTES,
  OBJECT_SLICE_PATH,
  OBJECT_TICKET_METHOD,
  WS_PATH,
  WS_SUBPROTOCOL,
  type ServerFrame,
} from '../../shared/ipc/ws-protocol';
import type { WireResult } from '../../shared/ipc';
import { LINK_CODE_KEY, SHELL_ACCESS_PATH, type ShellAccessAnswer } from '../../shared/ipc/shell-access';
import type { Body } from '../body';
import { buildCsp, buildDecodeWorkerCsp, securityHeaders } from '../security/csp';
import { loadStaticAsset } from '../security/static-assets';
import { LinkCodes } from './link-codes';
import { ObjectTickets, serveObjectSlice } from './object-slices-http';

/** The only address the shell ever binds. Not configurable, on purpose. */
export const SHELL_HOST = '127.0.0.1';
/** The body of a POST to SHELL_ACCESS_PATH is `{"code":"…"}`: a few dozen bytes. */
const MAX_ACCESS_BODY_BYTES = 1024;
/** A WebSocket offers the token as a second subprotocol, so it never appears in a URL or a log. */
export const TOKEN_PROTOCOL_PREFIX = 'hdms.token.';

export interface ShellServerOptions {
  readonly body: Body;
  readonly rendererDir: string;
  readonly port: number;
  /** Tests may fix the token; otherwise 32 random bytes. */
  readonly token?: string;
  /** Tests may lower the flow limits (SHELL_FLOW_LIMITS otherwise). */
  readonly limits?: Partial<ShellFlowLimits>;
}

/**
 * How much one WebSocket connection may ask of the body at once. Beyond either bound the shell stops
 * reading that connection's socket (TCP backpressure) until its calls finish and its answers drain,
 * so a client flooding calls, or not reading its answers, slows only itself.
 */
export interface ShellFlowLimits {
  /** Calls of one connection the router works on at once (the page has about a dozen during an index build). */
  readonly callsInFlight: number;
  /** Bytes of answers queued for one connection, not yet taken by the socket (`ws.bufferedAmount`). */
  readonly unsentBytes: number;
  /** Past this many unsent bytes an event (which a paused socket cannot hold back) closes the connection. */
  readonly unsentBytesHardCap: number;
  /** Open WebSocket connections per shell; one more is refused with 503. */
  readonly connections: number;
  /**
   * TCP sockets of the shell at once, WebSocket ones included (so more than `connections`); one more
   * is closed unanswered. Without it idle sockets from any local process pile up without end.
   */
  readonly httpSockets: number;
  /** A request's headers must be in within this (slowloris); 408 and closed otherwise. */
  readonly headersTimeoutMs: number;
  /** A whole request (headers and body) must be in within this; 408 and closed otherwise. */
  readonly requestTimeoutMs: number;
  /** An HTTP socket with nothing read or written for this long is closed (a reader that stopped reading). */
  readonly idleSocketMs: number;
}

export const SHELL_FLOW_LIMITS: ShellFlowLimits = {
  callsInFlight: 64,
  unsentBytes: 8 * 1024 * 1024,
  unsentBytesHardCap: 64 * 1024 * 1024,
  connections: 32,
  // Chromium opens at most 6 HTTP/1.1 sockets per host and profile: a few tabs stay far below this.
  httpSockets: 128,
  // The page's requests are a few bytes of headers and at most a 1 KiB body, from this machine.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  idleSocketMs: 60_000,
};

/** One connection's flow, as the shell sees it now (tests and diagnostics). */
export interface ShellConnectionFlow {
  readonly inFlight: number;
  /** The most calls in flight at once so far (logged when the connection closes). */
  readonly peakInFlight: number;
  /** Frames read before the pause took effect, waiting for a slot (the socket's last chunk at most). */
  readonly waitingFrames: number;
  readonly waitingBytes: number;
  readonly unsentBytes: number;
  /** Whether the shell has stopped reading this connection's socket. */
  readonly paused: boolean;
}

export interface ShellServer {
  readonly port: number;
  readonly url: string;
  /** What a WebSocket offers; never printed nor put in a URL: a page gets it for a link's one-time code. */
  readonly token: string;
  /** The line `npm run shell` prints when ready: its link carries a one-time code, not the token. */
  readonly readyLine: string;
  /** A new one-time link (`…/#code=…`), for a reload or another tab. */
  newLink(): string;
  /** Each open connection's flow (calls in flight, frames waiting, unsent bytes, paused). */
  connectionFlows(): ShellConnectionFlow[];
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refuseUpgrade(socket: Duplex, status: 400 | 401 | 403 | 404 | 503, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The browser shell: serves the built renderer on 127.0.0.1 and carries the body ↔ mind contract
 * over a token-guarded WebSocket. It is how the UI runs without Electron.
 */
export async function startShellServer(options: ShellServerOptions): Promise<ShellServer> {
  const { body } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const sockets = new Set<WebSocket>();
  const limits: ShellFlowLimits = { ...SHELL_FLOW_LIMITS, ...options.limits };
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts only this often (30 s unless told).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, limits.headersTimeoutMs / 4)),
  });
  server.maxConnections = limits.httpSockets;
  // Upgraded sockets are left alone (ws clears this timeout): WebSockets are bounded by `connections`.
  server.timeout = limits.idleSocketMs;
  const flows = new Map<WebSocket, () => ShellConnectionFlow>();
  const tickets = new ObjectTickets();
  const linkCodes = new LinkCodes();
  let port = 0;

  const allowedHosts = (): readonly string[] => [`${SHELL_HOST}:${port}`, `localhost:${port}`];
  const allowedOrigins = (): readonly string[] => allowedHosts().map((host) => `http://${host}`);
  const csp = (): string => buildCsp({ connectSrc: [`ws://${SHELL_HOST}:${port}`, `ws://localhost:${port}`] });

  const serveHttp = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const headers = securityHeaders(csp());
    // A Host check defeats DNS rebinding: a web page on another name that resolves to loopback.
    if (!allowedHosts().includes(request.headers.host ?? '')) {
      response.writeHead(421, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Misdirected request\n');
      return;
    }
    const urlPath = new URL(request.url ?? '/', `http://${SHELL_HOST}`).pathname;
    if (urlPath === OBJECT_SLICE_PATH) {
      // Browsers send Origin on a cross-origin GET; a page from anywhere else reads nothing.
      const origin = request.headers.origin;
      if (origin !== undefined && !allowedOrigins().includes(origin)) {
        response.writeHead(403, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden\n');
        return;
      }
      await serveObjectSlice(request, response, { body, tickets, headers });
      return;
    }
    if (urlPath === SHELL_ACCESS_PATH) {
      await tradeLinkCode(request, response, headers);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    const asset = await loadStaticAsset(options.rendererDir, urlPath);
    if (asset === null) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    response.writeHead(200, {
      ...(asset.isDecodeWorker ? securityHeaders(buildDecodeWorkerCsp()) : headers),
      'Content-Type': asset.contentType,
      'Content-Length': asset.body.length,
      'Cache-Control': asset.isDocument ? 'no-store' : 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
  };

  /** POST SHELL_ACCESS_PATH `{"code":"…"}`: the token for a link's code, once. */
  const tradeLinkCode = async (request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> => {
    const answer = (status: number, value: ShellAccessAnswer | { error: string }): void => {
      response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(value));
    };
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return answer(405, { error: 'Method not allowed' });
    }
    // Browsers send Origin on every POST: a page from anywhere else gets nothing and spends no code.
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return answer(403, { error: 'Forbidden' });
    // The code travels in the body only: in a query it would be a URL again.
    if ((request.url ?? '').includes('?')) return answer(400, { error: 'The code goes in the request body.' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ACCESS_BODY_BYTES) return answer(413, { error: 'Request too large' });
      chunks.push(chunk);
    }
    let code: unknown;
    try {
      code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> | null)?.[LINK_CODE_KEY];
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string') return answer(400, { error: 'The body must be {"code": "…"}.' });
    const outcome = linkCodes.redeem(code);
    if (outcome === 'ok') {
      body.log.info({}, 'shell link used');
      return answer(200, { token });
    }
    body.log.warn({ reason: outcome }, 'shell link refused');
    return answer(outcome === 'used' ? 410 : 401, { refused: outcome });
  };

  server.on('request', (request, response) => {
    serveHttp(request, response).catch((error: unknown) => {
      body.log.error({ errorClass: (error as Error)?.name }, 'shell http request failed');
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const pathname = new URL(request.url ?? '/', `http://${SHELL_HOST}`).pathname;
    if (pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!allowedHosts().includes(request.headers.host ?? '')) return refuseUpgrade(socket, 403, 'Forbidden');
    // Browsers always send Origin; a page from anywhere else must not drive the body.
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return refuseUpgrade(socket, 403, 'Forbidden');
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((value) => value.trim());
    const offeredToken = offered.find((value) => value.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (offeredToken === undefined || !sameSecret(offeredToken, token)) {
      body.log.warn({ reason: offeredToken === undefined ? 'no token' : 'wrong token' }, 'shell websocket refused');
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    if (!offered.includes(WS_SUBPROTOCOL)) return refuseUpgrade(socket, 400, 'Bad Request');
    // handleUpgrade completes synchronously, so `sockets` counts every admitted connection.
    if (sockets.size >= limits.connections) {
      body.log.warn({ limit: limits.connections }, 'shell websocket refused: too many connections');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  wss.on('connection', (ws: WebSocket) => {
    const connectionId = randomUUID();
    sockets.add(ws);
    /** Calls dispatched to the router and not yet answered. */
    let inFlight = 0;
    let peakInFlight = 0;
    /** Frames the socket delivered after reading paused (ws emits the rest of a chunk it already has). */
    const waiting: Array<{ data: RawData; isBinary: boolean; bytes: number }> = [];
    let waitingBytes = 0;
    const overBounds = (): boolean => inFlight >= limits.callsInFlight || ws.bufferedAmount > limits.unsentBytes;
    /** Handles waiting frames while under both bounds; reads the socket again only when none wait. */
    const pump = (): void => {
      while (waiting.length > 0 && !overBounds()) {
        const next = waiting.shift()!;
        waitingBytes -= next.bytes;
        handleFrame(next.data, next.isBinary);
      }
      if (waiting.length > 0 || overBounds()) ws.pause();
      else if (ws.isPaused) ws.resume();
    };
    /** Each send's callback runs once the socket took its bytes: a paused connection may read again. */
    const afterSend = (): void => {
      if (ws.isPaused) pump();
    };
    flows.set(ws, () => ({ inFlight, peakInFlight, waitingFrames: waiting.length, waitingBytes, unsentBytes: ws.bufferedAmount, paused: ws.isPaused }));

    const send = (frame: ServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame), afterSend);
    };
    // A value with bytes (objects.readBinary) goes as one binary frame, header then bytes, never as base64.
    const sendResult = (frame: Extract<ServerFrame, { type: 'result' }>): void => {
      if (ws.readyState !== ws.OPEN) return;
      let encoded: ReturnType<typeof encodeResultFrame>;
      try {
        encoded = encodeResultFrame(frame);
      } catch (error) {
        body.log.error({ connectionId, errorClass: (error as Error)?.name }, 'shell result could not be encoded');
        encoded = JSON.stringify({ type: 'result', id: frame.id, result: { ok: false, error: { code: 'E_INTERNAL', message: 'The node could not send this answer.' } } } satisfies ServerFrame);
      }
      if (typeof encoded === 'string') ws.send(encoded, afterSend);
      else ws.send(Buffer.concat([encoded.header, encoded.bytes]), { binary: true }, afterSend);
    };
    const unsubscribe = body.events.subscribe((name, payload) => {
      // Events have access rules like methods (EVENT_ACCESS): a connection without a session hears the unlock screen's only.
      if (!body.mayHear(connectionId, name)) return;
      // Reading can be paused but events cannot: a client that reads nothing for long loses its connection
      // (the page reconnects) rather than the shell holding its events without end.
      if (ws.bufferedAmount > limits.unsentBytesHardCap) {
        body.log.warn({ connectionId, limit: limits.unsentBytesHardCap }, 'shell client closed: it does not read its frames');
        ws.terminate();
        return;
      }
      send({ type: 'event', name, payload });
    });
    body.log.info({ connectionId }, 'shell client connected');

    function handleFrame(data: RawData, isBinary: boolean): void {
      let frame: unknown;
      try {
        if (isBinary) throw new Error('binary frame');
        frame = JSON.parse(data.toString());
      } catch {
        send({ type: 'protocol-error', error: { code: 'E_BAD_REQUEST', message: 'Frames must be JSON text.' } });
        return;
      }
      const parsed = ClientFrameSchema.safeParse(frame);
      if (!parsed.success) {
        send({ type: 'protocol-error', error: { code: 'E_BAD_REQUEST', message: 'Frame does not follow the shell protocol.' } });
        return;
      }
      const { id, method, payload } = parsed.data;
      // The shell's own call: this connection's ticket for reading object slices over HTTP.
      if (method === OBJECT_TICKET_METHOD) {
        send({ type: 'result', id, result: { ok: true, value: { ticket: tickets.ticketFor(connectionId) } } });
        return;
      }
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      void body.router
        .dispatch(method, payload, { transport: 'websocket', connectionId })
        .catch((error: unknown): WireResult<unknown> => {
          body.log.error({ connectionId, errorClass: (error as Error)?.name }, 'shell call failed outside the router');
          return { ok: false, error: { code: 'E_INTERNAL', message: 'The node could not complete this call.' } };
        })
        .then((result) => {
          inFlight -= 1;
          sendResult({ type: 'result', id, result });
          pump();
        });
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (waiting.length > 0 || overBounds()) {
        const bytes = Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
        waiting.push({ data, isBinary, bytes });
        waitingBytes += bytes;
        ws.pause();
        return;
      }
      handleFrame(data, isBinary);
      if (overBounds()) ws.pause();
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      waiting.length = 0;
      waitingBytes = 0;
      flows.delete(ws);
      unsubscribe();
      tickets.revoke(connectionId);
      body.connectionClosed(connectionId);
      sockets.delete(ws);
      body.log.info({ connectionId, peakInFlight }, 'shell client disconnected');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: SHELL_HOST, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${SHELL_HOST}:${port}/`;
  const newLink = (): string => `${url}#${LINK_CODE_KEY}=${linkCodes.issue()}`;

  return {
    port,
    url,
    token,
    readyLine: `HDMS shell ready at ${newLink()}`,
    newLink,
    connectionFlows: () => [...flows.values()].map((flow) => flow()),
    close: async () => {
      for (const ws of sockets) ws.close(1001, 'shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
