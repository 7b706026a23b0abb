import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { WebSocketServer } from 'ws';
import { RELAY_ROUTES, RelayAckSchema, RelayInboxQuerySchema, RELAY_MAX_PAGE, relaySendSchema, type RelayInboxPage } from '../../shared/network/relay';
import { ApiProblem, problemBody } from '../http/api-problem';
import type { RouteServices } from '../http/server-app';
import { WindowCounter } from '../http/window-counter';
import { relayNotifier } from './relay-notifier';
import { RelayService, type RelayQuota } from './relay-service';
import { RelayStreams, type RelayStreamStats } from './relay-streams';

/** Stream upgrades whose signature is being checked at once; more wait for a retry (bounded work and memory). */
const MAX_AUTHENTICATING_UPGRADES = 256;

/**
 * The relay's routes (issue 10 item 9; wire formats in shared/network/relay.ts) and its lifecycle:
 *
 *   POST /v1/relay/messages   signed; stores envelopes from the signer           → 201 RelaySent
 *   GET  /v1/relay/inbox      signed; ?after=SEQ&limit=N pending for the signer  → RelayInboxPage
 *   POST /v1/relay/ack        signed; deletes the signer's messages by id        → { deleted }
 *   GET  /v1/relay/stream     WebSocket; the upgrade request carries the signed-request headers
 *                             (GET, this path, empty body); pushes the signer's messages
 *
 * The stream is served from the HTTP server's `upgrade` event (ws in noServer mode), beside Fastify's
 * routes, so it shares the port, TLS and member authentication; Fastify never sees upgrades. A
 * refused upgrade gets the same typed JSON error as any route, with its HTTP status. Expired messages
 * are deleted every `sweepMs`. Nothing here logs an envelope or a request body.
 */
export interface RelayConfig {
  readonly quota?: Partial<RelayQuota>;
  /** The longest a message may wait for its recipient (default 7 days). */
  readonly maxTtlMs?: number;
  /** Body limit of POST /v1/relay/messages (default 16 MiB). */
  readonly maxRequestBytes?: number;
  readonly maxStreamsPerMember?: number;
  /** Unsent bytes one stream may hold before its consumer counts as too slow (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  readonly heartbeatMs?: number;
  readonly sweepMs?: number;
}

export const DEFAULT_RELAY_CONFIG = {
  quota: { messagesPerHour: 20_000, bytesPerHour: 512 * 1024 * 1024 },
  maxTtlMs: 7 * 24 * 3600_000,
  maxRequestBytes: 16 * 1024 * 1024,
  maxStreamsPerMember: 4,
  maxBufferedBytes: 4 * 1024 * 1024,
  heartbeatMs: 30_000,
  sweepMs: 60_000,
} as const;

export interface RelayHandle {
  readonly service: RelayService;
  statistics(): RelayStreamStats;
  /** Deletes expired messages now; returns how many. */
  prune(): Promise<number>;
}

function parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiProblem('invalid_request', `The ${what} is not valid for this endpoint.`);
  return parsed.data;
}

