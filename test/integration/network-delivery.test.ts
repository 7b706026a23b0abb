import { JsonRpcProvider } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { startNetworkServer } from '../../server/server-process';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { purchaseIdInput } from '../../shared/network/notary';
import { RELAY_ROUTES, RelayInboxPageSchema } from '../../shared/network/relay';
import { newTestNode, postJson, signedFetch, signedJoin } from '../server/support/member-client';
import { startIntegrationNode } from '../support/integration-node';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * A clinic releases a paid purchase (issue 15 items 3 to 6), end to end in Node through the real
 * server, body and dev chain: the researcher buys every key of an answer and pays into escrow; the
 * clinic's administrator checks the release (Safe Harbor, k-anonymity and l-diversity), releases
 * it: the sealed package is uploaded to the delivery store for the researcher, its key split among
 * the three keepers the acceptance named (one relay envelope each), and a DATA_DELIVERY entry naming
 * the ciphertext's hash and the key commitment is signed and notarized. Before payment the release
 * is refused; a second release answers the first delivery.
 */
const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('a clinic delivers a paid purchase', () => {
  const tempDir = useTempDirs();

  async function startNode(dataDir: string) {
    const node = await startIntegrationNode(dataDir, cleanup);
    await node.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    return node;
  }

  it('releases, uploads, splits the key among the keepers and notarizes DATA_DELIVERY; refused before payment', { timeout: 400_000 }, async () => {
    const serverDir = await tempDir();
    const server = await startNetworkServer({ dataDir: serverDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
    cleanup(() => server.close());
    const keepers = [newTestNode(), newTestNode(), newTestNode()];
    for (const [i, keeper] of keepers.entries()) {
      expect((await postJson(`${server.url}/v1/join`, await signedJoin(keeper, server.network.pinned, { legalName: `Keeper Institute ${i + 1}`, roles: ['keeper'] }))).status).toBeLessThan(300);
    }
    const clinic = await startNode(await tempDir());
    const { preview } = await clinic.api.network.inspect({ url: server.url });
    await clinic.api.demo.import({ patients: 120, seed: 7 });
    await clinic.vault.sync();
    await clinic.vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '0.5' });
    await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Delivery Clinic', country: 'CH', roles: ['clinic'] });
    const research = await startNode(await tempDir());
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Delivery Research Institute', country: 'DE', roles: ['research'] });
    for (const node of [research, clinic]) await node.api.network.refresh({});

    // A query every demo patient with labs matches, answered with an offer; the whole KEY list bought.
    const queryId = await research.vault.dataSearch.queries.post({ terms: ['4548-4'], filters: {}, purpose: 'research-sale', days: 5 });
    const answered = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const results = await research.vault.dataSearch.queries.results(queryId);
        expect(results.clinics.map((c) => c.state)).toEqual(['answered']);
        return results.clinics[0]!;
      },
      { timeout: 120_000, interval: 500 },
    );
    const offer = answered.answer!.offer!;
    await research.vault.dataSearch.queries.setBasket([{ queryId, clinic: answered.clinic, offer, keys: answered.answer!.keyList.map((entry) => entry.key) }]);
    const paymentAddress = (await research.api.network.status({})).state!.node;
    const [purchaseId] = await research.vault.dataSearch.purchases!.request({ purposeText: 'HbA1c in the population', paymentAddress, days: 3 });
    const mine = await vi.waitFor(
      async () => {
        await research.vault.sync();
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        const found = (await research.vault.dataSearch.purchases!.mine()).find((p) => p.purchaseId === purchaseId);
        expect(found?.state).toBe('accepted');
        return found!;
      },
      { timeout: 120_000, interval: 500 },
    );
    expect(mine.keepers).toHaveLength(3);

    // The release checks out on the clinic's node, but nothing leaves before the payment.
    const check = await clinic.vault.dataSearch.purchases!.checkRelease(purchaseId!);
    expect(check, JSON.stringify(check)).toMatchObject({ ok: true, missing: 0, withdrawn: 0 });
    expect(check.ok && check.achieved.k).toBeGreaterThanOrEqual(5);
    await expect(clinic.vault.dataSearch.purchases!.release(purchaseId!)).rejects.toThrow(/not paid/);

    // Paid: the researcher's account is funded on the dev chain and deposits.
    const settlement = server.network.parameters.settlement!;
    const chain = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
    cleanup(async () => chain.destroy());
    const operator = loadOrCreateNetworkKey(serverDir).wallet.connect(chain);
    await (await operator.sendTransaction({ to: paymentAddress, value: 10n ** 18n })).wait();
    await new PhdTokenClient(settlement.token, operator).mint(paymentAddress, 10_000n * 10n ** 18n);
    expect(await research.vault.dataSearch.purchases!.pay(purchaseId!)).toMatchObject({ state: 'deposited' });

    // Released: uploaded for the researcher, the key's shares sent to the three keepers, journaled.
    const delivered = await clinic.vault.dataSearch.purchases!.release(purchaseId!);
    expect(delivered).toMatchObject({ purchaseId, researcher: paymentAddress, keepers: mine.keepers, threshold: 2, k: check.ok ? check.achieved.k : -1 });
    expect(await clinic.vault.dataSearch.purchases!.release(purchaseId!)).toEqual(delivered);
    const listed = await research.api.network.deliveries({});
    expect(listed.deliveries.map((d) => [d.id, d.sha256, d.size, d.state])).toEqual([[delivered.deliveryId, delivered.ciphertextSha256, delivered.size, 'complete']]);
    const clinicNode = (await clinic.api.network.status({})).state!.node;
    for (const keeper of keepers) {
      const inbox = RelayInboxPageSchema.parse(await (await signedFetch(server.url, keeper, server.network.pinned, `${RELAY_ROUTES.inbox}?after=0&limit=50`)).json());
      expect(inbox.messages.filter((m) => m.envelope.from === clinicNode)).toHaveLength(1);
    }

    // The DATA_DELIVERY entry: subject the purchase id, inputs the hash and the key commitment; notarized.
    await vi.waitFor(
      async () => {
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        const entries = await clinic.vault.ledger.entries({ kinds: ['DATA_DELIVERY'] }, { limit: 5 });
        expect(entries).toHaveLength(1);
        expect(entries[0]!.subject).toBe(purchaseIdInput(purchaseId!));
        expect(entries[0]!.inputs).toEqual([`0x${delivered.ciphertextSha256}`, `0x${delivered.commitment}`]);
        expect(entries[0]!.notary?.leafIndex).toEqual(expect.any(Number));
      },
      { timeout: 90_000, interval: 1000 },
    );
    const incoming = await clinic.vault.dataSearch.purchases!.incoming();
    expect(incoming.find((p) => p.purchaseId === purchaseId)?.delivery).toEqual(delivered);

    // Once DATA_DELIVERY is notarized the clinic tells the researcher: where the dataset is, who holds its key, the entry's place in the log.
    const told = await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        await research.vault.sync();
        const found = (await research.vault.dataSearch.purchases!.mine()).find((p) => p.purchaseId === purchaseId)?.delivery;
        expect(found).toBeTruthy();
        return found!;
      },
      { timeout: 90_000, interval: 1000 },
    );
    expect(told).toMatchObject({ deliveryId: delivered.deliveryId, ciphertextSha256: delivered.ciphertextSha256, commitment: delivered.commitment, keepers: delivered.keepers, threshold: 2 });
    const entry = (await clinic.vault.ledger.entries({ kinds: ['DATA_DELIVERY'] }, { limit: 5 }))[0]!;
    expect(told.delivery).toMatchObject({ seq: entry.seq, leafIndex: entry.notary!.leafIndex });
  });
});
