import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { hexlify, JsonRpcProvider, randomBytes } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { startNetworkServer } from '../../server/server-process';
import { DEV_FAUCET_ROUTE } from '../../shared/chain/dev-faucet';
import { PhdTokenClient, PurchaseEscrowClient } from '../../shared/chain/escrow-contracts';
import { networkFingerprint } from '../../shared/network/network-domain';
import { SignedNetworkMapSchema } from '../../shared/network/network-map';
import { purchaseIdInput } from '../../shared/network/notary';
import { signKeyReleaseRequest, type KeeperPayload, type KeyReleaseRequest } from '../../shared/research/key-release';
import { combineShares, openKeyShare, splitPackageKey } from '../../shared/research/package/key-split';
import { keyCommitment, newPackageKey } from '../../shared/research/package/package-seal';
import { purchaseRequestHash } from '../../shared/research/purchase-request';
import { submit, TestChain } from '../server/notary/support/notary-fixtures';
import { approvedMemberWith, drainInbox, newPurchaseId, sendPayload, signedPurchase, startWitness, tokenUnits, type Received } from '../server/keeper/support/keeper-fixtures';
import { signedFetch } from '../server/support/member-client';
import { useCleanups } from '../support/cleanups';
import { REPO_ROOT } from '../support/repo-paths';
import { useTempDirs } from '../support/temp-dir';

/**
 * `npm run keeper` as an operator runs it (issue 15 item 6): the keeper process joins a real server
 * (PGlite, auto-approve, its embedded dev chain) with the keeper role after checking the network's
 * fingerprint, reads the settlement chain the map names over JSON-RPC, takes a clinic's share, shrugs off garbage in
 * its mailbox, and releases its share to the buyer of a notarized, witnessed, paid purchase. After
 * a restart (same folder, no join flags) it is the same member, and refuses a second release.
 */

const cleanup = useCleanups();
const KEEPER_MAIN = path.join(REPO_ROOT, 'server', 'keeper', 'keeper-main.ts');
const READY = /^HDMS keeper ready: (0x[0-9a-fA-F]{40})$/m;

interface KeeperProcess {
  readonly address: string;
  stderr(): string;
  stop(): Promise<number | NodeJS.Signals | null>;
}

async function spawnKeeper(args: readonly string[]): Promise<KeeperProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', KEEPER_MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const address = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = READY.exec(out);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`the keeper exited (${code}) before it was ready; stderr: ${err}`)));
  });
  const stop = async (): Promise<number | NodeJS.Signals | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  cleanup(async () => void (await stop()));
  return { address, stderr: () => err, stop };
}

