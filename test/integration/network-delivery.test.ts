import { JsonRpcProvider } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { startNetworkServer } from '../../server/server-process';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { purchaseIdInput } from '../../shared/network/notary';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PurchaseEscrowClient } from '../../shared/chain/escrow-contracts';
import { startIntegrationNode } from '../support/integration-node';
import { startKeeperServices } from '../support/keeper-services';
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
 *
 * Then the researcher's side (item 7), with three real keeper services (server/keeper/): it asks
 * each keeper for its share, combines them, checks the key against the notarized commitment,
 * reads the package the body keeps, checks its hash, manifest and report, acknowledges (a notarized
 * DELIVERY_ACK entry; the escrow pays the clinic and the keepers), previews the files and saves
 * them to a folder.
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
    const keepers = await startKeeperServices({ url: server.url, pinned: server.network.pinned }, { dataDir: tempDir, onStop: (stop) => cleanup(async () => stop()) });
    const clinic = await startNode(await tempDir());
    const { preview } = await clinic.api.network.inspect({ url: server.url });
    await clinic.api.demo.import({ patients: 120, seed: 7 });
    await clinic.vault.sync();
    await clinic.vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '0.5' });
    await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Delivery Clinic', country: 'CH', roles: ['clinic'] });
    const research = await startNode(await tempDir());
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Delivery Research Institute', country: 'DE', roles: ['research', 'witness'] });
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
    expect([...mine.keepers!].sort()).toEqual(keepers.map((keeper) => keeper.address).sort());

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
    expect([...delivered.keepers].sort()).toEqual(keepers.map((keeper) => keeper.address).sort());
    const clinicNode = (await clinic.api.network.status({})).state!.node;

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

    // The researcher asks the keepers; each checks the notarized purchase and delivery and the deposit, and releases its share.
    // The research institute is also a witness: its refresh cosigns the checkpoint that holds the delivery.
    await research.api.network.refresh({});
    const datasets = research.vault.dataSearch.datasets;
    await expect(datasets.openDataset(purchaseId!)).rejects.toThrow(/0 of the 2 key shares/);
    await datasets.requestKeys(purchaseId!);
    expect((await datasets.list())[0]!.shares.map((share) => share.state)).toEqual(['waiting', 'waiting', 'waiting']);
    await vi.waitFor(
      async () => {
        await research.vault.sync();
        const listed = (await datasets.list()).find((d) => d.purchaseId === purchaseId);
        expect(listed?.shares.map((share) => share.state), JSON.stringify(listed?.shares)).toEqual(['released', 'released', 'released']);
      },
      { timeout: 120_000, interval: 1000 },
    );

    // The clinic sees the three keepers keep their shares, and declares the keys released on the escrow (the dispute window starts; its account pays the gas).
    const escrow = new PurchaseEscrowClient(settlement.escrow, chain);
    await (await operator.sendTransaction({ to: clinicNode, value: 10n ** 17n })).wait();
    await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        expect((await clinic.vault.dataSearch.purchases!.incoming()).find((p) => p.purchaseId === purchaseId)?.keepersHolding).toEqual({ stored: 3, refused: [] });
        expect((await escrow.getPurchase(purchaseIdInput(purchaseId!))).state).toBe('KeysReleased');
      },
      { timeout: 60_000, interval: 1000 },
    );

    // Opened: key combined and checked, package read from the body's kept copy and checked; acknowledged.
    const opened = await datasets.openDataset(purchaseId!);
    expect(opened.opened).toMatchObject({ files: expect.any(Number), counts: expect.objectContaining({ Patient: delivered.released }) });
    expect(opened.acknowledgedAt).toEqual(expect.any(Number));
    expect((await escrow.getPurchase(purchaseIdInput(purchaseId!))).state).toBe('Paid');
    // The row read the escrow after the acknowledge(): nothing is left to acknowledge on the chain.
    expect(opened.escrowHolds).toBe(false);
    expect((await datasets.list()).find((dataset) => dataset.purchaseId === purchaseId)?.escrowHolds).toBe(false);
    await vi.waitFor(
      async () => {
        await research.api.network.refresh({});
        await research.vault.sync();
        const acks = await research.vault.ledger.entries({ kinds: ['DELIVERY_ACK'] }, { limit: 5 });
        expect(acks).toHaveLength(1);
        expect(acks[0]!.subject).toBe(purchaseIdInput(purchaseId!));
        expect(acks[0]!.inputs).toEqual([`0x${delivered.ciphertextSha256}`, `0x${delivered.manifestSha256}`]);
        expect(acks[0]!.notary?.leafIndex).toEqual(expect.any(Number));
        // The deposit is the researcher's entry too: its transaction is the input.
        const deposits = await research.vault.ledger.entries({ kinds: ['ESCROW_DEPOSIT'] }, { limit: 5 });
        expect(deposits).toHaveLength(1);
        expect(deposits[0]!.subject).toBe(purchaseIdInput(purchaseId!));
        expect(deposits[0]!.inputs).toEqual([expect.stringMatching(/^0x[0-9a-f]{64}$/)]);
        expect(deposits[0]!.notary?.leafIndex).toEqual(expect.any(Number));
      },
      { timeout: 90_000, interval: 1000 },
    );

    // The dataset page: manifest, release report, previews, provenance with the notary's leaves.
    const contents = await datasets.contents(purchaseId!);
    expect(contents.report.achieved.k).toBe(delivered.k);
    const patients = contents.previews.find((p) => p.path === 'csv/Patient.csv')!;
    expect(patients.columns).toEqual(['id', 'pseudonym', 'gender', 'age', 'zip3']);
    expect(patients.rows.length).toBeGreaterThan(0);
    expect(contents.previews.find((p) => p.path === 'fhir/Observation.ndjson')!.rows.length).toBeGreaterThan(0);
    expect(contents.provenance.map((step) => step.step)).toEqual(['query', 'offer', 'purchase', 'acceptance', 'deposit', 'delivery', 'key-release', 'key-release', 'key-release', 'acknowledgement']);
    expect(contents.provenance.find((step) => step.step === 'delivery')!.leafIndex).toBe(entry.notary!.leafIndex);
    // Every step names its entry's leaf in the notary's log (the offer: the acceptance that consumed it).
    expect(contents.provenance.map((step) => [step.step, typeof step.leafIndex])).toEqual(contents.provenance.map((step) => [step.step, 'number']));

    // Saved to a folder: the files the manifest lists, byte for byte as it hashes them.
    const folder = path.join(await tempDir(), 'dataset');
    const saved = await datasets.save(purchaseId!, folder);
    expect(saved.files).toBe(contents.manifest.files.length + 1);
    const names = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    expect(names.sort()).toEqual([...contents.manifest.files.map((f) => f.path), 'manifest.json'].sort());
    const { createHash } = await import('node:crypto');
    for (const file of contents.manifest.files) expect(createHash('sha256').update(await readFile(path.join(folder, file.path))).digest('hex')).toBe(file.sha256);
    await expect(datasets.save(purchaseId!, folder)).rejects.toThrow(/not empty|already/i);
  });
});
