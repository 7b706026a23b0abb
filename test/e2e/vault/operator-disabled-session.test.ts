import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, KEY_TIMEOUT_MS, unlockHeading, unlockVault } from '../../support/vault-ui';

/**
 * An administrator disables a clinician who is signed in in another window: the body ended her
 * session without telling anyone, so her window kept showing an unlocked vault until its next call
 * failed with "The vault is locked". Her window now shows the unlock screen at once; the
 * administrator's stays unlocked.
 */

const CLINICIAN = 'Cleo Clinician';
const CLINICIAN_PASSPHRASE = 'amber harbour softly seventy-three';

describe('an operator disabled while signed in', () => {
  const e2e = useBrowserWithOwnShells();

  it('the clinician\'s window shows the unlock screen as soon as the admin disables her; the admin stays signed in', async () => {
    const steps = new StepLog('operator disabled');
    const shell = await e2e.startShell({ dataDir: await e2e.tempDir('hdms-disable-') });
    const admin = await e2e.openPage();
    const clinician = await e2e.openPage();

    await steps.run('create a vault; Settings › Operators: add a clinician', async () => {
      await openFirstRun(admin.page, shell);
      await createVaultThroughUi(admin.page);
      await goToArea(admin.page, 'Settings');
      const form = admin.page.getByRole('form', { name: 'Add operator' });
      await form.getByLabel('Name', { exact: true }).fill(CLINICIAN);
      await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Clinician' });
      await form.getByLabel('Initial passphrase', { exact: true }).fill(CLINICIAN_PASSPHRASE);
      await form.getByLabel('Confirm initial passphrase', { exact: true }).fill(CLINICIAN_PASSPHRASE);
      await form.getByRole('button', { name: 'Add operator', exact: true }).click();
      await admin.page.getByRole('status').filter({ hasText: `${CLINICIAN} was added as clinician.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
    });

    await steps.run('the clinician signs in in a second browser context', async () => {
      await clinician.page.goto(await shell.newLink());
      await unlockHeading(clinician.page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await unlockVault(clinician.page, CLINICIAN_PASSPHRASE, CLINICIAN);
    });

    await steps.run('the admin disables her: her window shows the unlock screen, the admin\'s does not', async () => {
      await admin.page.getByRole('button', { name: `Disable ${CLINICIAN}`, exact: true }).click();
      await admin.page.getByRole('status').filter({ hasText: `${CLINICIAN} can no longer unlock the vault.` }).waitFor({ timeout: KEY_TIMEOUT_MS });
      await unlockHeading(clinician.page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await unlockHeading(admin.page).count()).toBe(0);
    });

    expect([...admin.consoleErrors, ...clinician.consoleErrors].filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
  });
});