describe('npm run keeper', () => {
  const tempDir = useTempDirs();

  it('joins as a keeper, keeps a clinic\'s share, drops garbage, releases to the paying buyer, and after a restart refuses a second release', { timeout: 240_000 }, async () => {
    const running = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
    cleanup(() => running.close());
    const server = { url: running.url, network: { pinned: running.network.pinned } };
    const chainId = running.network.pinned.chainId;
    const clinic = await approvedMemberWith(server, ['clinic']);
    const buyer = await approvedMemberWith(server, ['research']);
    const secondKeeper = await approvedMemberWith(server, ['keeper']);
    const thirdKeeper = await approvedMemberWith(server, ['keeper']);
    const witness = await startWitness(server);

    // The chain is the one the network map names (no chain flags).
    const keeperDir = await tempDir();
    const first = await spawnKeeper(['--data-dir', keeperDir, '--server', running.url, '--name', 'Keeper Process AG', '--country', 'ch', '--fingerprint', networkFingerprint(running.network.pinned), '--poll-ms', '100']);
    const map = SignedNetworkMapSchema.parse(await (await fetch(`${running.url}/v1/network-map`)).json()).map;
    const settlement = map.parameters.settlement!;
    const provider = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
    cleanup(async () => provider.destroy());
    const certificate = map.members.find((m) => m.certificate.member === first.address)!.certificate;
    expect(certificate).toMatchObject({ roles: ['keeper'], legalName: 'Keeper Process AG', country: 'CH' });
    const keeper = { address: first.address, messageKey: certificate.messageKey };

    // The clinic accepted and delivered (notarized), split the key among three keepers, and deposits this keeper's share.
    const purchaseId = newPurchaseId();
    const signed = await signedPurchase(buyer, clinic, chainId, { purchaseId, paymentAddress: buyer.wallet.address });
    const requestHash = purchaseRequestHash(chainId, signed.request);
    const key = newPackageKey();
    const ciphertextSha256 = hexlify(randomBytes(32)).slice(2);
    const binding = { ciphertextSha256, commitment: await keyCommitment(key, ciphertextSha256) };
    const shares = await splitPackageKey(key, [keeper, { address: secondKeeper.wallet.address, messageKey: secondKeeper.messageKey }, { address: thirdKeeper.wallet.address, messageKey: thirdKeeper.messageKey }].map((k) => ({ recipientId: k.address, publicKey: k.messageKey })), { purchaseId, ...binding });
    const ledger = new TestChain(clinic, chainId);
    const acceptance = await ledger.next({ kind: 'PURCHASE_ACCEPTED', subject: requestHash, inputs: signed.request.offerIds });
    const delivery = await ledger.next({ kind: 'DATA_DELIVERY', subject: purchaseIdInput(purchaseId), inputs: [`0x${ciphertextSha256}`, `0x${binding.commitment}`] });
    expect((await submit(running.url, [acceptance, delivery])).results.map((r) => r.status)).toEqual(['notarized', 'notarized']);
    const garbage = await sendPayload(server, clinic, keeper, randomBytes(500));
    await sendPayload(server, clinic, keeper, { type: 'key-share-deposit', purchaseId, share: shares[0]! });
    const answers = async (member: typeof buyer): Promise<KeeperPayload[]> =>
      vi.waitFor(
        async () => {
          const received: Received[] = await drainInbox(server, member);
          expect(received.length).toBeGreaterThan(0);
          return received.map((r) => r.payload);
        },
        { timeout: 60_000, interval: 200 },
      );
    expect(await answers(clinic)).toEqual([{ type: 'key-share-stored', purchaseId }]);

    // The buyer, funded by the dev chain's faucet, pays from the purchase request's payment address; the witness cosigns the log.
    expect((await signedFetch(running.url, buyer, running.network.pinned, DEV_FAUCET_ROUTE, { method: 'POST', body: '{}' })).status).toBe(200);
    const payer = buyer.wallet.connect(provider);
    await new PhdTokenClient(settlement.token, payer).approve(settlement.escrow, tokenUnits('10'));
    const now = (await provider.getBlock('latest'))!.timestamp;
    await new PurchaseEscrowClient(settlement.escrow, payer).deposit({ purchaseId: purchaseIdInput(purchaseId), amount: tokenUnits('10'), clinic: clinic.wallet.address, keepers: [{ address: keeper.address, bps: 500 }], deadline: BigInt(now + 3 * 24 * 3600) });
    await provider.send('evm_mine', []);
    await witness.cosignNewest();
    const request: KeyReleaseRequest = { purchaseId, keeper: keeper.address, buyer: buyer.wallet.address, clinic: clinic.wallet.address, purchaseRequestHash: requestHash, acceptanceSeq: acceptance.entry.seq, deliverySeq: delivery.entry.seq, checkpointSize: 0, createdAt: Date.now() };
    await sendPayload(server, buyer, keeper, await signKeyReleaseRequest(buyer.wallet, chainId, request, signed));
    const [released] = await answers(buyer);
    expect(released).toMatchObject({ type: 'key-release', purchaseId });
    const mine = await openKeyShare((released as Extract<KeeperPayload, { type: 'key-release' }>).share, buyer.messagePrivateKey, { purchaseId, recipientId: buyer.wallet.address });
    const other = await openKeyShare(shares[2]!, thirdKeeper.messagePrivateKey, { purchaseId, recipientId: thirdKeeper.wallet.address });
    expect(await combineShares([mine, other], binding)).toEqual(key);

    // Its log (stderr) named the dropped message and never a share.
    const lines = first.stderr().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event?: string; id?: string });
    expect(lines.filter((line) => line.event === 'message-dropped').map((line) => line.id)).toEqual([garbage]);
    for (const share of shares) expect(first.stderr()).not.toContain(share.ct);
    expect(await first.stop()).toBe(0);

    // Restarted from its folder: the same member, no join flags needed; the notary refuses a second release.
    const second = await spawnKeeper(['--data-dir', keeperDir, '--server', running.url, '--poll-ms', '100']);
    expect(second.address).toBe(first.address);
    await witness.cosignNewest();
    await sendPayload(server, buyer, keeper, await signKeyReleaseRequest(buyer.wallet, chainId, { ...request, createdAt: Date.now() }, signed));
    expect(await answers(buyer)).toEqual([expect.objectContaining({ type: 'key-release-refused', purchaseId, reason: 'already-released' })]);
    expect(await second.stop()).toBe(0);
  });
});
