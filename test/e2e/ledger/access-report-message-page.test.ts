import { describe, expect, it } from 'vitest';
import { openAccessReport, showReport } from '../../support/access-report-ui';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { createVaultOn, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { KEY_TIMEOUT_MS, lockVault, TEST_OPERATOR, unlockVault } from '../../support/vault-ui';

/**
 * Testers T2 S35 F1 and T1 S35 F14, as they did them in Chromium. A message's page in the message
 * browser names its patient and the records it filed: the access report lists it as an access of
 * that patient. Locking on that page, another operator who unlocks lands on their start page, and
 * nothing is opened or journaled in their name; the operator who locked is not taken back to it
 * after someone else's session either.
 */

const ADT = [
  'MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20261206090000+0100||ADT^A01^ADT_A01|S35-F1-1|P|2.5.1',
  'EVN|A01|20261206090000+0100',
  'PID|1||MRN3511001^^^CLINIC^MR||Kill^Kora||19790512|F',
  'PV1|1|O|Clinic 2^4^1',
].join('\r');
const CLINICIAN = 'Carl Clinician';
const CLINICIAN_PASSPHRASE = 'amber walrus gently sixty-three';

describe('a message page is an access; a lock hands nothing to the next operator', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'the access report lists the message page; another operator unlocks onto their start page with nothing opened',
    async () => {
      const steps = new StepLog('message page access, lock');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1280, height: 900 } });

      await steps.run('create a vault, add a clinician; a patient arrives over MLLP', async () => {
        await createVaultOn(page, shell);
        await goToArea(page, 'Settings');
        const form = page.getByRole('form', { name: 'Add operator' });
        await form.getByLabel('Name', { exact: true }).fill(CLINICIAN);
        await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Clinician' });
        await form.getByLabel('Initial passphrase', { exact: true }).fill(CLINICIAN_PASSPHRASE);
        await form.getByLabel('Confirm initial passphrase', { exact: true }).fill(CLINICIAN_PASSPHRASE);
        await form.getByRole('button', { name: 'Add operator', exact: true }).click();
        await page.getByRole('status').filter({ hasText: `${CLINICIAN} was added as clinician.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
        expect((await sendOverMllp(port, Buffer.from(`${ADT}\r`, 'utf8'))).code).toBe('AA');
      });

      await steps.run('the admin opens her message in the message browser (never her chart)', async () => {
        await goToArea(page, 'Intake');
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        await page.getByRole('link', { name: 'S35-F1-1', exact: true }).click({ timeout: UI_TIMEOUT_MS });
        const produced = page.getByRole('region', { name: 'What it produced' });
        await produced.getByText('Kill, Kora', { exact: false }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await produced.innerText()).toContain('recorded in the audit trail as an access of the patient');
      });

      await steps.run('Lock; the clinician unlocks: Patients (a clinician’s start page), nothing of the message or patient', async () => {
        await lockVault(page);
        expect(new URL(page.url()).hash).toBe('#/');
        await unlockVault(page, CLINICIAN_PASSPHRASE, CLINICIAN);
        await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(new URL(page.url()).hash).toBe('#/patients');
        expect(await page.getByRole('main').getByText('Kill, Kora').count()).toBe(0);
      });

      await steps.run('the clinician locks; the admin unlocks: Intake too (her page went with the clinician’s unlock)', async () => {
        await lockVault(page);
        await unlockVault(page, undefined, TEST_OPERATOR);
        await page.getByRole('heading', { level: 1, name: 'Intake', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(new URL(page.url()).hash).toBe('#/intake');
      });

      await steps.run('the access report by her name: the message page by the admin, nothing by the clinician', async () => {
        await openAccessReport(page);
        await page.getByRole('form', { name: 'Which accesses' }).getByLabel('Patient').fill('kora');
        await expect
          .poll(async () => (await showReport(page)).map((cells) => cells.slice(1, 4)), { timeout: UI_TIMEOUT_MS, interval: 500 })
          .toEqual([[TEST_OPERATOR, expect.stringMatching(/^Opened a message in the message browser \(journal record \d+\)$/), 'Kill, Kora']]);
      });

      await steps.run('her chart: Who accessed this record lists the message page, and this new session’s view of her page', async () => {
        await goToArea(page, 'Patients');
        await page.getByRole('searchbox', { name: 'Search records' }).fill('kora');
        await page.getByRole('searchbox', { name: 'Search records' }).press('Enter');
        await page.getByRole('link', { name: /Kill, Kora/ }).click({ timeout: UI_TIMEOUT_MS });
        const accesses = page.getByRole('region', { name: 'Who accessed this record' });
        // The lock ended the admin's session window, so her page now is an access of its own.
        await expect
          .poll(() => accesses.locator('tbody tr td:nth-child(3)').allInnerTexts(), { timeout: UI_TIMEOUT_MS, interval: 500 })
          .toEqual(['Opened the patient', expect.stringMatching(/^Opened a message in the message browser \(journal record \d+\)$/)]);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    300_000,
  );
});