export function registerRelay(services: RouteServices, config: RelayConfig = {}): RelayHandle {
  const { app, db, network, now, authenticate, memberRateLimit } = services;
  const maxMessageSize = network.parameters.maxMessageSize;
  const warn = (what: string) => (error: unknown) => app.log.warn({ err: { type: (error as Error).name, message: (error as Error).message } }, what);
  const notifier = relayNotifier(db, warn('relay notifications failed'));
  const service = new RelayService(db, notifier, {
    now,
    maxMessageSize,
    maxTtlMs: config.maxTtlMs ?? DEFAULT_RELAY_CONFIG.maxTtlMs,
    quota: { ...DEFAULT_RELAY_CONFIG.quota, ...config.quota },
  });
  const streams = new RelayStreams(service, {
    maxStreamsPerMember: config.maxStreamsPerMember ?? DEFAULT_RELAY_CONFIG.maxStreamsPerMember,
    maxBufferedBytes: config.maxBufferedBytes ?? DEFAULT_RELAY_CONFIG.maxBufferedBytes,
    heartbeatMs: config.heartbeatMs ?? DEFAULT_RELAY_CONFIG.heartbeatMs,
    pageSize: 32,
    log: app.log,
  });
  // The envelopes are parsed whole; their ciphertexts' bound here is the absolute one, so that a
  // message over the network's maxMessageSize is told 413 by the service rather than 400.
  const sendSchema = relaySendSchema();
  const preHandler = [authenticate, memberRateLimit];

  app.post(RELAY_ROUTES.messages, { bodyLimit: config.maxRequestBytes ?? DEFAULT_RELAY_CONFIG.maxRequestBytes, preHandler }, async (request, reply) => {
    const body = parse(sendSchema, request.body, 'message batch');
    const sent = await service.send(request.member!.address, body.envelopes);
    return reply.code(201).send(sent);
  });

  app.get(RELAY_ROUTES.inbox, { preHandler }, async (request, reply) => {
    const query = parse(RelayInboxQuerySchema, request.query, 'query string');
    const limit = query.limit ?? RELAY_MAX_PAGE;
    const rows = await service.pending(request.member!.address, query.after ?? 0, limit);
    const next: RelayInboxPage['next'] = rows.length === limit ? rows[rows.length - 1]!.seq : null;
    // The stored envelope JSON is passed through as is (it was parsed strictly when stored).
    const body = `{"messages":[${rows.map((row) => `{"seq":${row.seq},"envelope":${row.envelope}}`).join(',')}],"next":${next === null ? 'null' : next}}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.post(RELAY_ROUTES.ack, { preHandler }, async (request) => {
    const body = parse(RelayAckSchema, request.body, 'acknowledgement');
    return { deleted: await service.ack(request.member!.address, body.ids) };
  });

  // The stream: WebSocket upgrades on this path only, authenticated like any signed request.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  const refuse = (socket: Duplex, problem: ApiProblem): void => {
    const body = JSON.stringify(problemBody(problem.code, problem.message));
    socket.end(`HTTP/1.1 ${problem.statusCode} ${STATUS_CODES[problem.statusCode] ?? ''}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  // Upgrades never reach Fastify's per-IP rate limit: the same limit, counted here, before any
  // signature is checked; and a bound on upgrades still being authenticated.
  const upgradesPerIp = new WindowCounter(services.limits.ipRateLimit.max, services.limits.ipRateLimit.windowMs);
  let authenticating = 0;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '').split('?')[0];
    if (path !== RELAY_ROUTES.stream) return refuse(socket, new ApiProblem('not_found', 'No such resource.'));
    if (!upgradesPerIp.take(request.socket.remoteAddress ?? '')) return refuse(socket, new ApiProblem('rate_limited', 'Too many requests from this address; try again later.'));
    if (authenticating >= MAX_AUTHENTICATING_UPGRADES) return refuse(socket, new ApiProblem('rate_limited', 'The server is busy; try again later.'));
    const pseudo = { headers: request.headers, url: request.url ?? '', method: request.method ?? 'GET', rawBody: null, member: null } as unknown as FastifyRequest;
    authenticating++;
    authenticate(pseudo)
      .finally(() => authenticating--)
      .then(
        () => {
          const member = pseudo.member!.address;
          if (!streams.reserve(member)) return refuse(socket, new ApiProblem('rate_limited', 'This member has as many relay streams open as it may.'));
          // Heartbeats watch the connection from here; Node's idle timeout must not cut it.
          (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
          // ws destroys the socket without calling back when the handshake is bad or the client left
          // during authentication: the slot is given back when the socket closes before attaching.
          let attached = false;
          socket.once('close', () => {
            if (!attached) streams.unreserve(member);
          });
          wss.handleUpgrade(request, socket, head, (ws) => {
            attached = true;
            streams.attach(ws, member);
          });
        },
        (error: unknown) => refuse(socket, error instanceof ApiProblem ? error : new ApiProblem('internal_error', 'The server could not complete the request.')),
      );
  };
  app.server.on('upgrade', onUpgrade);
  app.get(RELAY_ROUTES.stream, async () => {
    throw new ApiProblem('invalid_request', 'This endpoint is a WebSocket: send an upgrade request.');
  });

  const sweep = setInterval(() => {
    service.prune().catch(warn('relay sweep failed'));
  }, config.sweepMs ?? DEFAULT_RELAY_CONFIG.sweepMs);
  sweep.unref();
  app.addHook('onReady', async () => notifier.start((member) => streams.notify(member), () => streams.resync()));
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    streams.close();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await notifier.close();
    wss.close();
  });
  return { service, statistics: () => streams.statistics(), prune: () => service.prune() };
}
