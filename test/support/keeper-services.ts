import pino from 'pino';
import { JsonRpcEscrowViews } from '../../server/keeper/escrow-view';
import { KeeperService } from '../../server/keeper/keeper-service';
import type { PinnedNetwork } from '../../shared/network/network-domain';
import { networkFingerprint } from '../../shared/network/network-domain';

/**
 * Key keeper services (server/keeper/) in this process, joined to an auto-approving server with the
 * keeper role and polling their inboxes: what the purchase's tests, e2e and bench run with. Each
 * stop (and the escrow views' close) is handed to `onStop`.
 */
export async function startKeeperServices(
  server: { readonly url: string; readonly pinned: PinnedNetwork },
  options: { readonly count?: number; readonly names?: readonly string[]; readonly pollMs?: number; readonly dataDir: () => Promise<string>; readonly onStop: (stop: () => Promise<void> | void) => void },
): Promise<KeeperService[]> {
  const chains = new JsonRpcEscrowViews({});
  options.onStop(() => chains.close());
  const names = options.names ?? Array.from({ length: options.count ?? 3 }, (_, i) => `Keeper Institute ${i + 1}`);
  const keepers: KeeperService[] = [];
  for (const name of names) {
    const keeper = await KeeperService.open({
      dataDir: await options.dataDir(),
      serverUrl: server.url,
      legalName: name,
      country: 'NL',
      fingerprint: networkFingerprint(server.pinned),
      escrow: (map) => chains.viewFor(map.parameters),
      log: pino({ level: 'silent' }),
      pollMs: options.pollMs ?? 300,
    });
    options.onStop(() => keeper.stop());
    await keeper.waitForApproval();
    keeper.start();
    keepers.push(keeper);
  }
  return keepers;
}
