// `npm run demo`: a demo network on this computer (issue 10 item 12). One network server (embedded
// PostgreSQL, --auto-approve) and two nodes, a clinic and a research institute, each a browser
// shell with its own data folder and a vault created with a demo passphrase, joined to the network.
// Prints the server's ready line, the passphrase on a line of its own, and one line per node; Ctrl-C
// stops everything. The folders stay (their paths are printed) so the demo can be looked at later.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { startBody, type Body } from '../../electron/body';
import { startShellServer, type ShellServer } from '../../electron/shell/shell-server';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { startNetworkServer } from '../../server/server-process';
import { createApiClient, type Transport } from '../../shared/ipc/api-client';
import type { EventName } from '../../shared/ipc/contract';
import type { MemberRole } from '../../shared/network/network-domain';

export const DEMO_PASSPHRASE = 'demo network passphrase 2026';

interface DemoNode {
  readonly role: MemberRole;
  readonly name: string;
  readonly patients: number;
}

const NODES: readonly DemoNode[] = [
  { role: 'clinic', name: 'Lakeside Demo Clinic', patients: 50 },
  { role: 'research', name: 'Northfield Demo Research Institute', patients: 0 },
];

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

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hdms-demo-'));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));
  try {
    const server = await startNetworkServer({
      dataDir: path.join(root, 'server'),
      database: null,
      host: '127.0.0.1',
      port: 0,
      tls: null,
      autoApprove: true,
      parameters: { name: 'HDMS Demo Network' },
      logLevel: 'info',
    });
    stops.push(() => server.close());
    process.stdout.write(`HDMS server ready at ${server.url}\n`);
    process.stdout.write(`Demo passphrase: ${DEMO_PASSPHRASE}\n`);
    for (const node of NODES) {
      const dataDir = path.join(root, node.role);
      const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'info', mllpPort: 0 });
      stops.push(() => body.stop('quit'));
      const shell: ShellServer = await startShellServer({ body, rendererDir: path.join(__dirname, '..', '..', 'out', 'renderer'), port: 0 });
      stops.push(() => shell.close());
      const transport = inProcess(body);
      const api = createApiClient(transport);
      // Setup runs the app's own mind here; the browser's views are rebuilt from the journal at the
      // first unlock, as after a profile reset.
      const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, ledger: { verifyAtUnlock: false } });
      await vault.ready();
      await vault.create({ operatorName: 'Demo Admin', passphrase: DEMO_PASSPHRASE });
      await vault.ledger.setInstitution({ name: node.name, role: node.role === 'clinic' ? 'clinic' : 'research' });
      if (node.patients > 0) await vault.importDemoData(node.patients);
      await vault.ledger.flush();
      const { preview } = await api.network.inspect({ url: server.url });
      const joined = await vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: node.name, country: 'CH', roles: [node.role] });
      await api.network.refresh({});
      vault.lock();
      process.stdout.write(`${node.role}: ${node.name}, node ${joined.node}, ${shell.url}#token=${shell.token} (data folder ${dataDir})\n`);
    }
    process.stdout.write('The demo network is running. Open a node\'s URL, unlock with the demo passphrase; Ctrl-C stops everything.\n');
  } catch (error) {
    process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exit(1);
  }
}

void main();
