// `npm run keeper -- --data-dir DIR --server URL [options]`: the key keeper service (issue 15 item 6;
// server/keeper/keeper-service.ts). Prints on stdout one line when its join request is sent or
// pending, `HDMS keeper <address> waiting for approval`, and `HDMS keeper ready: <address>` once
// the network approved it; logs JSON lines (pino) on stderr. Exit 0 after Ctrl-C/SIGTERM, 1 on a
// failure, 2 on bad usage.
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import { JsonRpcEscrowViews } from './escrow-view';
import { KEEPER_USAGE, KeeperUsageError, parseKeeperArgs } from './keeper-args';
import { KeeperService } from './keeper-service';

const EXPECTED = new Set(['KeeperUsageError', 'KeeperStartError', 'KeeperKeyError', 'KeeperStoreError', 'KeeperNetworkError', 'NetworkDocumentError']);

async function main(): Promise<void> {
  const args = parseKeeperArgs(process.argv.slice(2));
  mkdirSync(args.dataDir, { recursive: true, mode: 0o700 });
  const log = pino({ level: args.logLevel, base: { service: 'hdms-keeper' } }, pino.destination({ fd: 2, sync: false }));
  const overrides = { ...(args.chainRpc !== undefined ? { rpcUrl: args.chainRpc } : {}), ...(args.escrow !== undefined ? { escrow: args.escrow } : {}), ...(args.confirmations !== undefined ? { confirmations: args.confirmations } : {}) };
  const chains = new JsonRpcEscrowViews(overrides);
  const keeper = await KeeperService.open({
    dataDir: args.dataDir,
    serverUrl: args.serverUrl,
    ...(args.name !== undefined ? { legalName: args.name } : {}),
    ...(args.country !== undefined ? { country: args.country } : {}),
    ...(args.fingerprint !== undefined ? { fingerprint: args.fingerprint } : {}),
    escrow: (map) => chains.viewFor(map.parameters),
    log,
    pollMs: args.pollMs,
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    keeper.stop().then(
      () => {
        chains.close();
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if ((await keeper.membership()) !== 'approved') {
    process.stdout.write(`HDMS keeper ${keeper.address} waiting for approval\n`);
    await keeper.waitForApproval();
  }
  keeper.start();
  process.stdout.write(`HDMS keeper ready: ${keeper.address}\n`);
}

main().catch((error: unknown) => {
  const expected = EXPECTED.has((error as Error).name);
  process.stderr.write(`hdms-keeper: ${expected ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  if (error instanceof KeeperUsageError) process.stderr.write(KEEPER_USAGE);
  process.exit(error instanceof KeeperUsageError ? 2 : 1);
});
