import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CITIES, FAMILY_NAMES, GIVEN_NAMES_F, GIVEN_NAMES_M, STREETS } from '../../../electron/intake/demo/demo-catalog';
import { formatViolations, seriousAxeViolations } from '../../support/axe';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { startKeeperServices } from '../../support/keeper-services';
import { joinThroughUi, startServer, stopServers } from '../../support/network-ui';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { inspectNetworkMapForPinning } from '../../../shared/network/network-map';
import { createVaultThroughUi, importDemoData, KEY_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * Issue 15 item 1's e2e: a server, a clinic shell and a research shell, everything through the UI.
 * The clinic answers the research institute's query automatically, then its administrator switches
 * to reviewing; the researcher puts the clinic's rows into the basket and requests the purchase; the
 * clinic's administrator accepts it under Marketplace › Purchase requests, and once the notary has
 * the acceptance both sides show it notarized. A second request for the same offer is declined
 * "offer already sold". The network settles on its dev chain with three headless key keepers: the
 * researcher gets demo PHD from the faucet and pays the accepted purchase into escrow from the UI;
 * the clinic's administrator checks the release (Safe Harbor, k and ℓ) and releases and delivers it.
 * The researcher (also a witness of the log) asks the keepers for the key, opens the dataset (key
 * checked against the notarized commitment, package against its notarized hash), which acknowledges
 * the delivery; the dataset page shows its provenance and previews; it is saved to a folder, where
 * no name, city or street of the clinic's demo population appears in any file, and the achieved k
 * holds in the delivered Patient table.
 */

afterEach(stopServers);

const PATIENTS = 40;
const TERM = '4548-4';

async function setPolicy(page: Page, answering: 'automatic' | 'review'): Promise<void> {
  await goToArea(page, 'Settings');
  const form = page.getByRole('form', { name: 'Research policy' });
  await form.getByRole('radio', { name: /^Opt-out with notice/ }).check();
  await form.getByRole('checkbox', { name: 'Research, with sale of anonymized data' }).check();
  await form.getByRole('radio', { name: answering === 'automatic' ? 'Answer automatically within this policy' : 'An administrator reviews each query' }).check();
  await form.getByLabel('Price per record (PHD)').fill('2.5');
  await form.getByRole('button', { name: 'Save the policy' }).click();
  await expect.poll(() => form.getByRole('button', { name: 'Save the policy' }).isDisabled(), { timeout: UI_TIMEOUT_MS }).toBe(true);
}

describe('purchase request across the network', () => {
  const e2e = useBrowserWithOwnShells();

  it('a researcher requests the purchase of its basket, the clinic’s administrator accepts it, both see it notarized; a second request is "offer already sold"', { timeout: 420_000 }, async () => {
    const steps = new StepLog('purchase request');
    const url = await steps.run('npm run server, auto-approving joins, with its dev chain', async () => startServer(await e2e.tempDir('hdms-e2e-server-'), { autoApprove: true, devChain: true }));
    const stops: Array<() => Promise<void> | void> = [];
    try {
      await steps.run('three key keepers at three institutions join and run (headless key keeper services)', async () => {
        const { pinned } = inspectNetworkMapForPinning(await (await fetch(`${url}/v1/network-map`)).json());
        await startKeeperServices({ url, pinned }, { names: ['Alpine Key Trust', 'Harbour Key Trust', 'Meadow Key Trust'], pollMs: 500, dataDir: () => e2e.tempDir('hdms-e2e-keeper-'), onStop: (stop) => void stops.push(stop) });
      });
      const clinicShell = await e2e.startShell();
      const researchShell = await e2e.startShell();
      const { page: clinic } = await e2e.openPage({ bypassCSP: true });
      const { page: research } = await e2e.openPage({ bypassCSP: true });

      await steps.run(`a clinic: demo data (${PATIENTS} patients), an automatic research policy, joined`, async () => {
        await openFirstRun(clinic, clinicShell);
        await createVaultThroughUi(clinic, { name: 'Lakeside Admin' });
        if (!(await clinic.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(clinic, 'Patients');
        expect((await importDemoData(clinic, PATIENTS)).patients).toBe(PATIENTS);
        await setPolicy(clinic, 'automatic');
        await joinThroughUi(clinic, url, 'Lakeside Test Clinic', 'Clinic', 'member');
      });
      await steps.run('the research institute: a vault, joined as a research institute', async () => {
        await openFirstRun(research, researchShell);
        await createVaultThroughUi(research, { name: 'Research Admin' });
        await joinThroughUi(research, url, 'Northfield Test Institute', 'Research institute', 'member', { witness: true });
      });

      const lakeside = research.getByRole('region', { name: 'Your queries' }).getByRole('article', { name: 'Lakeside Test Clinic' });
      await steps.run('a query, answered with an offer; then the clinic reviews purchases itself', async () => {
        await goToArea(research, 'Marketplace');
        const form = research.getByRole('form', { name: 'New query' });
        await form.getByLabel('Terms', { exact: true }).fill(TERM);
        await form.getByRole('button', { name: 'Send the query' }).click();
        await form.getByRole('status').filter({ hasText: 'The query was sent' }).waitFor({ timeout: KEY_TIMEOUT_MS });
        await expect.poll(() => lakeside.innerText().catch(() => ''), { timeout: 120_000, interval: 500 }).toContain('2.5 PHD per record');
        await setPolicy(clinic, 'review');
      });

      const purchases = research.getByRole('region', { name: 'Purchases' });
      await steps.run('the basket, and Purchases › Request purchase', async () => {
        await lakeside.getByRole('button', { name: /^Select all \d+$/ }).click();
        await lakeside.getByRole('button', { name: /^Add \d+ to the basket$/ }).click();
        await research.getByRole('region', { name: 'Basket' }).getByRole('rowheader', { name: 'Lakeside Test Clinic' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const form = research.getByRole('form', { name: 'Request purchase of the basket' });
        await form.getByLabel('Purpose of the study').fill('HbA1c trajectories in type 2 diabetes');
        await form.getByRole('button', { name: 'Request purchase' }).click();
        await form.getByRole('status').filter({ hasText: 'One request was sent.' }).waitFor({ timeout: KEY_TIMEOUT_MS });
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText().catch(() => ''), { timeout: UI_TIMEOUT_MS }).toMatch(/Lakeside Test Clinic[\s\S]*Sent, waiting for the clinic/);
      });

      const requests = clinic.getByRole('table', { name: 'Purchase requests' });
      await steps.run('the clinic’s administrator accepts under Marketplace › Purchase requests; it is notarized', async () => {
        await goToArea(clinic, 'Marketplace');
        await expect.poll(() => requests.innerText().catch(() => ''), { timeout: 60_000, interval: 500 }).toMatch(/Northfield Test Institute[\s\S]*HbA1c trajectories[\s\S]*PHD[\s\S]*Waiting/);
        await requests.getByRole('button', { name: 'Accept' }).click();
        await expect.poll(() => requests.innerText(), { timeout: 90_000, interval: 1000 }).toMatch(/Accepted and notarized \(notary leaf \d+\)/);
      });

      await steps.run('the researcher sees it accepted, with the notary leaf', async () => {
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText(), { timeout: 60_000, interval: 1000 }).toMatch(/Accepted \(notarized\) \(notary leaf \d+\)/);
      });

      await steps.run('demo PHD from the faucet, then Pay into escrow: the deposit is confirmed on the chain', async () => {
        await purchases.getByText('This node’s account holds 0 PHD on the network’s chain.').waitFor({ timeout: UI_TIMEOUT_MS });
        await purchases.getByRole('button', { name: 'Get demo PHD' }).click();
        await purchases.getByText('This node’s account holds 10000 PHD on the network’s chain.').waitFor({ timeout: 60_000 });
        const pay = purchases.getByRole('button', { name: /^Pay [\d.]+ PHD into escrow$/ });
        const price = /^Pay ([\d.]+) PHD/.exec((await pay.textContent()) ?? '')![1]!;
        await pay.click();
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText(), { timeout: 90_000, interval: 1000 }).toContain(`Paid into escrow: ${price} PHD (confirmed)`);
        await purchases.getByText(`This node’s account holds ${10_000 - Number(price)} PHD on the network’s chain.`).waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('the clinic’s administrator checks the release, then releases and delivers it', async () => {
        const row = requests.getByRole('row').filter({ hasText: 'Accepted and notarized' });
        await row.getByRole('button', { name: 'Check the release' }).click();
        await expect.poll(() => row.innerText(), { timeout: 60_000, interval: 500 }).toMatch(/Releasable: \d+ of \d+ records \(\d+ suppressed\), k = \d+ \(at least 5\), ℓ = \d+ \(at least 2\)/);
        await row.getByRole('button', { name: 'Release and deliver' }).click();
        await expect.poll(() => row.innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Delivered: \d+ records \(\d+ suppressed\), k = \d+, ℓ = \d+; \d+ KiB sealed, its key with 3 keepers \(2 needed\)/);
      });

      await steps.run('once the delivery is notarized, the researcher sees it under Purchases', async () => {
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Delivered: \d+ records, k = \d+, ℓ = \d+; \d+ KiB sealed, its key with 3 keepers \(2 needed\) \(notary leaf \d+\)/);
      });

      const datasets = research.getByRole('region', { name: 'Datasets' });
      await steps.run('Datasets: the researcher asks the keepers for the key until enough released their shares', async () => {
        // A keeper refuses while the checkpoint holding the delivery is not yet witnessed (the research
        // node cosigns at its next refresh, every 30 s): ask again, as a user would, until t released.
        await expect
          .poll(
            async () => {
              const ask = datasets.getByRole('button', { name: /^Ask the keepers( again| for the key)$/ });
              if (await ask.isVisible().catch(() => false)) await ask.click();
              return datasets.innerText().catch(() => '');
            },
            { timeout: 180_000, interval: 3000 },
          )
          .toMatch(/Key: [23] shares released \(2 needed\)/)
          .catch(async (error: unknown) => {
            throw new Error(`${(error as Error).message}\nThe Datasets panel:\n${await datasets.innerText().catch(() => '(unreadable)')}`);
          });
        expect(await datasets.getByRole('list', { name: 'Key keepers' }).innerText()).toMatch(/(Alpine|Harbour|Meadow) Key Trust: released its share \(notary leaf \d+\)/);
      });

      await steps.run('Open the dataset: checked against the notarized delivery, and the delivery acknowledged', async () => {
        await datasets.getByRole('button', { name: 'Open the dataset' }).click();
        await expect.poll(() => datasets.innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Opened and checked: \d+ files[\s\S]*Delivery acknowledged: the escrow pays the clinic and the keepers\./);
        // The open ends with the escrow's acknowledge(): no error under the row.
        await expect.poll(() => datasets.getByText('Opening, checking and acknowledging the delivery…').count(), { timeout: 120_000, interval: 500 }).toBe(0);
        expect(await datasets.getByRole('alert').allInnerTexts()).toEqual([]);
        // The Purchases panel reads the escrow when it is shown: back to the Marketplace, the deposit is paid out.
        await goToArea(research, 'Settings');
        await goToArea(research, 'Marketplace');
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText().catch(() => ''), { timeout: 60_000, interval: 1000 }).toContain('Paid out to the clinic and keepers');
      });

      const savedFolder = path.join(await e2e.tempDir('hdms-e2e-dataset-'), 'dataset');
      await steps.run('the dataset page: provenance with the notary leaves, previews; saved to a folder', async () => {
        await datasets.getByRole('button', { name: 'Show the dataset' }).click();
        await datasets.getByRole('list', { name: 'Provenance' }).waitFor({ timeout: 60_000 });
        const provenance = await datasets.getByRole('list', { name: 'Provenance' }).innerText();
        expect(provenance).toMatch(/Purchase request by this node[\s\S]*Acceptance by Lakeside Test Clinic[\s\S]*notary leaf \d+[\s\S]*Deposit[\s\S]*Delivery by Lakeside Test Clinic[\s\S]*notary leaf \d+[\s\S]*Key release by [\s\S]*notary leaf \d+[\s\S]*Acknowledgement by this node/);
        await datasets.getByText('csv/Patient.csv').click();
        const preview = datasets.getByRole('table', { name: 'Preview of csv/Patient.csv' });
        expect(await preview.innerText()).toMatch(/pseudonym[\s\S]*gender[\s\S]*zip3/);
        const form = datasets.getByRole('form', { name: 'Save dataset to a folder' });
        await form.getByLabel('Folder', { exact: true }).fill(savedFolder);
        await form.getByRole('button', { name: 'Save dataset to a folder' }).click();
        await form.getByRole('status').filter({ hasText: /^Saved \d+ files/ }).waitFor({ timeout: 60_000 });
        const files = (await readdir(savedFolder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
        const names = files.map((entry) => path.relative(savedFolder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
        expect(names).toEqual(expect.arrayContaining(['manifest.json', 'release-report.json', 'fhir/Patient.ndjson', 'csv/Patient.csv']));
        // The achieved k, recomputed from the delivered files: every (gender, age, ZIP3) class of
        // csv/Patient.csv holds at least the report's k (the report's classes also split by event
        // years, so these, with fewer quasi-identifiers, can only be larger).
        const report = JSON.parse(await readFile(path.join(savedFolder, 'release-report.json'), 'utf8')) as { achieved: { k: number } };
        const [, ...rows] = (await readFile(path.join(savedFolder, 'csv/Patient.csv'), 'utf8')).split(/\r?\n/).filter((line) => line !== '');
        const classes = new Map<string, number>();
        for (const row of rows) {
          const [, , gender, age, zip3] = row.split(',');
          const key = `${gender}|${age}|${zip3}`;
          classes.set(key, (classes.get(key) ?? 0) + 1);
        }
        expect(rows.length).toBeGreaterThan(0);
        expect(Math.min(...classes.values())).toBeGreaterThanOrEqual(Math.max(5, report.achieved.k));
        // No name, city or street of the clinic's demo population is in any delivered file.
        const identifiers = [...FAMILY_NAMES, ...GIVEN_NAMES_F, ...GIVEN_NAMES_M, ...CITIES.map(([city]) => city), ...STREETS].filter((word) => word.length >= 4);
        for (const entry of files) {
          const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
          const found = identifiers.filter((name) => text.includes(name));
          expect(found, entry.name).toEqual([]);
        }
      });

      await steps.run('axe finds no serious violation in either Marketplace', async () => {
        const researchViolations = await seriousAxeViolations(research);
        const clinicViolations = await seriousAxeViolations(clinic);
        expect([...researchViolations, ...clinicViolations], [formatViolations('research Marketplace', researchViolations), formatViolations('clinic Marketplace', clinicViolations)].join('\n')).toEqual([]);
      });

      await steps.run('a second request for the same offer: "offer already sold"', async () => {
        const form = research.getByRole('form', { name: 'Request purchase of the basket' });
        await form.getByLabel('Purpose of the study').fill('The same data again');
        await form.getByRole('button', { name: 'Request purchase' }).click();
        await expect.poll(() => requests.getByRole('button', { name: 'Accept' }).count(), { timeout: 60_000, interval: 500 }).toBe(1);
        await requests.getByRole('button', { name: 'Accept' }).click();
        await expect.poll(() => requests.innerText(), { timeout: UI_TIMEOUT_MS }).toContain('Declined: offer already sold');
        await expect.poll(() => purchases.getByRole('table', { name: 'Purchases' }).innerText(), { timeout: 60_000, interval: 1000 }).toContain('Declined: offer already sold');
      });
      console.log(steps.summary());
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  });
});
