import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type pino from 'pino';
import { startAdminSocket } from './admin/admin-socket';
import { runMembersAction } from './admin/members-admin';
import { CheckpointAnchorClient } from '../shared/chain/checkpoint-anchor';
import { CheckpointAnchoring, type AnchorRound } from './chain/checkpoint-anchoring';
import { openSettlementChain, type ChainChoice, type SettlementChain } from './chain/settlement-chain';
import type { DeliveryChoices, MembersAction } from './cli/server-args';
import { MembershipService } from './doorman/membership-service';
import { createServerApp, type HttpLimits } from './http/server-app';
import { createServerLogger, openServerLogFile, type ServerLogger } from './logging';
import { loadOrCreateNetworkKey, NETWORK_KEY_FILE, networkKeyPath } from './network/network-key';
import { ENTRY_SIGNATURE_CHECKER } from './notary/entry-check-pool';
import { loadOrCreateLogKey, type LogKey } from './notary/log-key';
import { ensureNetwork, type NetworkContext, type ParameterChoices } from './network-map/network-parameters';
import { acquireDataDirLock } from './storage/data-dir-lock';
import type { Database } from './storage/database';
import { migrate } from './storage/migrations';
import { openPGliteDatabase } from './storage/pglite-database';
import { openPostgresDatabase } from './storage/postgres-database';

/**
 * One server process (design §10): the network key from the data folder, the database (embedded
 * PGlite in `<data-dir>/pglite`, or PostgreSQL), migrations, the network's parameters, the HTTP app
 * and, on PGlite, the admin socket the members CLI talks to.
 */
export const PGLITE_DIR = 'pglite';
/** The delivery blob store's chunks (server/delivery/). */
export const DELIVERIES_DIR = 'deliveries';

export class ServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

export interface StartOptions {
  readonly dataDir: string;
  readonly database: string | null;
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly autoApprove: boolean;
  readonly parameters: ParameterChoices;
  readonly logLevel: pino.LevelWithSilent;
  /** Defaults to a log file in the data folder. */
  readonly log?: ServerLogger;
  readonly limits?: Partial<HttpLimits>;
  /** The delivery blob store's limits; its chunks live in `<data-dir>/deliveries`. */
  readonly delivery?: DeliveryChoices;
  /** The settlement chain (server/chain/settlement-chain.ts); none by default. */
  readonly chain?: ChainChoice | null;
  /** How often the log checkpoint is anchored on the settlement chain (default 10 minutes; 0: never). */
  readonly anchorIntervalMs?: number;
}

export const DEFAULT_ANCHOR_INTERVAL_MS = 10 * 60_000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly network: NetworkContext;
  /** One anchoring round now (what the timer does); null when the server has no settlement chain. */
  anchorCheckpoint(): Promise<AnchorRound> | null;
  close(): Promise<void>;
}

interface OpenedStore {
  readonly db: Database;
  readonly network: NetworkContext;
  readonly membership: MembershipService;
  readonly logKey: LogKey;
  readonly chain: SettlementChain | null;
  readonly release: () => void;
}

/** The data folder, its key and its database, migrated and checked. `autoApprove` only matters for a server. */
async function openStore(dataDir: string, database: string | null, parameters: ParameterChoices, autoApprove: boolean, chainChoice: ChainChoice | null = null, host = '127.0.0.1'): Promise<OpenedStore> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { wallet } = loadOrCreateNetworkKey(dataDir);
  const logKey = loadOrCreateLogKey(dataDir, wallet.address);
  let db: Database;
  let release = (): void => undefined;
  if (database !== null) {
    db = await openPostgresDatabase({ connectionString: database });
  } else {
    const lock = acquireDataDirLock(dataDir);
    if (!lock.ok) throw new ServerStartError(`another server (pid ${lock.pid}) has ${dataDir} open`);
    release = lock.release;
    try {
      db = await openPGliteDatabase({ dataDir: path.join(dataDir, PGLITE_DIR) });
    } catch (error) {
      release();
      throw error;
    }
  }
  let chain: SettlementChain | null = null;
  try {
    await migrate(db);
    // The chain opens under the data folder's lock (the dev chain keeps its state there).
    if (chainChoice !== null) chain = await openSettlementChain(chainChoice, { dataDir, networkKey: wallet, host });
    const network = await ensureNetwork(db, wallet, { ...parameters, logVkey: logKey.vkey, ...(chain ? { settlement: chain.settlement } : {}) });
    return { db, network, logKey, chain, membership: new MembershipService(db, network, { autoApprove }), release };
  } catch (error) {
    await chain?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    release();
    throw error;
  }
}

export async function startNetworkServer(options: StartOptions): Promise<RunningServer> {
  const store = await openStore(options.dataDir, options.database, options.parameters, options.autoApprove, options.chain ?? null, options.host);
  const logFile = options.log === undefined ? await openServerLogFile(options.dataDir) : null;
  const log = options.log ?? createServerLogger({ level: options.logLevel, destination: logFile!.stream });
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    if (options.tls !== null) tls = { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) };
  } catch (error) {
    await store.chain?.close();
    await store.db.close();
    store.release();
    await logFile?.close();
    throw new ServerStartError(`could not read the TLS files (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const { app, membership } = await createServerApp({ db: store.db, network: store.network, log, autoApprove: options.autoApprove, notary: { logKey: store.logKey }, delivery: { dir: path.join(options.dataDir, DELIVERIES_DIR), ...options.delivery }, ...(store.chain?.dev ? { devFaucet: store.chain } : {}), ...(tls ? { tls } : {}), ...(options.limits ? { limits: options.limits } : {}) });
  await app.listen({ host: options.host, port: options.port });
  const admin = options.database === null ? await startAdminSocket(options.dataDir, (action, address) => runMembersAction(membership, action, address)) : null;
  const port = (app.server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  const anchorIntervalMs = options.anchorIntervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS;
  const anchoring =
    store.chain !== null
      ? new CheckpointAnchoring(store.db, new CheckpointAnchorClient(store.chain.settlement.anchor, store.chain.operator, { confirmations: store.chain.settlement.confirmations }), log, { intervalMs: anchorIntervalMs })
      : null;
  if (anchorIntervalMs > 0) anchoring?.start();
  log.info({ port, database: store.db.kind, network: store.network.key.address, entrySignatures: ENTRY_SIGNATURE_CHECKER, settlementChain: store.chain?.settlement.chainId ?? null }, 'server ready');
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    network: store.network,
    anchorCheckpoint: () => anchoring?.anchorNow() ?? null,
    close: () =>
      (closing ??= (async () => {
        await admin?.close();
        await anchoring?.stop();
        await app.close();
        await store.chain?.close();
        await store.db.close();
        store.release();
        log.flush();
        await logFile?.close();
      })()),
  };
}

/** Runs one members command against the database directly (no server has the embedded one open). */
export async function runMembersDirect(dataDir: string, database: string | null, action: MembersAction, address: string | null): ReturnType<typeof runMembersAction> {
  if (!existsSync(networkKeyPath(dataDir))) throw new ServerStartError(`${dataDir} holds no network (no ${NETWORK_KEY_FILE}): start the server with this data folder first`);
  const store = await openStore(dataDir, database, {}, false);
  try {
    return await runMembersAction(store.membership, action, address);
  } finally {
    await store.db.close();
    store.release();
  }
}
