import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { vaultLayout } from '../../../electron/storage/vault-layout';
import { KeyringSchema } from '../../../shared/ipc/vault-contract';
import { DEFAULT_DEMO_SEED, demoIdentities, familyToSearch } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { areaNav, goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, importDemoData, KEY_TIMEOUT_MS, lockVault, searchPatients, unlockVault } from '../../support/vault-ui';

/**
 * Roles are keys (issue 9 §2), in Chromium through the browser shell: the admin adds an auditor in
 * Settings › Operators; the auditor's passphrase opens a role slot (no master) and the app shows
 * them the Ledger and Settings only, with the name of the patient the admin opened resolved next to
 * its pseudonym, and nothing of the patient behind a Patients address.
 */

const AUDITOR = 'Audrey Auditor';
const RESEARCHER = 'Rhea Researcher';
const PATIENTS = 12;
/** The demo import runs with the generator's default seed, so the test knows whom to search for. */
const query = familyToSearch(demoIdentities(PATIENTS, DEFAULT_DEMO_SEED));
const AUDITOR_PASSPHRASE = 'copper lantern quietly ninety-one';
const RESEARCHER_PASSPHRASE = 'velvet compass slowly forty-two';

describe('roles are keys', () => {
  const e2e = useBrowserWithOwnShells();

  it('an auditor added in Settings sees the ledger with names and nothing clinical; a researcher sees no ledger export', async () => {
    const steps = new StepLog('role keys');
    const dataDir = await e2e.tempDir('hdms-roles-');
    const shell = await e2e.startShell({ dataDir });
    const { page, consoleErrors } = await e2e.openPage();

    await steps.run('create a vault and import 12 demo patients', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      if (!(await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(page, 'Patients');
      await importDemoData(page, PATIENTS);
    });

    const patientName = await steps.run('open a patient (an ACCESS entry)', async () => {
      const found = await searchPatients(page, query.typed);
      await page.getByRole('region', { name: 'Search results' }).getByRole('link').first().click();
      await page.getByRole('heading', { level: 2, name: found.names[0]!, exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      return found.names[0]!;
    });

    await steps.run('Settings › Operators: add an auditor', async () => {
      await goToArea(page, 'Settings');
      const form = page.getByRole('form', { name: 'Add operator' });
      await form.getByLabel('Name', { exact: true }).fill(AUDITOR);
      await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Auditor' });
      await form.getByLabel('Initial passphrase', { exact: true }).fill(AUDITOR_PASSPHRASE);
      await form.getByLabel('Confirm initial passphrase', { exact: true }).fill(AUDITOR_PASSPHRASE);
      await form.getByRole('button', { name: 'Add operator', exact: true }).click();
      await page.getByRole('status').filter({ hasText: `${AUDITOR} was added as auditor.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
      const keyring = KeyringSchema.parse(JSON.parse(await readFile(vaultLayout(dataDir).keysFile, 'utf8')));
      const auditor = keyring.operators.find((operator) => operator.name === AUDITOR)!;
      expect(keyring.slots.filter((slot) => slot.operatorId === auditor.operatorId)).toMatchObject([{ version: 3, grant: 'auditor', kind: 'passphrase' }]);
    });

    await steps.run('Settings › Operators: add a researcher', async () => {
      const form = page.getByRole('form', { name: 'Add operator' });
      await form.getByLabel('Name', { exact: true }).fill(RESEARCHER);
      await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Researcher' });
      await form.getByLabel('Initial passphrase', { exact: true }).fill(RESEARCHER_PASSPHRASE);
      await form.getByLabel('Confirm initial passphrase', { exact: true }).fill(RESEARCHER_PASSPHRASE);
      await form.getByRole('button', { name: 'Add operator', exact: true }).click();
      await page.getByRole('status').filter({ hasText: `${RESEARCHER} was added as researcher.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
    });

    await steps.run('the admin’s ledger names the patient already', async () => {
      await goToArea(page, 'Ledger');
      await expect.poll(() => page.getByRole('table').getByText(patientName, { exact: false }).count(), { timeout: KEY_TIMEOUT_MS }).toBeGreaterThan(0);
      // Each session entry says its event (QA issue 11: every one read "Sign-in and lock").
      await expect.poll(() => page.getByRole('table').locator('.ledger-kind__label').getByText('Signed in', { exact: true }).count(), { timeout: KEY_TIMEOUT_MS }).toBeGreaterThan(0);
      expect(await page.getByRole('table').getByText('Sign-in and lock', { exact: true }).count()).toBe(0);
    });

    await steps.run('lock, unlock as the auditor: Ledger and Settings only', async () => {
      await lockVault(page);
      await unlockVault(page, AUDITOR_PASSPHRASE, AUDITOR);
      await expect.poll(() => areaNav(page).getByRole('link').allInnerTexts(), { timeout: UI_TIMEOUT_MS }).toEqual(['Ledger', 'Settings']);
    });

    await steps.run('the ledger with the patient’s name resolved, signatures verified', async () => {
      await goToArea(page, 'Ledger');
      await expect.poll(() => page.getByRole('table').getByText(patientName, { exact: false }).count(), { timeout: KEY_TIMEOUT_MS }).toBeGreaterThan(0);
      // An auditor exports the signed ledger (mayExportLedger): the button stays for their role slot.
      await page.getByRole('button', { name: 'Export ledger' }).waitFor({ timeout: UI_TIMEOUT_MS });
    });

    await steps.run('a patient address shows nothing of the patient', async () => {
      await page.evaluate(() => {
        window.location.hash = '#/patients/anything';
      });
      await page.getByRole('note').filter({ hasText: 'Your role (auditor) does not open this area' }).waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.getByRole('main').getByText(patientName).count()).toBe(0);
    });

    // QA s32: the unlock screen preselected the first operator (the admin), so another's passphrase
    // became failed unlocks, and delays, on the admin's account.
    await steps.run('lock as the auditor: the auditor is preselected, the caret in the passphrase; a passphrase tried for them names them', async () => {
      await lockVault(page);
      const operator = page.getByRole('combobox', { name: 'Operator' });
      await expect.poll(() => operator.evaluate((select: HTMLSelectElement) => select.options[select.selectedIndex]?.textContent ?? ''), { timeout: UI_TIMEOUT_MS }).toBe(`${AUDITOR} (Auditor)`);
      const passphrase = page.getByLabel('Passphrase', { exact: true });
      await expect.poll(() => passphrase.evaluate((input) => input === document.activeElement), { timeout: UI_TIMEOUT_MS }).toBe(true);
      // The researcher types at the screen the auditor left, without looking at the operator.
      await page.keyboard.type(RESEARCHER_PASSPHRASE);
      await page.keyboard.press('Enter');
      await page.getByRole('alert').filter({ hasText: `That passphrase did not open the vault for ${AUDITOR}. Check the operator selected.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
    });

    await steps.run('unlock as the researcher: the ledger without "Export ledger"', async () => {
      await unlockVault(page, RESEARCHER_PASSPHRASE, RESEARCHER);
      await goToArea(page, 'Ledger');
      const panel = page.getByRole('region', { name: 'Verification' });
      // The export button renders with "Verify ledger" or not at all (mayExportLedger: not a researcher's).
      await panel.getByRole('button', { name: 'Verify ledger' }).waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.getByRole('button', { name: 'Export ledger' }).count()).toBe(0);
    });

    expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
  });
});
