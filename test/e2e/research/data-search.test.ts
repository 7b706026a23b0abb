import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { formatViolations, seriousAxeViolations } from '../../support/axe';
import { launchPersistent } from '../../support/chromium';
import { DEFAULT_DEMO_SEED, demoIdentities } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { dumpIndexedDb } from '../../support/indexeddb-dump';
import { describeHits, identityNeedles, NeedleSet, scanTree, type Hit } from '../../support/leak-scan';
import { joinThroughUi, startServer, stopServers } from '../../support/network-ui';
import { REPO_ROOT } from '../../support/repo-paths';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { makeTempDir, removeDir } from '../../support/shell-process';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, importDemoData, KEY_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * Issue 14's e2e: a server, two clinic shells with different demo populations (60 and 6 patients)
 * and one research shell, everything through the UI. Each clinic's administrator imports demo
 * data, sets the research policy (opt-out, answer automatically) and joins; the research
 * institute joins and sends a keyword query from the Marketplace. It sees both answers arrive —
 * the large clinic's count rounded up with a KEY list and an offer, the small clinic's "fewer
 * than 11" — selects the large clinic's rows into the basket, and no name, MRN or birth date of
 * either clinic's patients is anywhere in the research node's data folder, its Chromium profile
 * or its IndexedDB.
 */

afterEach(stopServers);

const LARGE = 60;
const SMALL = 6;
/** HbA1c, a LOINC code most demo patients have a result of. */
const TERM = '4548-4';

async function setAutomaticPolicy(page: Page): Promise<void> {
  await goToArea(page, 'Settings');
  const form = page.getByRole('form', { name: 'Research policy' });
  await form.getByRole('radio', { name: /^Opt-out with notice/ }).check();
  await form.getByRole('checkbox', { name: 'Research, with sale of anonymized data' }).check();
  await form.getByRole('radio', { name: 'Answer automatically within this policy' }).check();
  await form.getByLabel('Price per record (PHD)').fill('2.5');
  await form.getByRole('button', { name: 'Save the policy' }).click();
  await expect.poll(() => form.getByRole('button', { name: 'Save the policy' }).isDisabled(), { timeout: UI_TIMEOUT_MS }).toBe(true);
}

