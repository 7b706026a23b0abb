import { readdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, exportBackup, finishRestore, IMPORT_TIMEOUT_MS, KEY_TIMEOUT_MS, TEST_OPERATOR } from '../../support/vault-ui';

/**
 * Tester T2 F10 and F9 end to end in Chromium (H8): an Export backup by hand into a destination that
 * is gone fails, and the Ledger lists "Backup failed" under the administrator who clicked; then, on
 * a new installation, the restore form lists the backups of a folder the user types (by content:
 * the text file beside the backup is not offered), with the backup's date, and the one picked restores.
 */
describe('a failed backup in the Ledger, and a folder’s backups listed on a new installation', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'names the administrator of a failed Export backup in the Ledger; lists a typed folder’s backups and restores the one picked',
    async () => {
      const steps = new StepLog('backup failure and folder listing');
      const destination = await e2e.tempDir('hdms-backup-stick-');
      const shell = await e2e.startShell();
      const { page, consoleErrors } = await e2e.openPage();

      const recoveryKey = await steps.run('first run → create vault', async () => {
        await openFirstRun(page, shell);
        return createVaultThroughUi(page);
      });

      const backupPath = await steps.run('Settings → destination folder → Export backup; a text file beside it', async () => {
        await goToArea(page, 'Settings');
        const form = page.getByRole('group', { name: 'Backup' }).getByRole('form', { name: 'Backup settings' });
        await form.getByLabel('Destination folder', { exact: true }).fill(destination);
        await form.getByRole('button', { name: 'Save backup settings' }).click();
        await form.getByText('Backup settings saved.').waitFor({ timeout: UI_TIMEOUT_MS });
        const written = await exportBackup(page);
        expect(path.dirname(written)).toBe(destination);
        await writeFile(path.join(destination, 'notes.txt'), 'Not a backup: the stick also holds other files.\n');
        return written;
      });

      // The stick is unplugged: the destination folder is not there any more (it lives on under another name).
      const stick = `${destination}-unplugged`;
      await steps.run('the destination folder goes away; Export backup fails and Settings says why', async () => {
        await rename(destination, stick);
        await page.getByRole('button', { name: 'Export backup', exact: true }).click();
        // Once, by the button (H6 F3): the status's own failure line waits until the button's is gone.
        const backup = page.getByRole('group', { name: 'Backup' });
        await backup.getByRole('alert').filter({ hasText: /^The backup destination folder is not available/ }).waitFor({ timeout: IMPORT_TIMEOUT_MS });
        await expect.poll(() => backup.getByRole('alert').allInnerTexts(), { timeout: IMPORT_TIMEOUT_MS, interval: 250 }).toEqual([expect.stringMatching(/^The backup destination folder is not available/)]);
      });

      await steps.run('the Ledger lists "Backup failed" under the administrator who clicked', async () => {
        await goToArea(page, 'Ledger');
        const failedRows = page.locator('.ledger-table tbody tr').filter({ has: page.locator('.ledger-kind__label', { hasText: /^Backup failed$/ }) });
        // The ledger signs the journal's records soon after they are written; the list, open before
        // that, follows by itself (no Refresh).
        await expect.poll(() => failedRows.allInnerTexts(), { timeout: KEY_TIMEOUT_MS, interval: 500 }).toEqual([expect.stringContaining(TEST_OPERATOR)]);
      });

      await steps.run('with the Ledger open, an entry signed now (this Export ledger\'s own) comes on top without Refresh', async () => {
        const seqOf = async (): Promise<number> => Number(await page.locator('.ledger-table tbody tr').first().locator('.ledger-table__seq').innerText());
        const before = await seqOf();
        await page.getByRole('button', { name: 'Export ledger', exact: true }).click();
        await page.getByRole('status').filter({ hasText: /^Exported \d+ entr(?:y|ies) to / }).waitFor({ state: 'visible', timeout: KEY_TIMEOUT_MS });
        await expect.poll(seqOf, { timeout: KEY_TIMEOUT_MS, interval: 500 }).toBeGreaterThan(before);
        expect(await page.locator('.ledger-table tbody tr').first().locator('.ledger-kind__raw').innerText()).toBe('EXPORT');
      });

      const fresh = await steps.run('this computer is lost; a new installation: Restore from a backup → the unplugged stick’s folder → List backups', async () => {
        expect((await shell.stop()).code).toBe(0);
        const again = await e2e.startShell();
        const view = await e2e.openPage();
        await openFirstRun(view.page, again);
        await view.page.getByRole('button', { name: 'Restore from a backup', exact: true }).click();
        const form = view.page.getByRole('form', { name: 'Restore from a backup' });
        await form.getByLabel('Backup folder', { exact: true }).fill(stick);
        await form.getByRole('button', { name: 'List backups', exact: true }).click();
        const found = form.getByLabel('Backups found', { exact: true });
        await found.waitFor({ timeout: UI_TIMEOUT_MS });
        return { page: view.page, form, found };
      });

      await steps.run('the backup is listed with its date and size, the text file is not; picking it fills the Backup file', async () => {
        expect(readdirSync(stick).sort()).toEqual(expect.arrayContaining(['notes.txt', path.basename(backupPath)]));
        const options = await fresh.found.locator('option').allInnerTexts();
        // "7 Dec 2026, 13:40, 12 KB — hdms-….hdmsbak" after the placeholder (date first: the closed list is narrow); nothing else.
        expect(options).toEqual(['Pick a backup, or give its path below', expect.stringMatching(new RegExp(`^\\d{1,2} \\w{3,4} \\d{4}, \\d{2}:\\d{2}, \\d[^—]* — ${path.basename(backupPath).replace(/\./g, '\\.')}$`))]);
        expect(await fresh.form.innerText()).toContain(`The backups in ${stick}, newest first.`);
        await fresh.found.selectOption({ index: 1 });
        expect(await fresh.form.getByLabel('Backup file', { exact: true }).inputValue()).toBe(path.join(stick, path.basename(backupPath)));
      });

      await steps.run('the backup picked restores with the recovery key', async () => {
        await fresh.form.getByRole('radio', { name: /recovery key/i }).check();
        await fresh.form.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
        await fresh.form.getByRole('button', { name: 'Restore', exact: true }).click();
        // The stick holds no erasure register (no erasure was made): go on without one if asked.
        const summary = await finishRestore(fresh.page, fresh.form.getByRole('alert'));
        expect(summary).toMatch(/This backup was made/);
      });

      expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
