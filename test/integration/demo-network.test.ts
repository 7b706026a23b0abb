import { readdir } from 'node:fs/promises';
import { JsonRpcProvider } from 'ethers';
import { describe, expect, it } from 'vitest';
import { DEMO_KEEPERS, DEMO_NETWORK_NAME, DEMO_NODES, startDemoNetwork, type DemoNetwork } from '../../scripts/demo/demo-network';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { SignedNetworkMapSchema } from '../../shared/network/network-map';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * `npm run demo`'s setup without a browser (issue 15 item 9): the server with its dev chain and the
 * contracts deployed, three key keepers at three institutions, two clinics and a research institute
 * joined, the research institute's account funded with gas and demo PHD, and the lines the demo
 * prints. The e2e test (test/e2e/network/demo-network.test.ts) opens the nodes in Chromium.
 */

const cleanup = useCleanups();
const tempDir = useTempDirs();

async function membersOf(demo: DemoNetwork) {
  const response = await fetch(`${demo.server.url}/v1/network-map`);
  expect(response.status).toBe(200);
  return SignedNetworkMapSchema.parse(await response.json()).map;
}

describe('the demo network (npm run demo)', () => {
  it('starts a server with its dev chain, three keepers at three institutions, two funded clinics and a funded research institute, every node a witness', { timeout: 300_000 }, async () => {
    const root = await tempDir();
    const printed: string[] = [];
    const demo = await startDemoNetwork({ root, print: (line) => printed.push(line), logLevel: 'silent' });
    cleanup(() => demo.stop());

    // The map names the dev chain, and each contract holds code there.
    const map = await membersOf(demo);
    expect(map.parameters.name).toBe(DEMO_NETWORK_NAME);
    const settlement = map.parameters.settlement!;
    expect(settlement).toEqual(demo.settlement);
    expect(settlement.confirmations).toBe(1);
    const provider = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
    cleanup(async () => provider.destroy());
    for (const contract of [settlement.token, settlement.escrow, settlement.anchor]) expect(await provider.getCode(contract)).not.toBe('0x');

    // Members: three keepers at three institutions, two clinics, one research institute.
    const certificates = map.members.map((m) => m.certificate);
    const withRole = (role: string) => certificates.filter((c) => c.roles.includes(role as never));
    const keepers = withRole('keeper');
    expect(keepers).toHaveLength(3);
    expect(new Set(keepers.map((c) => c.legalName)).size).toBe(3);
    expect(keepers.map((c) => c.member).sort()).toEqual(demo.keepers.map((k) => k.address).sort());
    expect(keepers.map((c) => c.legalName).sort()).toEqual(DEMO_KEEPERS.map((k) => k.name).sort());
    expect(withRole('clinic').map((c) => c.legalName).sort()).toEqual(['Hillside Demo Clinic', 'Lakeside Demo Clinic']);
    const research = withRole('research');
    expect(research.map((c) => c.legalName)).toEqual(['Northfield Demo Research Institute']);
    expect(certificates).toHaveLength(DEMO_KEEPERS.length + DEMO_NODES.length);
    // Every node witnesses the log (the keepers need checkpoints the quorum cosigned).
    expect(withRole('witness').map((c) => c.legalName).sort()).toEqual(DEMO_NODES.map((n) => n.name).sort());

    // The research node's account (its node address, the member its certificate names) holds gas and PHD.
    const node = demo.nodes.find((n) => n.role === 'research')!;
    expect(node.node).toBe(research[0]!.member);
    expect(await new PhdTokenClient(settlement.token, provider).balanceOf(node.node)).toBeGreaterThan(0n);
    expect(await provider.getBalance(node.node)).toBeGreaterThan(0n);
    // The clinics hold gas too: they declare a delivery's keys released on the escrow.
    for (const clinic of demo.nodes.filter((n) => n.role === 'clinic')) expect(await provider.getBalance(clinic.node)).toBeGreaterThan(0n);

    // What it printed: the server, the chain and its contracts, the passphrase, a line per keeper and per node.
    expect(printed[0]).toBe(`HDMS server ready at ${demo.server.url}`);
    expect(printed).toContain(`Dev chain ${settlement.chainId} at ${settlement.rpcUrl}: PHD token ${settlement.token}, escrow ${settlement.escrow}, checkpoint anchor ${settlement.anchor}, 1 confirmation(s)`);
    expect(printed).toContain('Demo passphrase: demo network passphrase 2026');
    for (const keeper of demo.keepers) expect(printed).toContain(`keeper: ${keeper.name} (${keeper.country}), keeper ${keeper.address} (data folder ${keeper.dataDir})`);
    for (const n of demo.nodes) expect(printed).toContain(`${n.role}: ${n.name}, node ${n.node}, ${n.url} (data folder ${n.dataDir})`);
    expect(printed.filter((line) => /^(clinic|research): .*, node 0x[0-9a-fA-F]{40}, http:\/\/127\.0\.0\.1:\d+\/#code=[0-9a-f]{64} \(data folder .+\)$/.test(line))).toHaveLength(3);
    expect(printed).toContain(`Funded Northfield Demo Research Institute (${node.node}) on the dev chain: 10000.0 PHD and 1.0 ETH for gas`);

    // Stopping closes the server and the chain.
    await demo.stop();
    await expect(fetch(`${demo.server.url}/v1/network-map`)).rejects.toThrow();
    await expect(provider.getBlockNumber()).rejects.toThrow();
  });

  it('stops before starting anything when aborted (Ctrl-C while starting)', async () => {
    const root = await tempDir();
    const printed: string[] = [];
    await expect(startDemoNetwork({ root, print: (line) => printed.push(line), logLevel: 'silent', signal: AbortSignal.abort() })).rejects.toThrow();
    expect(printed).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });
});
