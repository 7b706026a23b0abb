import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider } from 'ethers';
import { loadOrCreateNetworkKey } from '../../server/network/network-key';
import { startNetworkServer } from '../../server/server-process';
import { PhdTokenClient } from '../../shared/chain/escrow-contracts';
import { startIntegrationNode, type IntegrationNode } from '../support/integration-node';
import { startKeeperServices } from '../support/keeper-services';
import { median, type BenchModule, type FigureInput } from './bench-report';

/**
 * End-to-end time from purchase request to opened dataset for 10,000 records (issue 15's benchmark),
 * in one process through the real code paths of test/integration/network-delivery.test.ts: the
 * network server (PGlite, relay, notary, delivery store) with its dev chain (ganache, escrow and PHD
 * token deployed, 1 confirmation), three KeeperService instances (poll every 200 ms), a clinic node
 * and a research node (the real body on disk and the real mind on fake-indexeddb, test/support/
 * integration-node.ts; the research node is also a witness, so checkpoints get cosigned).
 *
 * Not timed (setup): the clinic imports HDMS_BENCH_PURCHASE_PATIENTS demo patients (default 10,000)
 * and indexes them, both nodes join, the researcher posts seven queries — one per demo diagnosis
 * code; each demo patient has exactly one, so the cohorts are disjoint and each stays under the
 * 2,000-entry KEY list of one answer (MAX_KEY_LIST) — the clinic answers them by policy, every key
 * of the seven answers goes into the basket (10,000 keys: one purchasable record per patient), and
 * the researcher's account is funded on the dev chain.
 *
 * - `purchase_to_dataset_10k_s`: seconds from `purchases.request` to `datasets.openDataset`
 *   resolved (key combined and checked, package read and checked, DELIVERY_ACK signed and the
 *   escrow's acknowledge() mined). Its parts, each its own figure (same baseline):
 *   `…_request_to_accepted_s` (request through the relay, the clinic's automatic acceptance
 *   notarized and sent back), `…_pay_s` (approve + deposit into escrow, confirmed),
 *   `…_release_s` (the clinic's `purchases.release`: resolve, de-identify and check k/ℓ, seal,
 *   upload, split the key to the keepers), `…_delivered_notice_s` (until the research node holds
 *   the clinic's `dataset-delivered` row: DATA_DELIVERY notarized, then the relay message),
 *   `…_keys_s` (`datasets.requestKeys` until the three keepers' shares are released: each checks
 *   inclusion proofs against a witnessed checkpoint and the deposit), `…_open_s` (openDataset).
 *   The waits poll every 200 ms with the nodes' own refresh/sync, as the app's timers would.
 *
 * Baseline, same run, same purchase: the clinic's `purchases.checkRelease` timed alone — resolving
 * the purchased keys to patients, reading their records and the Safe Harbor + k-anonymity +
 * ℓ-diversity release with its independent verification, with no network — so the ratio says how
 * much the network protocol (relay, notary, chain, delivery, keepers) adds on top of the
 * de-identification of the same records. It runs after the purchase is opened (warm, median of 2).
 * One purchase, one run: the figures are single timings, on a 2-core machine where the server,
 * the chain, the keepers and both nodes share one event loop.
 *
 * Caveat: release and open each hash the whole sealed package (about 170 MiB for 10,000 demo
 * patients) with the mind's pure-JS SHA-256 (@noble/hashes, the default hasher of
 * shared/research/package/package-seal.ts). Loaded by tsx from CommonJS, as here, that runs several
 * times slower than in the app's ESM bundle (README, dataset package: 15–20×), and it dominates both
 * stages: they move about 2 MiB/s here, so this bench overstates them against the app.
 */
const PATIENTS = Number(process.env['HDMS_BENCH_PURCHASE_PATIENTS'] ?? 10_000);
const BASELINE_RUNS = 2;
const PASSPHRASE = 'violet tractor amber seventeen';
const POLL_MS = 200;
/** The demo's admission diagnoses (electron/intake/demo/demo-catalog.ts DIAGNOSES): one per patient. */
const DIAGNOSIS_CODES = ['E11.9', 'I10', 'J45.909', 'E78.5', 'N18.30', 'K21.9', 'F32.9'] as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Probes until it answers something other than undefined; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`Timed out after ${seconds(timeoutMs)} s waiting for ${what}.`);
    await sleep(POLL_MS);
  }
}

