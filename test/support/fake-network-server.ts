import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hexlify, Wallet } from 'ethers';
import { API_ROUTES, type JoinStatus, type MembershipStatus } from '../../shared/network/api';
import { signCertificate, verifyJoinRequest, type SignedCertificate, type VerifiedJoinRequest } from '../../shared/network/membership';
import { DEFAULT_NETWORK_CHAIN_ID } from '../../shared/network/network-domain';
import { signNetworkMap, sortNetworkMap, type SignedNetworkMap } from '../../shared/network/network-map';

/**
 * A small stand-in for the network server's doorman and map (issue 10 items 2–3) for the node's
 * tests: it speaks the wire format of shared/network (the real server does too) and signs with a
 * network key of its own. Tests can approve a join, sign the next map with another key (a rogue or
 * rewritten server), or answer with too much.
 */
/** A fresh secp256k1 key as a plain ethers Wallet (not an HD wallet). */
export function randomWallet(): Wallet {
  return new Wallet(hexlify(randomBytes(32)));
}

export interface FakeNetworkServer {
  readonly url: string;
  readonly networkKey: Wallet;
  readonly chainId: number;
  /** Approve a pending join: the next status answer carries a certificate. */
  approve(address: string): Promise<void>;
  /** From now on, sign maps with this key instead (a server that is not the pinned network). */
  signMapsWith(key: Wallet): void;
  /** From now on, answer the map with `bytes` of padding (a hostile server). */
  answerMapWith(bytes: number): void;
  readonly joins: readonly VerifiedJoinRequest[];
  close(): Promise<void>;
}

export async function startFakeNetworkServer(options: { name?: string; chainId?: number } = {}): Promise<FakeNetworkServer> {
  const networkKey = randomWallet();
  const chainId = options.chainId ?? DEFAULT_NETWORK_CHAIN_ID;
  const name = options.name ?? 'Test Health Network';
  const pinned = { address: networkKey.address, chainId };
  const joins: VerifiedJoinRequest[] = [];
  const statuses = new Map<string, { status: MembershipStatus; certificate: SignedCertificate | null }>();
  let mapSigner = networkKey;
  let padding = 0;
  let epoch = 1;
  let serial = 0;

  async function currentMap(): Promise<SignedNetworkMap> {
    const members = [...statuses.values()].flatMap((entry) => (entry.certificate === null ? [] : [entry.certificate]));
    const map = sortNetworkMap({
      epoch,
      issuedAt: Date.now(),
      parameters: { name, chainId, keys: { network: mapSigner.address }, witnessQuorum: 1, maxMessageSize: 1024 * 1024, minAppVersion: '0.0.0' },
      members,
      revocations: [],
    });
    return signNetworkMap(mapSigner, map);
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? '/';
        if (req.method === 'GET' && path === API_ROUTES.networkMap) {
          if (padding > 0) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(`{"pad":"${'x'.repeat(padding)}"}`);
            return;
          }
          const etag = `"map-${epoch}-${mapSigner.address}"`;
          if (req.headers['if-none-match'] === etag) {
            res.writeHead(304, { etag });
            res.end();
            return;
          }
          send(200, await currentMap(), { etag });
          return;
        }
        if (req.method === 'POST' && path === API_ROUTES.join) {
          let verified: VerifiedJoinRequest;
          try {
            verified = verifyJoinRequest(pinned, JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            send(401, { error: { code: 'bad_signature', message: 'The join request does not verify.' } });
            return;
          }
          joins.push(verified);
          statuses.set(verified.request.node, { status: 'pending', certificate: null });
          send(202, { address: verified.request.node, status: 'pending', certificate: null } satisfies JoinStatus);
          return;
        }
        const joinStatus = /^\/v1\/join\/(0x[0-9a-fA-F]{40})$/.exec(path);
        if (req.method === 'GET' && joinStatus !== null) {
          const entry = statuses.get(joinStatus[1]!);
          if (entry === undefined) {
            send(404, { error: { code: 'not_found', message: 'No such join request.' } });
            return;
          }
          send(200, { address: joinStatus[1]!, status: entry.status, certificate: entry.certificate } satisfies JoinStatus);
          return;
        }
        send(404, { error: { code: 'not_found', message: 'No such route.' } });
      })().catch(() => send(500, { error: { code: 'internal_error', message: 'Internal error.' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    networkKey,
    chainId,
    joins,
    async approve(address) {
      const join = joins.find((candidate) => candidate.request.node === address);
      if (join === undefined) throw new Error(`no join request from ${address}`);
      const { request } = join;
      const certificate = await signCertificate(networkKey, chainId, {
        network: networkKey.address,
        member: request.node,
        identityKey: join.publicKey,
        legalName: request.legalName,
        country: request.country,
        roles: request.roles,
        messageKey: request.messageKey,
        joinRequest: join.hash,
        serial: ++serial,
        issuedAt: Date.now(),
      });
      statuses.set(address, { status: 'approved', certificate });
      epoch++;
    },
    signMapsWith(key) {
      mapSigner = key;
      epoch++;
    },
    answerMapWith(bytes) {
      padding = bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
