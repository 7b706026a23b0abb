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
import type { Body } from '../body';
import { buildCsp, buildDecodeWorkerCsp, securityHeaders } from '../security/csp';
import { loadStaticAsset } from '../security/static-assets';
import { ObjectTickets, serveObjectSlice } from './object-slices-http';

/** The only address the shell ever binds. Not configurable, on purpose. */
export const SHELL_HOST = '127.0.0.1';
/** A WebSocket offers the token as a second subprotocol, so it never appears in a URL or a log. */
export const TOKEN_PROTOCOL_PREFIX = 'hdms.token.';

export interface ShellServerOptions {
  readonly body: Body;
  readonly rendererDir: string;
  readonly port: number;
  /** Tests may fix the token; otherwise 32 random bytes. */
  readonly token?: string;
}

export interface ShellServer {
  readonly port: number;
  readonly url: string;
  readonly token: string;
  /** The line `npm run shell` prints when ready. */
  readonly readyLine: string;
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refuseUpgrade(socket: Duplex, status: 400 | 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The browser shell: serves the built renderer on 127.0.0.1 and carries the body ↔ mind contract
 * over a token-guarded WebSocket. It is how the UI runs without Electron.
 */
export async function startShellServer(options: ShellServerOptions): Promise<ShellServer> {
  const { body } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const server = http.createServer();
  const sockets = new Set<WebSocket>();
  const tickets = new ObjectTickets();
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
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  wss.on('connection', (ws: WebSocket) => {
    const connectionId = randomUUID();
    sockets.add(ws);
    const send = (frame: ServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
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
      if (typeof encoded === 'string') ws.send(encoded);
      else ws.send(Buffer.concat([encoded.header, encoded.bytes]), { binary: true });
    };
    const unsubscribe = body.events.subscribe((name, payload) => send({ type: 'event', name, payload }));
    body.log.info({ connectionId }, 'shell client connected');

    ws.on('message', (data: RawData, isBinary: boolean) => {
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
      void body.router
        .dispatch(method, payload, { transport: 'websocket', connectionId })
        .then((result) => sendResult({ type: 'result', id, result }));
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      unsubscribe();
      tickets.revoke(connectionId);
      body.connectionClosed(connectionId);
      sockets.delete(ws);
      body.log.info({ connectionId }, 'shell client disconnected');
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

  return {
    port,
    url,
    token,
    readyLine: `HDMS shell ready at ${url}#token=${token}`,
    close: async () => {
      for (const ws of sockets) ws.close(1001, 'shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
