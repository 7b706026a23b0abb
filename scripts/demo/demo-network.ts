// `npm run demo`: a demo network on this computer (issue 10 item 12, grown toward issue 15 item 9).
// One network server (embedded PostgreSQL, --auto-approve) with its embedded dev chain (ganache:
// the PHD token, the purchase escrow and the checkpoint anchor, deployed by the network key), three
// key keepers at three institutions (server/keeper/, in this process), two clinics and a research
// institute, each node a browser shell with its own data folder and a vault created with a demo
// passphrase, joined to the network. The research institute's node account gets gas and demo PHD
// from the dev chain's faucet. Prints the server's ready line, the chain's endpoint and contracts,
// the passphrase on a line of its own, one line per keeper and one per node; Ctrl-C stops
// everything. The folders stay (their paths are printed) so the demo can be looked at later.
//
// `startDemoNetwork` is the setup (test/integration/demo-network.test.ts runs it without a
// browser); `main()` only makes the folder, prints and waits for Ctrl-C.
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatEther, formatUnits } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import pino from 'pino';
import { startBody, type Body } from '../../electron/body';
import { startShellServer, type ShellServer } from '../../electron/shell/shell-server';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { JsonRpcEscrowViews } from '../../server/keeper/escrow-view';
import { KeeperService } from '../../server/keeper/keeper-service';
import { startNetworkServer, type RunningServer } from '../../server/server-process';
import { createApiClient, type Transport } from '../../shared/ipc/api-client';
import type { EventName } from '../../shared/ipc/contract';
import { networkFingerprint, type MemberRole } from '../../shared/network/network-domain';
import type { Settlement } from '../../shared/network/network-map';

export const DEMO_PASSPHRASE = 'demo network passphrase 2026';
export const DEMO_NETWORK_NAME = 'HDMS Demo Network';
/** The log checkpoint is anchored on the dev chain every minute in the demo (10 minutes by default). */
export const DEMO_ANCHOR_INTERVAL_MS = 60_000;

export interface DemoKeeper {
  readonly name: string;
  readonly country: string;
}

export interface DemoNode {
  readonly role: Extract<MemberRole, 'clinic' | 'research'>;
  readonly name: string;
  readonly patients: number;
  /** The demo population's seed (the body's default when absent). */
  readonly seed?: number;
  /** Gas and demo PHD from the dev chain's faucet for the node's account. */
  readonly funded?: boolean;
}

export const DEMO_KEEPERS: readonly DemoKeeper[] = [
  { name: 'Alpine Key Trust', country: 'CH' },
  { name: 'Rhine Valley Key Custody', country: 'DE' },
  { name: 'Danube Escrow Keepers', country: 'AT' },
];

export const DEMO_NODES: readonly DemoNode[] = [
  // Clinics are funded too: their account pays the gas of declaring a delivery's keys released on the escrow.
  { role: 'clinic', name: 'Lakeside Demo Clinic', patients: 50, funded: true },
  { role: 'clinic', name: 'Hillside Demo Clinic', patients: 40, seed: 2, funded: true },
  { role: 'research', name: 'Northfield Demo Research Institute', patients: 0, funded: true },
];

export interface DemoOptions {
  /** The demo's folder: one sub-folder for the server, each keeper and each node. */
  readonly root: string;
  /** Each line the demo prints, as it happens. */
  readonly print: (line: string) => void;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly anchorIntervalMs?: number;
  /** The built renderer the shells serve (out/renderer by default). */
  readonly rendererDir?: string;
  readonly keepers?: readonly DemoKeeper[];
  readonly nodes?: readonly DemoNode[];
  /** Aborted (Ctrl-C while starting): setup stops at its next step, stops what it started and throws. */
  readonly signal?: AbortSignal;
}

export interface RunningKeeper extends DemoKeeper {
  readonly address: string;
  readonly dataDir: string;
}

export interface RunningNode extends DemoNode {
  /** The node's address: its member id and its account on the settlement chain. */
  readonly node: string;
  /** The one-time link printed at start: it opens one tab, once, within 2 minutes. */
  readonly url: string;
  readonly dataDir: string;
  /** A new one-time link to the node's shell. */
  newLink(): string;
}

export interface DemoNetwork {
  readonly server: RunningServer;
  readonly settlement: Settlement;
  readonly keepers: readonly RunningKeeper[];
  readonly nodes: readonly RunningNode[];
  /** Stops everything the demo started, newest first. */
  stop(): Promise<void>;
}

/** The mind's transport straight to a body in this process (what the shell's WebSocket carries). */
function inProcess(body: Body): Transport {
  return {
    kind: 'websocket',
    call: (method, payload) => body.router.dispatch(method, payload, { transport: 'in-process', connectionId: 'demo-setup' }),
    subscribe(name, listener) {
      return body.events.subscribe((event: EventName, payload: unknown) => {
        if (event === name) (listener as (p: unknown) => void)(payload);
      });
    },
  };
}

function folderName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** A key keeper in this process, joined (auto-approved) with the keeper role and polling its inbox. */
async function startKeeper(server: RunningServer, keeper: DemoKeeper, dataDir: string, logLevel: NonNullable<DemoOptions['logLevel']>, stops: Array<() => Promise<void>>): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Like the server's and the nodes', the keeper's log goes to a file in its folder.
  const log = pino({ level: logLevel, base: { service: 'hdms-keeper' } }, pino.destination({ dest: path.join(dataDir, 'keeper.log'), sync: true }));
  const chains = new JsonRpcEscrowViews({});
  stops.push(async () => chains.close());
  const service = await KeeperService.open({
    dataDir,
    serverUrl: server.url,
    legalName: keeper.name,
    country: keeper.country,
    fingerprint: networkFingerprint(server.network.pinned),
    escrow: (map) => chains.viewFor(map.parameters),
    log,
  });
  stops.push(() => service.stop());
  await service.waitForApproval();
  service.start();
  return service.address;
}

