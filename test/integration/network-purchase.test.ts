import { describe, expect, it, vi } from 'vitest';
import { startNetworkServer } from '../../server/server-process';
import { consumptionKey } from '../../shared/network/notary';
import { startIntegrationNode } from '../support/integration-node';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * The purchase request and its acceptance end to end in Node (issue 15 item 1), through the real
 * server: a research institute queries, a clinic answers with an offer, the researcher requests a
 * purchase of keys from the basket, the clinic's administrator accepts: the offer is claimed at the
 * notary, the acceptance is a PURCHASE_ACCEPTED entry notarized with a receipt, and only then is the
 * researcher told "accepted" (with that receipt). A second request for the same offer is declined
 * "offer already sold", and the notary refuses a claim of the offer for another request.
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
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent' });
    cleanup(() => server.close());
    const { preview } = await (await startNode(await tempDir())).api.network.inspect({ url: server.url });

    const clinic = await startNode(await tempDir());
    await clinic.api.demo.import({ patients: 40, seed: 11 });
    await clinic.vault.sync();
    const policy = { mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '2.5' } as const;
    await clinic.vault.research.setPolicy(policy);
    await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Example Clinic', country: 'CH', roles: ['clinic'] });
    const research = await startNode(await tempDir());
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Example Research Institute', country: 'DE', roles: ['research'] });
    await research.api.network.refresh({});
    await clinic.api.network.refresh({});

    // The query and the clinic's answer with an offer.
    const queryId = await research.vault.dataSearch.queries.post({ terms: ['4548-4'], filters: {}, purpose: 'research-sale', days: 5 });
    const answer = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const results = await research.vault.dataSearch.queries.results(queryId);
        expect(results.clinics[0]?.state).toBe('answered');
        return results.clinics[0]!;
      },
      { timeout: 120_000, interval: 500 },
    );
    const offer = answer.answer!.offer!;
    expect(offer).toMatchObject({ pricePerRecord: '2.5' });
    // From here the clinic's administrator decides purchases (queries too).
    await clinic.vault.research.setPolicy({ ...policy, answering: 'review' });

    const keys = answer.answer!.keyList.slice(0, 4).map((entry) => entry.key);
    await research.vault.dataSearch.queries.setBasket([{ queryId, clinic: answer.clinic, offer, keys }]);
    const paymentAddress = (await research.api.network.status({})).state!.node;
    const [purchaseId] = await research.vault.dataSearch.purchases!.request({ purposeText: 'HbA1c trajectories in type 2 diabetes', paymentAddress, days: 3 });
    expect((await research.vault.dataSearch.purchases!.mine()).map((p) => [p.purchaseId, p.state, p.records, p.total])).toEqual([[purchaseId, 'sent', 4, '10']]);

    // The clinic lists the request, waiting for its administrator.
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
    expect(await clinic.vault.dataSearch.purchases!.accept(purchaseId!)).toBe('accepted');
    await vi.waitFor(
      async () => {
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        expect((await clinic.vault.dataSearch.purchases!.incoming())[0]?.state).toBe('notarized');
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
        const list = await research.vault.dataSearch.purchases!.mine();
        expect(list[0]?.state).toBe('accepted');
        return list[0]!;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(mine.receipt).toMatchObject({ leafIndex: expect.any(Number) as number });
    expect(mine.receipt!.leafIndex).toBe((await clinic.vault.dataSearch.purchases!.incoming())[0]!.leafIndex);
    expect(mine.receipt!.leafIndex).toBe(entries[0]!.notary!.leafIndex);

    // The notary holds the offer consumed: a claim of it for another request is refused.
    const clinicNode = (await clinic.api.network.status({})).state!.node;
    expect(await clinic.api.network.claim({ keys: [consumptionKey('offer', clinicNode, offer.offerId)], claim: `0x${'77'.repeat(32)}` })).toEqual({ status: 'consumed' });

    // A second request for the same offer: "offer already sold".
    const [second] = await research.vault.dataSearch.purchases!.request({ purposeText: 'The same data again', paymentAddress, days: 3 });
    await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        expect((await clinic.vault.dataSearch.purchases!.incoming()).map((p) => p.purchaseId)).toContain(second);
      },
      { timeout: 60_000, interval: 500 },
    );
    await expect(clinic.vault.dataSearch.purchases!.accept(second!)).rejects.toThrow(/sold already/);
    const declined = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const found = (await research.vault.dataSearch.purchases!.mine()).find((p) => p.purchaseId === second);
        expect(found?.state).toBe('declined');
        return found!;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(declined.reason).toBe('offer already sold');
    await clinic.vault.sync();
    expect((await clinic.vault.ledger.entries({ kinds: ['PURCHASE_DECLINED'] }, { limit: 10 })).length).toBe(1);
  });
});
