import type { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import pino from 'pino';
import WebSocket from 'ws';
import type { MembershipService } from '../../../../server/doorman/membership-service';
import { createServerApp, type HttpLimits } from '../../../../server/http/server-app';
import { LOG_SERIALIZERS } from '../../../../server/logging';
import { ensureNetwork, type NetworkContext } from '../../../../server/network-map/network-parameters';
import type { RelayConfig, RelayHandle } from '../../../../server/relay/relay-routes';
import type { Database } from '../../../../server/storage/database';
import type { MemberRole } from '../../../../shared/network/network-domain';
import { RELAY_ROUTES, RelayStreamFrameSchema, sealMessage, type RelayEnvelope, type RelayStreamFrame } from '../../../../shared/network/relay';
import { signRequest, walletRequestSigner, type RequestSigner } from '../../../../shared/network/signed-request';
import { postJson, signedFetch, signedJoin, type TestNode } from '../../support/member-client';

/** A relay member: its identity key, and its message key pair as WebCrypto keys (what the mind holds). */
export interface RelayNode extends TestNode {
  readonly messagePrivateKey: CryptoKey;
  readonly signer: RequestSigner;
}

export async function newRelayNode(): Promise<RelayNode> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  return { wallet, messageKey: `0x${Buffer.from(raw).toString('hex')}`, messagePrivateKey: pair.privateKey, signer: walletRequestSigner(wallet) };
}

export interface RelayTestServer {
  readonly url: string;
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly relay: RelayHandle;
  readonly wallet: Wallet;
  readonly logLines: () => string[];
  close(): Promise<void>;
}

export interface RelayServerOptions {
  readonly relay?: RelayConfig;
  readonly limits?: Partial<HttpLimits>;
  readonly now?: () => number;
  readonly maxMessageSize?: number;
  /** The network key: pass another server's to run a second server process's app on the same database. */
  readonly wallet?: Wallet;
}

export async function startRelayServer(db: Database, options: RelayServerOptions = {}): Promise<RelayTestServer> {
  const wallet = options.wallet ?? new Wallet(Wallet.createRandom().privateKey);
  const network = await ensureNetwork(db, wallet, { name: 'Relay Test Network', ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}) }, options.now);
  const lines: string[] = [];
  const log = pino({ level: 'info', serializers: LOG_SERIALIZERS }, { write: (line: string) => lines.push(line) });
  const { app, membership, relay } = await createServerApp({
    db,
    network,
    log,
    ...(options.relay ? { relay: options.relay } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, db, network, membership, relay, wallet, logLines: () => [...lines], close: () => app.close() };
}

/** A node that joined with these roles and was approved. */
export async function relayMember(server: RelayTestServer, roles: MemberRole[] = ['clinic']): Promise<RelayNode> {
  const node = await newRelayNode();
  const response = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned, { roles }));
  if (response.status !== 202 && response.status !== 200) throw new Error(`join answered ${response.status}`);
  await server.membership.approve(node.wallet.address);
  return node;
}

export async function seal(from: RelayNode, to: RelayNode, payload: string | Uint8Array, options: { ttlMs?: number; now?: number } = {}): Promise<RelayEnvelope> {
  return sealMessage({
    signer: from.signer,
    recipient: to.wallet.address,
    recipientMessageKey: to.messageKey,
    payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    ttlMs: options.ttlMs ?? 3600_000,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
}

export async function send(server: RelayTestServer, from: TestNode, envelopes: readonly RelayEnvelope[]): Promise<Response> {
  return signedFetch(server.url, from, server.network.pinned, RELAY_ROUTES.messages, { method: 'POST', body: JSON.stringify({ envelopes }) });
}

export async function inbox(server: RelayTestServer, node: TestNode, query = ''): Promise<Response> {
  return signedFetch(server.url, node, server.network.pinned, `${RELAY_ROUTES.inbox}${query}`);
}

export async function ack(server: RelayTestServer, node: TestNode, ids: readonly string[]): Promise<Response> {
  return signedFetch(server.url, node, server.network.pinned, RELAY_ROUTES.ack, { method: 'POST', body: JSON.stringify({ ids }) });
}

/** A stream client: frames as they come, and a way to wait for some. */
export interface StreamClient {
  readonly ws: WebSocket;
  readonly frames: RelayStreamFrame[];
  /** Resolves once `count` message frames have arrived. */
  messages(count: number, timeoutMs?: number): Promise<Extract<RelayStreamFrame, { type: 'message' }>[]>;
  closed(): Promise<{ code: number }>;
  close(): void;
}

export async function streamHeaders(server: RelayTestServer, node: TestNode): Promise<Record<string, string>> {
  return signRequest(walletRequestSigner(node.wallet), { network: server.network.pinned.address, method: 'GET', path: RELAY_ROUTES.stream });
}

/** Opens the stream and waits for its `ready` frame (rejects with the HTTP status of a refused upgrade). */
export async function openStream(server: RelayTestServer, node: TestNode, headers?: Record<string, string>): Promise<StreamClient> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${RELAY_ROUTES.stream}`, { headers: headers ?? (await streamHeaders(server, node)) });
  const frames: RelayStreamFrame[] = [];
  const waiters: (() => void)[] = [];
  let closeInfo: { code: number } | null = null;
  const closeWaiters: ((info: { code: number }) => void)[] = [];
  ws.on('message', (data) => {
    frames.push(RelayStreamFrameSchema.parse(JSON.parse(String(data))));
    for (const waiter of waiters.splice(0)) waiter();
  });
  ws.on('close', (code) => {
    closeInfo = { code };
    for (const waiter of closeWaiters.splice(0)) waiter(closeInfo);
    for (const waiter of waiters.splice(0)) waiter();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode })));
    ws.once('error', reject);
    const check = (): void => {
      if (frames.some((frame) => frame.type === 'ready')) resolve();
      else waiters.push(check);
    };
    check();
  });
  const messageFrames = () => frames.filter((frame): frame is Extract<RelayStreamFrame, { type: 'message' }> => frame.type === 'message');
  return {
    ws,
    frames,
    messages: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${messageFrames().length} of ${count} messages arrived`)), timeoutMs);
        const check = (): void => {
          if (messageFrames().length >= count) {
            clearTimeout(timer);
            resolve(messageFrames());
          } else if (closeInfo !== null) {
            clearTimeout(timer);
            reject(new Error(`stream closed (${closeInfo.code}) after ${messageFrames().length} of ${count} messages`));
          } else waiters.push(check);
        };
        check();
      }),
    closed: () => (closeInfo !== null ? Promise.resolve(closeInfo) : new Promise((resolve) => closeWaiters.push(resolve))),
    close: () => ws.close(),
  };
}
