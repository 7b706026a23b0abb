import { JsonRpcProvider } from 'ethers';
import { describe, expect, it } from 'vitest';
import { CheckpointAnchorClient } from '../../shared/chain/checkpoint-anchor';
import { DevFaucetAnswerSchema, DEV_FAUCET_PHD, DEV_FAUCET_ROUTE } from '../../shared/chain/dev-faucet';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { verifyNetworkMap } from '../../shared/network/network-map';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { auditLog } from '../../server/notary/log-audit';
import { startNetworkServer, type RunningServer } from '../../server/server-process';
import { join, newTestNode, signedFetch } from '../server/support/member-client';
import { submit, TestChain } from '../server/notary/support/notary-fixtures';
import { useTempDirs } from '../support/temp-dir';

/**
 * A server started with its embedded dev chain (issue 15 item 2): the map names the chain and the
 * contracts, the log checkpoint is anchored there, log:verify checks that anchor (and catches a log
 * that no longer matches it), the faucet funds a member once, and a restart keeps the contracts.
 */
const tempDir = useTempDirs();

async function start(dataDir: string): Promise<RunningServer> {
  return startNetworkServer({ dataDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
}

async function mapOf(server: RunningServer) {
  return verifyNetworkMap(server.network.pinned, await (await fetch(`${server.url}/v1/network-map`)).json()).map;
}

/** Anchors until the anchored size reaches `size` (the sequencer signs checkpoints on its own schedule). */
async function anchorThrough(server: RunningServer, size: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const round = await server.anchorCheckpoint()!;
    if (round.anchored && round.size >= size) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the log never reached ${size} leaves`);
}

describe('a network with a settlement chain', () => {
  it('names the chain in its map, anchors its log there, and log:verify checks the anchor', async () => {
    const dataDir = await tempDir();
    let server = await start(dataDir);
    try {
      const settlement = (await mapOf(server)).parameters.settlement!;
      expect(settlement).toMatchObject({ chainId: 1337, confirmations: 1 });
      expect(settlement.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      // Nothing logged yet: nothing to anchor, and the audit says so without failing.
      expect(await server.anchorCheckpoint()).toMatchObject({ anchored: false });
      const node = newTestNode();
      await join(server.url, node, server.network.pinned);
      const entries = new TestChain(node, server.network.parameters.chainId);
      await submit(server.url, await entries.take(5));
      await anchorThrough(server, 5);
      const good = await auditLog(server.url);
      expect(good.ok).toBe(true);
      expect(good.anchor).toMatchObject({ ok: true, latest: { size: 5 } });
      expect(good.anchor!.computedRootHash).toBe(good.anchor!.latest!.rootHash);
      expect(await server.anchorCheckpoint()).toEqual({ anchored: false, reason: 'up-to-date' });

      // The faucet funds a member once.
      const ask = async () => DevFaucetAnswerSchema.parse(await (await signedFetch(server.url, node, server.network.pinned, DEV_FAUCET_ROUTE, { method: 'POST', body: '{}' })).json());
      expect(await ask()).toMatchObject({ funded: true, phd: DEV_FAUCET_PHD.toString() });
      expect(await ask()).toEqual({ funded: false, gasWei: '0', phd: '0' });
      const provider = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
      try {
        expect(await new PhdTokenClient(settlement.token, provider).balanceOf(node.wallet.address)).toBe(DEV_FAUCET_PHD);
        expect(await provider.getBalance(node.wallet.address)).toBeGreaterThan(0n);
      } finally {
        provider.destroy();
      }

      // A restart keeps the chain and its contracts (the RPC port may move: the map follows).
      await server.close();
      server = await start(dataDir);
      const again = (await mapOf(server)).parameters.settlement!;
      expect({ ...again, rpcUrl: '' }).toEqual({ ...settlement, rpcUrl: '' });
      expect((await auditLog(server.url)).anchor).toMatchObject({ ok: true, latest: { size: 5 } });

      // An anchor the log served does not match (as if the log had been rewritten after it was
      // anchored), and one beyond the log (as if it had been cut back): both fail the audit.
      const chainProvider = new JsonRpcProvider(again.rpcUrl, again.chainId, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const operator = loadOrCreateNetworkKey(dataDir).wallet.connect(chainProvider);
        const anchor = new CheckpointAnchorClient(again.anchor, operator);
        await submit(server.url, await entries.take(3));
        await anchor.anchor(7, `0x${'5a'.repeat(32)}`);
        const rewritten = await auditLog(server.url);
        expect(rewritten.ok).toBe(false);
        expect(rewritten.anchor?.error).toMatch(/rewritten after it was anchored/);
        await anchor.anchor(50, `0x${'5a'.repeat(32)}`);
        const cut = await auditLog(server.url);
        expect(cut.ok).toBe(false);
        expect(cut.anchor?.error).toMatch(/cut back/);
        expect((await auditLog(server.url, { anchor: false })).ok).toBe(true);
      } finally {
        chainProvider.destroy();
      }
    } finally {
      await server.close();
    }
  }, 180_000);
});