/** A node: its body and browser shell, a vault with the demo passphrase, demo patients, joined. */
async function startNode(server: RunningServer, node: DemoNode, dataDir: string, options: DemoOptions, stops: Array<() => Promise<void>>): Promise<RunningNode> {
  const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: options.logLevel ?? 'info', mllpPort: 0 });
  stops.push(() => body.stop('quit'));
  const shell: ShellServer = await startShellServer({ body, rendererDir: options.rendererDir ?? path.join(__dirname, '..', '..', 'out', 'renderer'), port: 0 });
  stops.push(() => shell.close());
  const transport = inProcess(body);
  const api = createApiClient(transport);
  // Setup runs the app's own mind here; the browser's views are rebuilt from the journal at the
  // first unlock, as after a profile reset.
  const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, ledger: { verifyAtUnlock: false } });
  await vault.ready();
  await vault.create({ operatorName: 'Demo Admin', passphrase: DEMO_PASSPHRASE });
  await vault.ledger.setInstitution({ name: node.name, role: node.role });
  if (node.patients > 0) {
    // The body's import takes a seed (the vault service's does not): the views then index it.
    await api.demo.import({ patients: node.patients, ...(node.seed !== undefined ? { seed: node.seed } : {}) });
    await vault.sync();
  }
  await vault.ledger.flush();
  const { preview } = await api.network.inspect({ url: server.url });
  // Every node also witnesses the log: the keepers release a share only for entries under a checkpoint the network's witness quorum cosigned.
  const joined = await vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: node.name, country: 'CH', roles: [node.role, 'witness'] });
  await api.network.refresh({});
  if (node.funded === true) {
    const answer = await api.network.faucet({});
    options.print(`Funded ${node.name} (${joined.node}) on the dev chain: ${formatUnits(answer.phd, 18)} PHD and ${formatEther(answer.gasWei)} ETH for gas`);
  }
  vault.lock();
  // A one-time link, never the token: the browser's History keeps what was opened.
  const url = shell.newLink();
  options.print(`${node.role}: ${node.name}, node ${joined.node}, ${url} (data folder ${dataDir})`);
  return { ...node, node: joined.node, url, dataDir, newLink: () => shell.newLink() };
}

/** Starts the demo network in `options.root`; on a failure stops what it started and throws. */
export async function startDemoNetwork(options: DemoOptions): Promise<DemoNetwork> {
  const logLevel = options.logLevel ?? 'info';
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  const step = (): void => options.signal?.throwIfAborted();
  try {
    step();
    const server = await startNetworkServer({
      dataDir: path.join(options.root, 'server'),
      database: null,
      host: '127.0.0.1',
      port: 0,
      tls: null,
      autoApprove: true,
      parameters: { name: DEMO_NETWORK_NAME },
      logLevel,
      chain: { kind: 'dev', port: 0, confirmations: 1 },
      anchorIntervalMs: options.anchorIntervalMs ?? DEMO_ANCHOR_INTERVAL_MS,
    });
    stops.push(() => server.close());
    const settlement = server.network.parameters.settlement;
    if (settlement === undefined) throw new Error('the server started without its dev chain');
    options.print(`HDMS server ready at ${server.url}`);
    options.print(`Dev chain ${settlement.chainId} at ${settlement.rpcUrl}: PHD token ${settlement.token}, escrow ${settlement.escrow}, checkpoint anchor ${settlement.anchor}, ${settlement.confirmations} confirmation(s)`);
    options.print(`Demo passphrase: ${DEMO_PASSPHRASE}`);
    const keepers: RunningKeeper[] = [];
    for (const keeper of options.keepers ?? DEMO_KEEPERS) {
      step();
      const dataDir = path.join(options.root, 'keepers', folderName(keeper.name));
      const address = await startKeeper(server, keeper, dataDir, logLevel, stops);
      keepers.push({ ...keeper, address, dataDir });
      options.print(`keeper: ${keeper.name} (${keeper.country}), keeper ${address} (data folder ${dataDir})`);
    }
    const nodes: RunningNode[] = [];
    for (const node of options.nodes ?? DEMO_NODES) {
      step();
      nodes.push(await startNode(server, node, path.join(options.root, 'nodes', folderName(node.name)), options, stops));
    }
    step();
    return { server, settlement, keepers, nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hdms-demo-'));
  const starting = new AbortController();
  let demo: DemoNetwork | null = null;
  let stopping = false;
  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    // While starting, the setup stops what it started and main() exits; once running, stop it here.
    if (demo === null) return starting.abort();
    void demo.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  try {
    demo = await startDemoNetwork({ root, print: (line) => process.stdout.write(`${line}\n`), signal: starting.signal });
    process.stdout.write(
      "The demo network is running. Open a node's link (each works once, within 2 minutes; press Enter here for new ones), unlock with the demo passphrase; Ctrl-C stops everything.\n",
    );
    const running = demo;
    process.stdin.setEncoding('utf8').on('data', () => {
      for (const node of running.nodes) process.stdout.write(`${node.role}: ${node.name}, ${node.newLink()}\n`);
    });
    process.stdin.on('error', () => undefined);
  } catch (error) {
    if (starting.signal.aborted) process.exit(0);
    process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
