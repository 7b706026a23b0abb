import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import pino from 'pino';
import type { DeliveryConfig, DeliveryHandle } from '../../../../server/delivery/delivery-routes';
import type { MembershipService } from '../../../../server/doorman/membership-service';
import { createServerApp, type HttpLimits } from '../../../../server/http/server-app';
import { LOG_SERIALIZERS } from '../../../../server/logging';
import { ensureNetwork, type NetworkContext } from '../../../../server/network-map/network-parameters';
import type { Database } from '../../../../server/storage/database';
import { DeliveryClient, type DeliveryClientOptions } from '../../../../shared/network/delivery-client';
import type { MemberRole } from '../../../../shared/network/network-domain';
import { signRequest, walletRequestSigner } from '../../../../shared/network/signed-request';
import { newTestNode, postJson, signedJoin, type TestNode } from '../../support/member-client';

/** The server app with its delivery blob store in a temporary folder, on 127.0.0.1 at a free port. */
export interface DeliveryTestServer {
  readonly url: string;
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly delivery: DeliveryHandle;
  /** The chunks' folder. */
  readonly dir: string;
  /** The server's clock (members' clients sign with it). */
  readonly now: () => number;
  readonly logLines: () => string[];
  close(): Promise<void>;
}

export interface DeliveryServerOptions {
  readonly delivery?: Omit<DeliveryConfig, 'dir'>;
  readonly limits?: Partial<HttpLimits>;
  readonly now?: () => number;
}

export async function startDeliveryServer(db: Database, options: DeliveryServerOptions = {}): Promise<DeliveryTestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdms-deliveries-'));
  const network = await ensureNetwork(db, new Wallet(Wallet.createRandom().privateKey), { name: 'Delivery Test Network' }, options.now);
  const lines: string[] = [];
  const log = pino({ level: 'info', serializers: LOG_SERIALIZERS }, { write: (line: string) => lines.push(line) });
  const { app, membership, delivery } = await createServerApp({
    db,
    network,
    log,
    delivery: { dir, ...options.delivery },
    // Every test makes new members and many requests: the join and member limits are not what is tested.
    limits: { joinRateLimit: { max: 10_000, windowMs: 60_000 }, memberRateLimit: { max: 100_000, windowMs: 60_000 }, ipRateLimit: { max: 100_000, windowMs: 60_000 }, ...options.limits },
    ...(options.now ? { now: options.now } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    network,
    membership,
    delivery: delivery!,
    dir,
    now: options.now ?? Date.now,
    logLines: () => [...lines],
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DeliveryMember extends TestNode {
  readonly client: DeliveryClient;
}

/** A member that joined and was approved, with a delivery client signing as it. */
export async function deliveryMember(server: DeliveryTestServer, roles: MemberRole[] = ['clinic'], client: Partial<DeliveryClientOptions> = {}): Promise<DeliveryMember> {
  const node = newTestNode();
  const response = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned, { roles }));
  if (response.status !== 202 && response.status !== 200) throw new Error(`join answered ${response.status}`);
  await server.membership.approve(node.wallet.address);
  return { ...node, client: memberClient(server, node, client) };
}

export function memberClient(server: DeliveryTestServer, node: TestNode, options: Partial<DeliveryClientOptions> = {}): DeliveryClient {
  const signer = walletRequestSigner(node.wallet);
  return new DeliveryClient({ baseUrl: server.url, network: server.network.pinned.address, sign: (input) => signRequest(signer, { ...input, now: server.now() }), retryDelayMs: () => 10, ...options });
}

export const newDeliveryId = (): string => randomBytes(16).toString('hex');
export const newPurchaseId = (): string => `0x${randomBytes(16).toString('hex')}`;
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under the chunks' folder, relative (temporary `.part` files included). */
export function filesOnDisk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}
