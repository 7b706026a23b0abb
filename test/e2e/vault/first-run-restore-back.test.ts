import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';

/**
 * QA s32 #5 and #9, in Chromium: on the first-run screen, "Restore from a backup" then a click into
 * Passphrase then one click on "Back" goes back (leaving the empty field for Back added a problem
 * line that moved Back between press and release, and the click was lost); each switch moves the
 * focus to the new form's heading, not to the page.
 */
describe('first run: Restore from a backup and Back', () => {
  const e2e = useBrowserWithOwnShells();

  it('Back works at the first click from the Passphrase field, and the focus follows each switch', async () => {
    const steps = new StepLog('first run restore/back');
    const shell = await e2e.startShell();
    const { page, consoleErrors } = await e2e.openPage();
    await openFirstRun(page, shell);
    const focusedText = (): Promise<string> => page.evaluate(() => `${document.activeElement?.tagName ?? ''} ${document.activeElement?.textContent ?? ''}`);

    await steps.run('"Restore from a backup" moves the focus to its heading', async () => {
      await page.getByRole('button', { name: 'Restore from a backup' }).click();
      await page.getByRole('region', { name: 'Restore from a backup' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await expect.poll(focusedText).toBe('H2 Restore from a backup');
    });

    await steps.run('one click on Back from the empty Passphrase field goes back', async () => {
      await page.getByLabel('Passphrase', { exact: true }).click();
      await page.getByRole('button', { name: 'Back', exact: true }).click();
      await page.getByRole('region', { name: 'Create the vault' }).waitFor({ timeout: 2_000 });
      await expect.poll(focusedText).toBe('H2 Create the vault');
    });

    expect(consoleErrors).toEqual([]);
    console.log(steps.summary());
  });
});
