import { JsonRpcProvider } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { startNetworkServer } from '../../server/server-process';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { postJson, newTestNode, signedJoin } from '../server/support/member-client';
import { consumptionKey } from '../../shared/network/notary';
import { startIntegrationNode } from '../support/integration-node';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * The purchase request and its acceptance end to end in Node (issue 15 item 1), through the real
 * server: a research institute queries, two clinics answer with an offer, the researcher requests a
 * purchase of keys from the basket (one request per clinic); one clinic's administrator accepts, the
 * other clinic accepts automatically within its policy: the offer is claimed at the notary, the
 * acceptance is a PURCHASE_ACCEPTED entry notarized with a receipt, and only then is the researcher
 * told "accepted" (with that receipt). A second request for the same offers is declined "offer
 * already sold" by both, and the notary refuses a claim of the offer for another request.
 * The network settles on its dev chain with three key keepers: the acceptance names them, and the
 * researcher pays the accepted purchase into escrow from its node's account (issue 15 item 2).
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('purchase request and acceptance across the network', () => {
  const tempDir = useTempDirs();

  async function startNode(dataDir: string) {
    const node = await startIntegrationNode(dataDir, cleanup);
    await node.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    return { ...node, dataDir };
  }

  it('a clinic accepts a purchase: notarized, the researcher sees "accepted"; a second request for the offer is "offer already sold"', { timeout: 300_000 }, async () => {
    const serverDir = await tempDir();
    const server = await startNetworkServer({ dataDir: serverDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
    cleanup(() => server.close());
    // Three key keepers at three institutions (headless members: only their place in the map matters here).
    const keeperNodes = [newTestNode(), newTestNode(), newTestNode()];
    for (const [i, keeper] of keeperNodes.entries()) {
      const response = await postJson(`${server.url}/v1/join`, await signedJoin(keeper, server.network.pinned, { legalName: `Keeper Institute ${i + 1}`, roles: ['keeper'] }));
      expect(response.status).toBeLessThan(300);
    }
    const { preview } = await (await startNode(await tempDir())).api.network.inspect({ url: server.url });

    const policy = { mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '2.5' } as const;
    async function startClinic(name: string, seed: number, pricePerRecord: string) {
      const node = await startNode(await tempDir());
      await node.api.demo.import({ patients: 40, seed });
      await node.vault.sync();
      await node.vault.research.setPolicy({ ...policy, pricePerRecord });
      await node.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: name, country: 'CH', roles: ['clinic'] });
      return node;
    }
    // One clinic's administrator decides purchases; the other accepts automatically within its policy.
    const clinic = await startClinic('Example Clinic', 11, '2.5');
    const auto = await startClinic('Automatic Clinic', 22, '1.25');
    const research = await startNode(await tempDir());
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Example Research Institute', country: 'DE', roles: ['research'] });
    await research.api.network.refresh({});
    await clinic.api.network.refresh({});
    await auto.api.network.refresh({});

    // The query and both clinics' answers with an offer.
    const queryId = await research.vault.dataSearch.queries.post({ terms: ['4548-4'], filters: {}, purpose: 'research-sale', days: 5 });
    const answers = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const results = await research.vault.dataSearch.queries.results(queryId);
        expect(results.clinics.map((c) => c.state)).toEqual(['answered', 'answered']);
        return new Map(results.clinics.map((c) => [c.institution, c]));
      },
      { timeout: 120_000, interval: 500 },
    );
    const answer = answers.get('Example Clinic')!;
    const autoAnswer = answers.get('Automatic Clinic')!;
    const offer = answer.answer!.offer!;
    const autoOffer = autoAnswer.answer!.offer!;
    expect(offer).toMatchObject({ pricePerRecord: '2.5' });
    expect(autoOffer).toMatchObject({ pricePerRecord: '1.25' });
    await clinic.vault.research.setPolicy({ ...policy, answering: 'review' });

    const keys = answer.answer!.keyList.slice(0, 4).map((entry) => entry.key);
    const autoKeys = autoAnswer.answer!.keyList.slice(0, 2).map((entry) => entry.key);
    await research.vault.dataSearch.queries.setBasket([
      { queryId, clinic: answer.clinic, offer, keys },
      { queryId, clinic: autoAnswer.clinic, offer: autoOffer, keys: autoKeys },
    ]);
    const paymentAddress = (await research.api.network.status({})).state!.node;
    // One request per clinic of the basket.
    const requested = await research.vault.dataSearch.purchases!.request({ purposeText: 'HbA1c trajectories in type 2 diabetes', paymentAddress, days: 3 });
    expect(requested).toHaveLength(2);
    const sent = await research.vault.dataSearch.purchases!.mine();
    const byClinic = (list: readonly { institution: string; purchaseId: string; state: string; records: number; total: string }[]) => new Map(list.map((p) => [p.institution, p]));
    expect(byClinic(sent).get('Example Clinic')).toMatchObject({ state: 'sent', records: 4, total: '10' });
    expect(byClinic(sent).get('Automatic Clinic')).toMatchObject({ state: 'sent', records: 2, total: '2.5' });
    const purchaseId = byClinic(sent).get('Example Clinic')!.purchaseId;

    // The reviewing clinic lists the request, waiting for its administrator.
    const waiting = await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        const incoming = await clinic.vault.dataSearch.purchases!.incoming();
        expect(incoming.map((p) => [p.purchaseId, p.state])).toEqual([[purchaseId, 'waiting']]);
        return incoming[0]!;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(waiting).toMatchObject({ institution: 'Example Research Institute', request: { offerIds: [offer.offerId], total: '10', pricePerRecord: '2.5' } });

    // Accepted: claimed, journaled, signed; the notary's receipt comes; then the researcher is told.
    expect(await clinic.vault.dataSearch.purchases!.accept(purchaseId)).toBe('accepted');
    await vi.waitFor(
      async () => {
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        expect((await clinic.vault.dataSearch.purchases!.incoming())[0]?.state).toBe('notarized');
      },
      { timeout: 60_000, interval: 500 },
    );
    // The other clinic accepted on its own, within its policy, and was notarized too.
    await vi.waitFor(
      async () => {
        await auto.api.network.refresh({});
        await auto.vault.sync();
        expect((await auto.vault.dataSearch.purchases!.incoming()).map((p) => p.state)).toEqual(['notarized']);
      },
      { timeout: 60_000, interval: 500 },
    );
    // The entry consumed the offer id (its input) and names the request's hash; the notary countersigned it.
    const entries = await clinic.vault.ledger.entries({ kinds: ['PURCHASE_ACCEPTED'] }, { limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.inputs).toEqual([offer.offerId]);
    expect(entries[0]!.subject).toMatch(/^0x[0-9a-f]{64}$/);
    expect(entries[0]!.notary?.leafIndex).toEqual(expect.any(Number));
    const mine = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const list = byClinic(await research.vault.dataSearch.purchases!.mine());
        expect([list.get('Example Clinic')?.state, list.get('Automatic Clinic')?.state]).toEqual(['accepted', 'accepted']);
        return (await research.vault.dataSearch.purchases!.mine()).find((p) => p.purchaseId === purchaseId)!;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(mine.receipt).toMatchObject({ leafIndex: expect.any(Number) as number });
    expect([...mine.keepers!].sort()).toEqual(keeperNodes.map((k) => k.wallet.address).sort());

    // The clinic checks the release on its node: four records cannot reach k = 5, and it says so.
    const check = await clinic.vault.dataSearch.purchases!.checkRelease(purchaseId);
    expect(check).toMatchObject({ ok: false, records: 4, missing: 0, withdrawn: 0 });
    expect(!check.ok && check.reason).toMatch(/k = 5|k-anonymity|k of 5/i);

    // Paying: the researcher's node account is funded on the dev chain, then pays in one call.
    const settlement = server.network.parameters.settlement!;
    const chain = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
    cleanup(async () => chain.destroy());
    const operator = loadOrCreateNetworkKey(serverDir).wallet.connect(chain);
    await (await operator.sendTransaction({ to: paymentAddress, value: 10n ** 18n })).wait();
    await new PhdTokenClient(settlement.token, operator).mint(paymentAddress, 100n * 10n ** 18n);
    expect(await research.vault.dataSearch.purchases!.payment(purchaseId)).toEqual({ state: 'unpaid' });
    expect(await research.vault.dataSearch.purchases!.pay(purchaseId)).toMatchObject({ state: 'deposited', escrowState: 'Deposited', amount: 10n * 10n ** 18n, required: 1 });
    expect(await research.vault.dataSearch.purchases!.balance()).toBe(90n * 10n ** 18n);
    // Paying again changes nothing: the deposit is there.
    expect(await research.vault.dataSearch.purchases!.pay(purchaseId)).toMatchObject({ state: 'deposited', amount: 10n * 10n ** 18n });
    expect(await research.vault.dataSearch.purchases!.balance()).toBe(90n * 10n ** 18n);
    expect(mine.receipt!.leafIndex).toBe((await clinic.vault.dataSearch.purchases!.incoming())[0]!.leafIndex);
    expect(mine.receipt!.leafIndex).toBe(entries[0]!.notary!.leafIndex);

    // The notary holds the offer consumed: a claim of it for another request is refused.
    const clinicNode = (await clinic.api.network.status({})).state!.node;
    expect(await clinic.api.network.claim({ keys: [consumptionKey('offer', clinicNode, offer.offerId)], claim: `0x${'77'.repeat(32)}` })).toEqual({ status: 'consumed' });

    // A second request for the same offers: "offer already sold", from the administrator's clinic
    // when they try to accept, and from the automatic one on its own.
    const again = await research.vault.dataSearch.purchases!.request({ purposeText: 'The same data again', paymentAddress, days: 3 });
    const second = (await research.vault.dataSearch.purchases!.mine()).find((p) => again.includes(p.purchaseId) && p.institution === 'Example Clinic')!.purchaseId;
    await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        expect((await clinic.vault.dataSearch.purchases!.incoming()).map((p) => p.purchaseId)).toContain(second);
      },
      { timeout: 60_000, interval: 500 },
    );
    await expect(clinic.vault.dataSearch.purchases!.accept(second)).rejects.toThrow(/sold already/);
    const declined = await vi.waitFor(
      async () => {
        await research.vault.sync();
        await auto.vault.sync();
        const found = (await research.vault.dataSearch.purchases!.mine()).filter((p) => again.includes(p.purchaseId));
        expect(found.map((p) => p.state)).toEqual(['declined', 'declined']);
        return found;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(declined.map((p) => p.reason)).toEqual(['offer already sold', 'offer already sold']);
    await clinic.vault.sync();
    expect((await clinic.vault.ledger.entries({ kinds: ['PURCHASE_DECLINED'] }, { limit: 10 })).length).toBe(1);
    // The researcher's ledger has a PURCHASE_REQUESTED entry per request: the purchase and its size, never a key.
    await research.vault.sync();
    const requestedEntries = await research.vault.ledger.entries({ kinds: ['PURCHASE_REQUESTED'] }, { limit: 10 });
    expect(requestedEntries).toHaveLength(4);
    const summaries = JSON.stringify(requestedEntries.map((entry) => entry.summary));
    expect(requestedEntries.map((entry) => entry.summary['total (PHD)']).sort()).toEqual(['10', '10', '2.5', '2.5']);
    for (const key of [...keys, ...autoKeys]) expect(summaries).not.toContain(key);
  });
});
