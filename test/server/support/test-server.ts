import type { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import pino from 'pino';
import type { MembershipService } from '../../../server/doorman/membership-service';
import { createServerApp, type HttpLimits } from '../../../server/http/server-app';
import { LOG_SERIALIZERS } from '../../../server/logging';
import { ensureNetwork, type NetworkContext } from '../../../server/network-map/network-parameters';
import type { Database } from '../../../server/storage/database';

/** The server's HTTP app on a test database, listening on 127.0.0.1 at a free port, its log kept in memory. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly logLines: () => string[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly autoApprove?: boolean;
  readonly limits?: Partial<HttpLimits>;
  readonly now?: () => number;
  readonly networkName?: string;
}

export async function startTestServer(db: Database, options: TestServerOptions = {}): Promise<TestServer> {
  const network = await ensureNetwork(db, new Wallet(Wallet.createRandom().privateKey), { name: options.networkName ?? 'Test Network' }, options.now);
  const lines: string[] = [];
  const log = pino({ level: 'info', serializers: LOG_SERIALIZERS }, { write: (line: string) => lines.push(line) });
  const { app, membership } = await createServerApp({ db, network, log, autoApprove: options.autoApprove ?? false, ...(options.limits ? { limits: options.limits } : {}), ...(options.now ? { now: options.now } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, db, network, membership, logLines: () => [...lines], close: () => app.close() };
}

/** Rows in the tables a refused request must not touch. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const result = await db.query<{ members: number; nonces: number; maps: number }>(
    'SELECT (SELECT count(*)::int FROM members) AS members, (SELECT count(*)::int FROM request_nonces) AS nonces, (SELECT count(*)::int FROM network_maps) AS maps',
  );
  return { ...result.rows[0]! };
}
