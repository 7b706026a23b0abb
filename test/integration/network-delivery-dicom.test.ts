import dicomParser from 'dicom-parser';
import { JsonRpcProvider, Wallet } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { startNetworkServer } from '../../server/server-process';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { fromBase64Url } from '../../shared/crypto/bytes';
import { openMessage, RELAY_ROUTES, RelayInboxPageSchema } from '../../shared/network/relay';
import { decodeKeeperPayload } from '../../shared/research/key-release';
import { readPackage } from '../../shared/research/package/dataset-package';
import { combineShares, openKeyShare, type KeyShare } from '../../shared/research/package/key-split';
import { instanceElements, part10File } from '../electron/intake/dicom/dicom-test-support';
import { postJson, signedFetch, signedJoin, type TestNode } from '../server/support/member-client';
import { startIntegrationNode } from '../support/integration-node';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * A clinic's release with imaging, and its record of what left (issue 15 items 4 and 8), end to
 * end in Node through the real server, body and dev chain. The clinic holds demo patients, a few
 * of them with CT studies (and one burned-in instance); the researcher buys every key of an
 * answer and pays; the clinic releases. The test then plays the keepers (their message keys are
 * its own), combines two shares, downloads the sealed package as the researcher's body serves it
 * and opens it with readPackage: the de-identified .dcm files parse with dicom-parser, name the
 * release's pseudonyms, and no source PatientName, PatientID or UID is anywhere in the package's
 * bytes. The clinic's record names each patient's pseudonym: What left and the patient's page.
 */
const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();
const UID_ROOT = '1.2.826.0.1.3680043.10.999.77';

async function keeperNode(): Promise<TestNode & { privateKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { wallet: new Wallet(Wallet.createRandom().privateKey), messageKey: `0x${Buffer.from(raw).toString('hex')}`, privateKey: pair.privateKey };
}