const bench: BenchModule = {
  title: `purchase to dataset: ${PATIENTS.toLocaleString('en')} records from purchases.request to openDataset, vs the clinic's checkRelease of the same records`,
  async run(log) {
    const cleanups: Array<() => Promise<void> | void> = [];
    const tempDir = async (): Promise<string> => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-bench-purchase-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    };
    const startNode = async (): Promise<IntegrationNode> => {
      const node = await startIntegrationNode(await tempDir(), (stop) => void cleanups.push(stop));
      // Locked, the mind stops its timers (auto-lock, sync), so the process can exit.
      cleanups.push(() => node.vault.lock());
      await node.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
      return node;
    };
    try {
      // ——— Setup (not timed) ———
      const serverDir = await tempDir();
      const server = await startNetworkServer({ dataDir: serverDir, database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', chain: { kind: 'dev', port: 0, confirmations: 1 }, anchorIntervalMs: 0 });
      cleanups.push(() => server.close());
      const keepers = await startKeeperServices({ url: server.url, pinned: server.network.pinned }, { dataDir: tempDir, pollMs: POLL_MS, onStop: (stop) => void cleanups.push(stop) });
      log(`  server ${server.url}, dev chain, ${keepers.length} keepers joined`);

      const clinic = await startNode();
      const { preview } = await clinic.api.network.inspect({ url: server.url });
      let mark = performance.now();
      const imported = await clinic.api.demo.import({ patients: PATIENTS, seed: 7 });
      const importMs = performance.now() - mark;
      mark = performance.now();
      await clinic.vault.sync();
      const indexMs = performance.now() - mark;
      log(`  clinic: demo.import of ${imported.patients} patients (${imported.messages} messages) ${seconds(importMs)} s, indexed (vault.sync) in ${seconds(indexMs)} s`);
      await clinic.vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '0.5' });
      await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Bench Clinic', country: 'CH', roles: ['clinic'] });
      const research = await startNode();
      await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Bench Research Institute', country: 'DE', roles: ['research', 'witness'] });
      for (const node of [research, clinic]) await node.api.network.refresh({});

      // One query per diagnosis code: disjoint cohorts, each answered with its whole KEY list and an offer.
      mark = performance.now();
      const queryIds: string[] = [];
      for (const code of DIAGNOSIS_CODES) queryIds.push(await research.vault.dataSearch.queries.post({ terms: [code], filters: {}, purpose: 'research-sale', days: 5 }));
      const answers = await until('the clinic’s answers to the seven queries', 600_000, async () => {
        await research.vault.sync();
        const found = await Promise.all(queryIds.map(async (queryId) => ({ queryId, clinic: (await research.vault.dataSearch.queries.results(queryId)).clinics[0] })));
        for (const { clinic: answered } of found) if (answered !== undefined && answered.state !== 'answered' && answered.state !== 'waiting') throw new Error(`A query was not answered: ${answered.state}`);
        return found.every(({ clinic: answered }) => answered?.state === 'answered') ? found : undefined;
      });
      const items = answers.map(({ queryId, clinic: answered }) => {
        const answer = answered!.answer!;
        if (answer.offer === null) throw new Error('An answer came without an offer.');
        if (answer.keyListTruncated) throw new Error(`A cohort has more patients than one KEY list holds (${answered!.answer!.keyList.length} listed): lower HDMS_BENCH_PURCHASE_PATIENTS.`);
        return { queryId, clinic: answered!.clinic, offer: answer.offer, keys: answer.keyList.map((entry) => entry.key) };
      });
      const records = items.reduce((sum, item) => sum + item.keys.length, 0);
      log(`  ${queryIds.length} queries answered in ${seconds(performance.now() - mark)} s: ${records} keys (${items.map((item) => item.keys.length).join(', ')})`);
      await research.vault.dataSearch.queries.setBasket(items);

      // The researcher's account, funded before the purchase (gas and PHD), as a researcher's would be.
      const settlement = server.network.parameters.settlement!;
      const chain = new JsonRpcProvider(settlement.rpcUrl, settlement.chainId, { staticNetwork: true, cacheTimeout: -1 });
      cleanups.push(() => chain.destroy());
      const paymentAddress = (await research.api.network.status({})).state!.node;
      const operator = loadOrCreateNetworkKey(serverDir).wallet.connect(chain);
      await (await operator.sendTransaction({ to: paymentAddress, value: 10n ** 18n })).wait();
      await new PhdTokenClient(settlement.token, operator).mint(paymentAddress, 100_000n * 10n ** 18n);

      // ——— Timed: purchases.request → openDataset resolved ———
      log('  purchase: request');
      const t0 = performance.now();
      const [purchaseId] = await research.vault.dataSearch.purchases.request({ purposeText: 'Bench: the whole population', paymentAddress, days: 3 });
      if (purchaseId === undefined) throw new Error('purchases.request made no request.');
      await until('the clinic’s acceptance', 600_000, async () => {
        await research.vault.sync();
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        const mine = (await research.vault.dataSearch.purchases.mine()).find((p) => p.purchaseId === purchaseId);
        if (mine?.state === 'declined') throw new Error('The clinic declined the purchase.');
        return mine?.state === 'accepted' ? mine : undefined;
      });
      const t1 = performance.now();
      log(`  purchase: accepted after ${seconds(t1 - t0)} s; paying`);
      const paid = await research.vault.dataSearch.purchases.pay(purchaseId);
      if (paid.state !== 'deposited') throw new Error(`The deposit is ${paid.state}.`);
      const t2 = performance.now();
      log(`  purchase: paid in ${seconds(t2 - t1)} s; releasing`);
      const delivered = await clinic.vault.dataSearch.purchases.release(purchaseId);
      const t3 = performance.now();
      log(`  purchase: released in ${seconds(t3 - t2)} s (${delivered.released} patients, ${delivered.suppressed} suppressed, k ${delivered.k}, ℓ ${delivered.l}, ${(delivered.size / 2 ** 20).toFixed(1)} MiB sealed); waiting for the dataset-delivered notice`);
      await until('the dataset-delivered row on the research node', 600_000, async () => {
        await clinic.api.network.refresh({});
        await clinic.vault.sync();
        await research.vault.sync();
        const mine = (await research.vault.dataSearch.purchases.mine()).find((p) => p.purchaseId === purchaseId);
        return mine?.delivery ?? undefined;
      });
      const t4 = performance.now();
      log(`  purchase: delivery notice after ${seconds(t4 - t3)} s; asking the keepers`);
      const datasets = research.vault.dataSearch.datasets;
      // The research node's refresh also cosigns the checkpoint holding the delivery (it is a witness).
      await research.api.network.refresh({});
      await datasets.requestKeys(purchaseId);
      await until('the keepers’ shares', 600_000, async () => {
        await research.vault.sync();
        const listed = (await datasets.list()).find((d) => d.purchaseId === purchaseId);
        if (listed?.shares.every((share) => share.state === 'released') === true) return listed;
        await research.api.network.refresh({});
        return undefined;
      });
      const t5 = performance.now();
      log(`  purchase: shares released after ${seconds(t5 - t4)} s; opening`);
      const opened = await datasets.openDataset(purchaseId);
      const t6 = performance.now();
      if (opened.opened === null || opened.acknowledgedAt === null) throw new Error('openDataset resolved without opening and acknowledging.');
      if (opened.opened.counts['Patient'] !== delivered.released) throw new Error(`The opened dataset holds ${opened.opened.counts['Patient']} patients, the delivery ${delivered.released}.`);
      log(`  purchase: opened and acknowledged in ${seconds(t6 - t5)} s (${opened.opened.files} files); total ${seconds(t6 - t0)} s`);

      // ——— Baseline: the same release's local work on the clinic, no network ———
      const baselineSamples: number[] = [];
      for (let i = 0; i < BASELINE_RUNS; i++) {
        const started = performance.now();
        const check = await clinic.vault.dataSearch.purchases.checkRelease(purchaseId);
        baselineSamples.push((performance.now() - started) / 1000);
        if (!check.ok || check.released !== delivered.released) throw new Error(`checkRelease does not match the release: ${JSON.stringify(check)}`);
        log(`  baseline: checkRelease ${baselineSamples.at(-1)!.toFixed(1)} s`);
      }
      const baseline = { name: `the clinic's purchases.checkRelease of the same ${records} records alone (resolve, read, Safe Harbor + k/ℓ + verification; no network), median of ${BASELINE_RUNS}, after the purchase`, value: median(baselineSamples) };

      const parts = {
        request_to_accepted: (t1 - t0) / 1000,
        pay: (t2 - t1) / 1000,
        release: (t3 - t2) / 1000,
        delivered_notice: (t4 - t3) / 1000,
        keys: (t5 - t4) / 1000,
        open: (t6 - t5) / 1000,
      };
      const total = (t6 - t0) / 1000;
      const scale = imported.patients === 10_000 ? '10k' : `${imported.patients}`;
      const notes =
        `${records} purchasable records (KEY-list keys: one per demo patient, seven disjoint answers of one clinic) from ${imported.patients} demo patients (${imported.messages} messages; import ${seconds(importMs)} s and indexing ${seconds(indexMs)} s not timed). ` +
        `Released ${delivered.released} patients (${delivered.suppressed} suppressed), k ${delivered.k}, ℓ ${delivered.l}, ${(delivered.size / 2 ** 20).toFixed(1)} MiB sealed, ${opened.opened.files} files. ` +
        `Parts (s): request→accepted ${parts.request_to_accepted.toFixed(1)}, pay ${parts.pay.toFixed(1)}, release ${parts.release.toFixed(1)}, delivered notice ${parts.delivered_notice.toFixed(1)}, keys requested→released ${parts.keys.toFixed(1)}, open+ack ${parts.open.toFixed(1)}. ` +
        `Baseline samples (s): ${baselineSamples.map((v) => v.toFixed(1)).join(', ')}. One purchase; server, dev chain, keepers and both nodes in this one process; waits poll every ${POLL_MS} ms.`;
      const figure = (name: string, value: number): FigureInput => ({ figure: name, value, runs: 1, unit: 's', target: {}, baseline, samples: [value], baselineSamples, notes });
      return [
        figure(`purchase_to_dataset_${scale}_s`, total),
        ...Object.entries(parts).map(([part, value]) => figure(`purchase_to_dataset_${scale}_${part}_s`, value)),
      ];
    } finally {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          log(`  cleanup failed: ${(error as Error).message}`);
        }
      }
    }
  },
};

export default bench;