async function clinicWithDemoData(page: Page, patients: number, legalName: string, url: string): Promise<void> {
  await createVaultThroughUi(page, { name: `${legalName} Admin` });
  if (!(await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(page, 'Patients');
  const imported = await importDemoData(page, patients);
  expect(imported.patients).toBe(patients);
  await setAutomaticPolicy(page);
  await joinThroughUi(page, url, legalName, 'Clinic', 'member');
}

describe('data search across the network', () => {
  const e2e = useBrowserWithOwnShells();

  it('a research institute queries two clinics from the Marketplace, sees both answers, fills its basket, and keeps no patient identifier', { timeout: 420_000 }, async () => {
    const steps = new StepLog('data search');
    const url = await steps.run('npm run server, auto-approving joins', async () => startServer(await e2e.tempDir('hdms-e2e-server-'), { autoApprove: true }));
    const largeShell = await e2e.startShell();
    const smallShell = await e2e.startShell();
    const researchShell = await e2e.startShell();
    const profileDir = await makeTempDir('hdms-profile-');
    let context: BrowserContext | undefined;
    try {
      // axe is injected as a script: these contexts let it past the page's CSP (seriousAxeViolations).
      const { page: large } = await e2e.openPage({ bypassCSP: true });
      const { page: small } = await e2e.openPage();
      const nows: Date[] = [new Date()];
      await steps.run(`two clinics: demo data (${LARGE} and ${SMALL} patients), an automatic research policy, joined`, async () => {
        await openFirstRun(large, largeShell);
        await clinicWithDemoData(large, LARGE, 'Lakeside Test Clinic', url);
        await openFirstRun(small, smallShell);
        await clinicWithDemoData(small, SMALL, 'Hillside Test Clinic', url);
      });
      nows.push(new Date());

      // The research node's browser profile is one this test owns, to scan it afterwards.
      context = await launchPersistent(profileDir, { viewport: { width: 1280, height: 900 }, bypassCSP: true });
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      const research = context.pages()[0] ?? (await context.newPage());
      await steps.run('the research institute: a vault, joined as a research institute', async () => {
        await openFirstRun(research, researchShell);
        await createVaultThroughUi(research, { name: 'Research Admin' });
        await joinThroughUi(research, url, 'Northfield Test Institute', 'Research institute', 'member');
      });

      await steps.run('Marketplace › New query: the HbA1c code, sent to every clinic', async () => {
        await goToArea(research, 'Marketplace');
        const form = research.getByRole('form', { name: 'New query' });
        await form.getByLabel('Terms', { exact: true }).fill(TERM);
        await form.getByRole('button', { name: 'Send the query' }).click();
        await form.getByRole('status').filter({ hasText: 'The query was sent' }).waitFor({ timeout: KEY_TIMEOUT_MS });
      });

      const mine = research.getByRole('region', { name: 'Your queries' });
      const lakeside = mine.getByRole('article', { name: 'Lakeside Test Clinic' });
      await steps.run('both answers arrive: a rounded count with a KEY list and an offer, and "fewer than 11"', async () => {
        await expect.poll(() => mine.getByRole('status').filter({ hasText: '2 of 2 clinics have answered' }).count(), { timeout: 120_000, interval: 500 }).toBe(1);
        expect(await lakeside.innerText()).toMatch(/About \d+0 \(rounded up\)/);
        expect(await lakeside.innerText()).toContain('2.5 PHD per record');
        expect(await mine.getByRole('article', { name: 'Hillside Test Clinic' }).innerText()).toContain('Fewer than 11');
        await lakeside.getByRole('list', { name: 'Age band' }).waitFor();
      });

      await steps.run('axe finds no serious violation in either Marketplace: the researcher’s results, a clinic’s incoming queries', async () => {
        const researchViolations = await seriousAxeViolations(research);
        await goToArea(large, 'Marketplace');
        const incoming = large.getByRole('table', { name: 'Incoming queries' });
        await incoming.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await incoming.innerText()).toMatch(/Northfield Test Institute[\s\S]*4548-4[\s\S]*Answered/);
        const clinicViolations = await seriousAxeViolations(large);
        expect([...researchViolations, ...clinicViolations], [formatViolations('research Marketplace', researchViolations), formatViolations('clinic Marketplace', clinicViolations)].join('\n')).toEqual([]);
      });

      await steps.run('select the large clinic’s rows into the basket', async () => {
        await lakeside.getByRole('button', { name: /^Select all \d+$/ }).click();
        await lakeside.getByRole('button', { name: /^Add \d+ to the basket$/ }).click();
        const basket = research.getByRole('region', { name: 'Basket' });
        await basket.getByRole('rowheader', { name: 'Lakeside Test Clinic' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await basket.innerText()).toMatch(/PHD/);
      });

      const identities = [...demoIdentities(LARGE, DEFAULT_DEMO_SEED, nows), ...demoIdentities(SMALL, DEFAULT_DEMO_SEED, nows)];
      const identityHits = (hits: readonly Hit[]) => hits.filter((hit) => hit.needle.category !== 'control');
      // The profile's code cache holds the app's own strings: a needle the renderer bundle contains is code, not data.
      const all = identityNeedles(identities);
      const bundle = await scanTree(path.join(REPO_ROOT, 'out', 'renderer'), new NeedleSet(all), { limit: 10_000 });
      const inBundle = new Set(identityHits(bundle.hits).map((hit) => hit.needle.text));
      const needles = new NeedleSet(all.filter((needle) => !inBundle.has(needle.text)));

      await steps.run('the research node’s IndexedDB holds no patient identifier', async () => {
        const dump = await dumpIndexedDb(research);
        const hits: Hit[] = [];
        needles.scan(dump.bytes, 'IndexedDB dump', hits, 200);
        expect(dump.bytes.length).toBeGreaterThan(0);
        expect(identityHits(hits), describeHits(identityHits(hits))).toEqual([]);
      });

      await steps.run('nor its data folder, nor its Chromium profile', async () => {
        await context!.close();
        context = undefined;
        await researchShell.stop();
        const withControl = new NeedleSet([...needles.needles, { category: 'control', text: 'Research Admin' }]);
        const folder = await scanTree(researchShell.dataDir, withControl, { limit: 200 });
        expect(folder.hits.some((hit) => hit.needle.category === 'control'), 'the scan reads the vault files: it finds the operator name in the keyring').toBe(true);
        expect(identityHits(folder.hits), describeHits(identityHits(folder.hits))).toEqual([]);
        const profile = await scanTree(profileDir, needles, { limit: 200 });
        expect(profile.files).toBeGreaterThan(0);
        expect(identityHits(profile.hits), describeHits(identityHits(profile.hits))).toEqual([]);
      });
      console.log(steps.summary());
    } finally {
      await context?.close().catch(() => undefined);
      await removeDir(profileDir);
    }
  });
});
