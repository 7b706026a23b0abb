import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hexlify, type Wallet } from 'ethers';
import { expect } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { startNetworkServer, type RunningServer } from '../../../server/server-process';
import { generateOperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { CONTENT_SHA256_HEADER } from '../../../shared/network/delivery';
import { signJoinRequest } from '../../../shared/network/membership';
import { walletRequestSigner } from '../../../shared/network/signed-request';
import { signDelegation } from '../../../shared/network/transport-delegation';
import { randomWallet } from '../../support/fake-network-server';
import { call, makeTestVault, signIn } from '../vault/vault-test-support';

/**
 * What the delivery tests share: a pass-through proxy in front of the real server that can be told
 * to answer garbage, joined nodes (approved at once) and their delegations.
 */

type Cleanup = (cleanup: () => Promise<void>) => void;

export type Tampered = { readonly status: number; readonly headers: Record<string, string>; readonly body: string | Uint8Array };

/** Forwards every request to the server unchanged, unless `tamper` answers for it. */
export interface Proxy {
  readonly url: string;
  tamper: ((method: string, path: string) => Tampered | null) | null;
}

export async function startProxy(target: string, cleanup: Cleanup): Promise<Proxy> {
  const proxy: { url: string; tamper: Proxy['tamper'] } = { url: '', tamper: null };
  const server = http.createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (piece: Buffer) => pieces.push(piece));
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET';
        const path = req.url ?? '/';
        const tampered = proxy.tamper?.(method, path) ?? null;
        if (tampered !== null) {
          res.writeHead(tampered.status, tampered.headers);
          res.end(tampered.body);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
        }
        const body = Buffer.concat(pieces);
        const answer = await fetch(`${target}${path}`, { method, headers, ...(body.length > 0 ? { body } : {}) });
        const forwarded: Record<string, string> = {};
        for (const name of ['content-type', 'etag', CONTENT_SHA256_HEADER]) {
          const value = answer.headers.get(name);
          if (value !== null) forwarded[name] = value;
        }
        res.writeHead(answer.status, forwarded);
        res.end(Buffer.from(await answer.arrayBuffer()));
      })().catch(() => {
        res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

export interface Node {
  readonly body: Body;
  readonly identity: Wallet;
}

/** A body with an open vault that joined the network (approved at once) under a new identity key. */
export async function joinedNode(harness: { readonly tempDir: () => Promise<string>; readonly cleanup: Cleanup }, server: RunningServer, url: string, legalName: string, roles: ('clinic' | 'research')[]): Promise<Node> {
  const { tempDir, cleanup } = harness;
  const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
  cleanup(() => body.stop('quit'));
  const vault = await makeTestVault();
  await call(body, 'vault.create', { keyring: vault.keyring });
  await signIn(body, vault);
  const identity = randomWallet();
  const { preview } = await call(body, 'network.inspect', { url });
  const request = await signJoinRequest(identity, preview.chainId, {
    network: server.network.pinned.address,
    node: identity.address,
    legalName,
    country: 'CH',
    roles,
    messageKey: hexlify((await generateOperatorSigningKey()).publicKey),
    appVersion: '0.1.0',
    nonce: hexlify(randomBytes(32)),
    createdAt: Date.now(),
  });
  await call(body, 'network.join', { url, fingerprint: preview.fingerprint, request });
  const { state } = await call(body, 'network.refresh', {});
  expect(state).toMatchObject({ status: 'approved', node: identity.address });
  return { body, identity };
}

/** What the mind does at unlock: a delegation of the node's requests to the body's transport key. */
export async function delegate({ body, identity }: Node, server: RunningServer): Promise<void> {
  const { transportKey } = await call(body, 'network.transport', {});
  const now = Date.now();
  const delegation = await signDelegation(walletRequestSigner(identity), { network: server.network.pinned.address, transportKey, notBefore: now - 1_000, notAfter: now + 3_600_000 });
  await call(body, 'network.delegate', { delegation });
}

export async function refusal(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as { code?: string; message: string },
  );
  return { code: error.code, message: error.message };
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
/** A copy with its first byte changed. */
export function flipped(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0] = copy[0]! ^ 0xff;
  return copy;
}

/**
 * A network server, a proxy in front of it (for tampering) and two nodes joined through the proxy,
 * a clinic and a research institute, neither delegated yet (each test delegates when it needs to).
 */
export async function deliveryNetwork(harness: { readonly tempDir: () => Promise<string>; readonly cleanup: Cleanup }): Promise<{ readonly server: RunningServer; readonly proxy: Proxy; readonly clinic: Node; readonly research: Node }> {
  const server = await startNetworkServer({ dataDir: await harness.tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', anchorIntervalMs: 0 });
  harness.cleanup(() => server.close());
  const proxy = await startProxy(server.url, harness.cleanup);
  const clinic = await joinedNode(harness, server, proxy.url, 'Example Clinic', ['clinic']);
  const research = await joinedNode(harness, server, proxy.url, 'Example Research Institute', ['research']);
  return { server, proxy, clinic, research };
}
