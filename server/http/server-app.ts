import http from 'node:http';
import https from 'node:https';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerDevFaucet } from '../chain/dev-faucet-routes';
import type { SettlementChain } from '../chain/settlement-chain';
import { registerDeliveries, type DeliveryConfig, type DeliveryHandle } from '../delivery/delivery-routes';
import { registerJoinRoutes } from '../doorman/join-routes';
import { registerMemberRoutes } from '../doorman/member-routes';
import { MembershipService } from '../doorman/membership-service';
import type { ServerLogger } from '../logging';
import { registerNetworkMapRoutes } from '../network-map/network-map-routes';
import type { NetworkContext } from '../network-map/network-parameters';
import { registerNotary, type NotaryConfig } from '../notary/notary-routes';
import { registerRelay, type RelayConfig, type RelayHandle } from '../relay/relay-routes';
import { registerSearch } from '../search/search-routes';
import type { Database } from '../storage/database';
import { ApiProblem, errorHandler } from './api-problem';
import { memberAuthenticator, pruneNonces, streamedBodyAuthenticator, type StreamedBodyAuthenticate } from './member-auth';

/**
 * The server's HTTP app (Fastify 5): one instance hosts every service, each a route module
 * (`server/doorman/`, `server/network-map/`, later `server/notary/`, `server/relay/`) registered
 * here with the shared pieces they need: the JSON body parser that keeps the raw bytes (signed
 * requests hash them), member authentication, rate limits, typed errors.
 *
 * Against slow and greedy clients: a body limit, Node's headers and request timeouts (checked every
 * `connectionsCheckingIntervalMs`), an idle-socket timeout, a connection cap, a per-IP rate limit on
 * every request (before any work) and a per-member one after authentication.
 */
export interface HttpLimits {
  /** Largest JSON body, bytes. */
  readonly bodyLimit: number;
  /** Time to receive a request's headers. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request. */
  readonly requestTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  readonly connectionsCheckingIntervalMs: number;
  /** A socket with no traffic for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  /** Every request, per client IP. */
  readonly ipRateLimit: RateLimit;
  /** `POST /v1/join`, per client IP. */
  readonly joinRateLimit: RateLimit;
  /** Signed requests, per member. */
  readonly memberRateLimit: RateLimit;
}

export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyLimit: 64 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsCheckingIntervalMs: 1_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_024,
  ipRateLimit: { max: 1_200, windowMs: 60_000 },
  joinRateLimit: { max: 20, windowMs: 60_000 },
  memberRateLimit: { max: 600, windowMs: 60_000 },
};

export interface ServerAppOptions {
  readonly db: Database;
  readonly network: NetworkContext;
  readonly log: ServerLogger;
  readonly autoApprove?: boolean;
  readonly now?: () => number;
  readonly limits?: Partial<HttpLimits>;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** How often expired request nonces are deleted (default one minute). */
  readonly nonceSweepMs?: number;
  /** The notary and its log (server/notary/), when the process has a log key. */
  readonly notary?: NotaryConfig;
  /** The relay's quotas and stream limits (server/relay/); defaults otherwise. */
  readonly relay?: RelayConfig;
  /** The delivery blob store (server/delivery/): its folder, TTL and quotas; without it, no delivery routes. */
  readonly delivery?: DeliveryConfig;
  /** The embedded dev chain, whose faucet funds members (server/chain/dev-faucet-routes.ts); never a real chain. */
  readonly devFaucet?: SettlementChain;
}

export interface ServerApp {
  readonly app: FastifyInstance;
  readonly membership: MembershipService;
  readonly relay: RelayHandle;
  readonly delivery: DeliveryHandle | null;
}

export async function createServerApp(options: ServerAppOptions): Promise<ServerApp> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  // Typed as the plain instance the route modules take (the custom server and logger change nothing they use).
  const app = Fastify({
    loggerInstance: options.log,
    bodyLimit: limits.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    serverFactory: (handler) => {
      const common = {
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        maxHeaderSize: 16 * 1024,
      };
      const server = options.tls !== undefined ? https.createServer({ ...common, cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(common, handler);
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.maxConnections = limits.maxConnections;
      server.setTimeout(limits.idleTimeoutMs);
      return server;
    },
  }) as unknown as FastifyInstance;
  app.decorateRequest('rawBody', null);
  app.decorateRequest('member', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: 'No such resource.' } });
  });

  // JSON only; the raw bytes are kept for signature checks; invalid UTF-8 is malformed JSON.
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer | string, done: (error: Error | null, value?: unknown) => void) => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    request.rawBody = bytes;
    try {
      done(null, JSON.parse(utf8.decode(bytes)));
    } catch {
      done(new ApiProblem('malformed_json', 'The request body is not valid JSON.'));
    }
  });

  const rateLimited = (): ApiProblem => new ApiProblem('rate_limited', 'Too many requests; slow down and retry later.');
  await app.register(rateLimit, {
    global: true,
    max: limits.ipRateLimit.max,
    timeWindow: limits.ipRateLimit.windowMs,
    errorResponseBuilder: rateLimited,
  });

  const membership = new MembershipService(options.db, options.network, { autoApprove: options.autoApprove ?? false, now });
  const authOptions = { db: options.db, membership, network: options.network.key.address, now };
  const authenticate = memberAuthenticator(authOptions);
  const authenticateStreamed = streamedBodyAuthenticator(authOptions);
  // Per member, after authentication (the key is the proven address, so nobody can spend another
  // member's quota). The plugin's route handler would be skipped after the global per-IP hook ran,
  // so the limiter is called here directly.
  const memberLimiter = app.createRateLimit({
    max: limits.memberRateLimit.max,
    timeWindow: limits.memberRateLimit.windowMs,
    keyGenerator: (request) => `member:${request.member?.address ?? request.ip}`,
  });
  const memberRateLimit = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = await memberLimiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    void reply.header('retry-after', String(result.ttlInSeconds));
    throw rateLimited();
  };
  const services = { app, db: options.db, network: options.network, membership, now, authenticate, authenticateStreamed, memberRateLimit, limits };

  app.get('/healthz', async () => ({ ok: true }));
  registerJoinRoutes(services);
  registerNetworkMapRoutes(services);
  registerMemberRoutes(services);
  if (options.notary !== undefined) registerNotary(services, options.notary);
  const relay = registerRelay(services, options.relay);
  registerSearch(services);
  const delivery = options.delivery !== undefined ? registerDeliveries(services, options.delivery) : null;
  if (options.devFaucet !== undefined) registerDevFaucet(services, options.devFaucet);

  const sweep = setInterval(() => {
    pruneNonces(options.db, now()).catch((error: unknown) => app.log.warn({ err: { type: (error as Error).name, message: (error as Error).message } }, 'nonce sweep failed'));
  }, options.nonceSweepMs ?? 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  return { app, membership, relay, delivery };
}

/** What a route module gets. */
export type RouteServices = {
  readonly app: FastifyInstance;
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly now: () => number;
  readonly authenticate: (request: FastifyRequest) => Promise<void>;
  /** For a route that streams its body: the signature checked against the body hash the client declared. */
  readonly authenticateStreamed: StreamedBodyAuthenticate;
  readonly memberRateLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  readonly limits: HttpLimits;
};