describe('a clinic delivers DICOM and keeps its record of what left', () => {
  const tempDir = useTempDirs();

  it('the package holds de-identified DICOM under the release pseudonyms; the clinic can tell who each pseudonym is', { timeout: 500_000 }, async () => {
    const serverDir = await tempDir();
    const server = await startNetworkServer({ dataDir: serverDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
    cleanup(() => server.close());
    const keepers = [await keeperNode(), await keeperNode(), await keeperNode()];
    for (const [i, keeper] of keepers.entries()) {
      expect((await postJson(`${server.url}/v1/join`, await signedJoin(keeper, server.network.pinned, { legalName: `Keeper Institute ${i + 1}`, roles: ['keeper'] }))).status).toBeLessThan(300);
    }
    const clinic = await startIntegrationNode(await tempDir(), cleanup);
    await clinic.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const { preview } = await clinic.api.network.inspect({ url: server.url });
    await clinic.api.demo.import({ patients: 120, seed: 7 });
    await clinic.vault.sync();

    // CT studies for twelve demo patients (two instances each), and a burned-in one for the first.
    const { patientIds } = await clinic.vault.search('');
    const imaged = patientIds.slice(0, 12);
    const sources: { patientId: string; mrn: string; family: string; given: string; uids: string[] }[] = [];
    const files: { bytes: string }[] = [];
    for (const [i, patientId] of imaged.entries()) {
      const { patient } = await clinic.vault.openPatient(patientId);
      const id = patient.identifiers[0]!;
      const family = patient.name.family ?? `FAMILY${i}`;
      const given = patient.name.given?.[0] ?? 'GIVEN';
      const study = `${UID_ROOT}.${i + 1}`;
      const series = `${study}.1`;
      const uids = [study, series];
      for (const n of [1, 2, 3]) {
        if (n === 3 && i !== 0) continue;
        const sop = `${series}.${n}`;
        uids.push(sop);
        const elements = instanceElements({ sopInstanceUid: sop, studyInstanceUid: study, seriesInstanceUid: series, patientId: id.value, issuer: id.authority, patientNameBytes: Buffer.from(`${family}^${given}`, 'utf8'), charset: 'ISO_IR 192', studyDate: '20230610', accession: `ACC${7000 + i}` });
        if (n === 3) elements.push([0x00280301, 'CS', 'YES']);
        files.push({ bytes: Buffer.from(part10File(elements)).toString('base64url') });
      }
      sources.push({ patientId, mrn: id.value, family, given, uids });
    }
    const imported = await clinic.api.dicom.importFiles({ files });
    expect(imported.results.map((result) => result.outcome), JSON.stringify(imported.results.slice(0, 2))).toEqual(files.map(() => 'stored'));
    await clinic.vault.sync();
    expect((await clinic.vault.patientStudies(imaged[0]!)).length).toBe(1);

    await clinic.vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '0.5' });
    await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Imaging Clinic', country: 'CH', roles: ['clinic'] });
    const research = await startIntegrationNode(await tempDir(), cleanup);
    await research.vault.create({ operatorName: 'Rita Researcher', passphrase: PASSPHRASE });
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Imaging Research Institute', country: 'DE', roles: ['research'] });
    for (const node of [research, clinic]) await node.api.network.refresh({});

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
    await research.vault.dataSearch.queries.setBasket([{ queryId, clinic: answered.clinic, offer: answered.answer!.offer!, keys: answered.answer!.keyList.map((entry) => entry.key) }]);
    const paymentAddress = (await research.api.network.status({})).state!.node;
    const [purchaseId] = await research.vault.dataSearch.purchases.request({ purposeText: 'Imaging and HbA1c', paymentAddress, days: 3 });
    await vi.waitFor(
      async () => {
        await research.vault.sync();
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        expect((await research.vault.dataSearch.purchases.mine()).find((p) => p.purchaseId === purchaseId)?.state).toBe('accepted');
      },
      { timeout: 120_000, interval: 500 },
    );
    const settlement = server.network.parameters.settlement!;
    const chain = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
    cleanup(async () => chain.destroy());
    const operator = loadOrCreateNetworkKey(serverDir).wallet.connect(chain);
    await (await operator.sendTransaction({ to: paymentAddress, value: 10n ** 18n })).wait();
    await new PhdTokenClient(settlement.token, operator).mint(paymentAddress, 10_000n * 10n ** 18n);
    expect(await research.vault.dataSearch.purchases.pay(purchaseId!)).toMatchObject({ state: 'deposited' });

    const check = await clinic.vault.dataSearch.purchases.checkRelease(purchaseId!);
    expect(check.ok).toBe(true);
    const started = performance.now();
    const delivered = await clinic.vault.dataSearch.purchases.release(purchaseId!);
    const releaseMs = performance.now() - started;
    expect(delivered.patients).toBeUndefined();
    expect(delivered).toMatchObject({ purpose: 'research-sale', consentMode: 'opt-out', profile: 'safe-harbor' });

    // The clinic's record: who left under which pseudonym.
    await clinic.vault.sync();
    const left = await clinic.vault.dataSearch.purchases.whatLeft(purchaseId!);
    expect(left.recorded).toBe(true);
    expect(left.patients).toHaveLength(delivered.released);
    expect(left.institution).toBe('Imaging Research Institute');
    const pseudonymOf = new Map(left.patients.map((p) => [p.patientId, p.pseudonym]));
    const releasedImaged = sources.filter((source) => pseudonymOf.has(source.patientId));
    expect(releasedImaged.length).toBeGreaterThan(0);
    const expectedInstances = releasedImaged.reduce((sum, source) => sum + (source.uids.length - 2) - (source === sources[0] ? 1 : 0), 0);
    expect(delivered.dicom).toEqual({ instances: expectedInstances, excluded: pseudonymOf.has(sources[0]!.patientId) ? 1 : 0 });
    // The check announced them: every instance of the released patients, before any was left out.
    expect(check.ok && check.dicom).toEqual({ instances: expectedInstances + delivered.dicom!.excluded, patients: releasedImaged.length });
    for (const source of releasedImaged) {
      const datasets = await clinic.vault.dataSearch.purchases.datasetsOfPatient(source.patientId);
      expect(datasets.map((d) => [d.purchaseId, d.pseudonym, d.institution])).toEqual([[purchaseId, pseudonymOf.get(source.patientId), 'Imaging Research Institute']]);
      expect(left.patients.find((p) => p.patientId === source.patientId)?.name).toMatch(new RegExp(source.family));
    }

    // The ledger's DATA_DELIVERY entry (what the notary and the network see) names none of it.
    const entry = await vi.waitFor(
      async () => {
        await clinic.vault.sync();
        const entries = await clinic.vault.ledger.entries({ kinds: ['DATA_DELIVERY'] }, { limit: 5 });
        expect(entries).toHaveLength(1);
        return entries[0]!;
      },
      { timeout: 60_000, interval: 500 },
    );
    const signed = JSON.stringify(entry);
    expect(signed).not.toMatch(/patients|consentMode/);
    for (const patient of left.patients) for (const value of [patient.pseudonym, patient.patientId]) expect(signed.includes(value), value).toBe(false);

    // The keepers' shares (two of three), the package as the researcher's body downloads it.
    const clinicNode = (await clinic.api.network.status({})).state!.node;
    const shares: KeyShare[] = [];
    for (const keeper of keepers.slice(0, 2)) {
      const inbox = RelayInboxPageSchema.parse(await (await signedFetch(server.url, keeper, server.network.pinned, `${RELAY_ROUTES.inbox}?after=0&limit=50`)).json());
      const message = inbox.messages.find((m) => m.envelope.from === clinicNode)!;
      const opened = await openMessage(message.envelope, keeper.privateKey, keeper.wallet.address, { resolveSender: () => true });
      const payload = decodeKeeperPayload(opened.payload);
      if (payload?.type !== 'key-share-deposit') throw new Error('not a key share deposit');
      shares.push(await openKeyShare(payload.share, keeper.privateKey, { purchaseId: purchaseId!, recipientId: keeper.wallet.address }));
    }
    const key = await combineShares(shares, { commitment: delivered.commitment, ciphertextSha256: delivered.ciphertextSha256 });
    const status = (await research.api.network.deliveries({})).deliveries.find((d) => d.id === delivered.deliveryId)!;
    const chunks: Uint8Array[] = [];
    for (let index = 0; index < status.chunkCount; index++) chunks.push(fromBase64Url((await research.api.network.deliveryRead({ id: delivered.deliveryId, index })).data));
    const { files: packageFiles, manifest } = await readPackage(chunks, key, delivered.ciphertextSha256, { commitment: delivered.commitment });

    const dicomFiles = [...packageFiles].filter(([path]) => path.startsWith('dicom/'));
    expect(dicomFiles).toHaveLength(expectedInstances);
    expect(manifest.counts).toMatchObject({ dicom: expectedInstances, ImagingStudy: releasedImaged.length });
    const released = new Set(left.patients.map((p) => p.pseudonym));
    for (const [path, bytes] of dicomFiles) {
      expect(path).toMatch(/^dicom\/2\.25\.\d+\/2\.25\.\d+\/2\.25\.\d+\.dcm$/);
      const parsed = dicomParser.parseDicom(bytes);
      expect(released.has(parsed.string('x00100020') ?? '')).toBe(true);
      expect(parsed.string('x00100010')).toBe(parsed.string('x00100020'));
      expect(parsed.string('x00120062')).toBe('YES');
    }
    // No identifier of the imaged source population anywhere in the package.
    const everything = Buffer.concat([...packageFiles.values()]);
    for (const source of sources) {
      for (const value of [source.mrn, `${source.family}^${source.given}`, source.family, ...source.uids]) expect(everything.includes(Buffer.from(value, 'utf8')), value).toBe(false);
    }
    console.info(`release with ${expectedInstances} DICOM instances of ${delivered.released} patients: ${releaseMs.toFixed(0)} ms, ${delivered.size} bytes sealed`);
  });
});
