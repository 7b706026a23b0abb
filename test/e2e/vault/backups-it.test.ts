import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_SEED, demoIdentities, familyToSearch } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, exportBackup, IMPORT_TIMEOUT_MS, importDemoData, lockVault, restoreWithRecoveryKey, searchPatients, TEST_OPERATOR, type SearchOutcome } from '../../support/vault-ui';

/**
 * Issue 11, "Backups, as IT runs them", end to end in Chromium through the browser shell: a
 * scheduled backup made by the node into the destination folder IT chose, shown on Settings and on
 * the unlock screen; and a restore, on a new installation, of a backup older than an erasure, which
 * erases the patient again (the erasure wrote its record beside the backups) and says so.
 */

const PATIENTS = 40;
const identities = demoIdentities(PATIENTS, DEFAULT_DEMO_SEED);
const query = familyToSearch(identities);

const scheduledFiles = (folder: string): string[] => readdirSync(folder).filter((name) => /^hdms-scheduled-\d{8}T\d{6}Z\.hdmsbak$/.test(name));

describe('backups as IT runs them', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'makes a scheduled backup in the chosen destination and shows it on Settings and, to an administrator, on the unlock screen',
    async () => {
      const steps = new StepLog('scheduled backup');
      const destination = await e2e.tempDir('hdms-backup-destination-');
      const shell = await e2e.startShell();
      const { page, consoleErrors } = await e2e.openPage();

      await steps.run('first run → create vault', async () => {
        await openFirstRun(page, shell);
        await createVaultThroughUi(page);
      });

      const backup = page.getByRole('group', { name: 'Backup' });
      await steps.run('Settings › Backup: no backup yet', async () => {
        await goToArea(page, 'Settings');
        await backup.getByRole('status').filter({ hasText: 'No backup has been made yet.' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(scheduledFiles(destination)).toEqual([]);
      });

      await steps.run('a relative destination is refused before saving; the full path is saved with a schedule every 24 hours, keeping 3', async () => {
        const form = backup.getByRole('form', { name: 'Backup settings' });
        await form.getByLabel('Destination folder', { exact: true }).fill('backups');
        await expect.poll(() => form.getByRole('button', { name: 'Save backup settings' }).isDisabled()).toBe(true);
        await form.getByLabel('Destination folder', { exact: true }).fill(destination);
        await form.getByRole('radio', { name: 'Every N hours' }).check();
        await form.getByLabel('Hours between backups', { exact: true }).fill('24');
        await form.getByLabel('Scheduled backups to keep', { exact: true }).fill('3');
        await form.getByRole('button', { name: 'Save backup settings' }).click();
        await form.getByText('Backup settings saved.').waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('the node makes the first scheduled backup at once: the file is in the destination and Settings says so', async () => {
        await backup.getByRole('status').filter({ hasText: /Last backup: .*\(scheduled, / }).waitFor({ timeout: IMPORT_TIMEOUT_MS });
        expect(scheduledFiles(destination)).toHaveLength(1);
        expect(await backup.getByRole('status').filter({ hasText: /Next scheduled backup:/ }).count()).toBe(1);
      });

      await steps.run('Lock → the unlock screen shows the administrator when the last backup was made', async () => {
        await lockVault(page);
        const line = page.getByLabel('Backups');
        await line.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await line.innerText()).toMatch(/Last backup: .*\(scheduled, /);
        expect(await page.getByRole('combobox', { name: 'Operator' }).innerText()).toContain(TEST_OPERATOR);
      });

      await steps.run('the file is a sealed backup: its magic, no readable journal', async () => {
        const [name] = scheduledFiles(destination);
        const bytes = readFileSync(path.join(destination, name!));
        expect(bytes.subarray(0, 8).toString('latin1')).toBe('HDMSBAK1');
        expect(bytes.toString('latin1')).not.toContain('HDMSJ001');
      });

      expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );

  it(
    'restoring a backup made before an erasure erases the patient again',
    async () => {
      const steps = new StepLog('restore re-applies an erasure');
      const dataDir = await e2e.tempDir('hdms-erasure-restore-');
      const destination = await e2e.tempDir('hdms-erasure-destination-');
      const shell = await e2e.startShell({ dataDir });
      const { page, consoleErrors } = await e2e.openPage();

      const recoveryKey = await steps.run('first run → create vault → demo patients', async () => {
        await openFirstRun(page, shell);
        const key = await createVaultThroughUi(page);
        if (!(await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(page, 'Patients');
        expect((await importDemoData(page, PATIENTS)).patients).toBe(PATIENTS);
        return key;
      });

      const found = await steps.run(`search "${query.typed}"`, async () => {
        const outcome = await searchPatients(page, query.typed);
        expect(outcome.count).toBe(query.mrns.length);
        return outcome;
      });

      const backupPath = await steps.run('Settings → destination folder → Export backup (before the erasure)', async () => {
        await goToArea(page, 'Settings');
        const form = page.getByRole('group', { name: 'Backup' }).getByRole('form', { name: 'Backup settings' });
        await form.getByLabel('Destination folder', { exact: true }).fill(destination);
        await form.getByRole('button', { name: 'Save backup settings' }).click();
        await form.getByText('Backup settings saved.').waitFor({ timeout: UI_TIMEOUT_MS });
        const written = await exportBackup(page);
        expect(path.dirname(written)).toBe(destination);
        return written;
      });

      const erased = await steps.run('open the first patient found and erase them', async () => {
        await goToArea(page, 'Patients');
        await searchPatients(page, query.typed);
        const name = found.names[0]!;
        await page.getByRole('region', { name: 'Search results' }).getByRole('link').first().click();
        await page.getByRole('heading', { level: 2, name, exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByRole('button', { name: 'Erase patient…' }).click();
        const dialog = page.getByRole('dialog');
        const identifier = (await dialog.locator('code').first().innerText()).trim();
        await dialog.getByLabel('Identifier of the patient to erase', { exact: true }).fill(identifier);
        await dialog.getByRole('button', { name: 'Erase patient', exact: true }).click();
        await dialog.waitFor({ state: 'hidden', timeout: IMPORT_TIMEOUT_MS });
        await goToArea(page, 'Patients');
        await expect.poll(async () => (await searchPatients(page, query.typed)).count, { timeout: 30_000 }).toBe(found.count - 1);
        return { name, row: found.rows[0]! };
      });

      await steps.run('the erasure itself put its record beside the backups (no backup since)', async () => {
        expect(readdirSync(destination).filter((name) => name.endsWith('.hdmsbak'))).toEqual([path.basename(backupPath)]);
        expect(JSON.parse(readFileSync(path.join(destination, 'hdms-erasure-register.json'), 'utf8'))).toMatchObject({ erasures: [expect.anything()] });
      });

      await steps.run('this computer is lost: stop the shell; only the destination folder survives', async () => {
        expect((await shell.stop()).code).toBe(0);
        await rm(dataDir, { recursive: true, force: true });
      });

      const restored = await steps.run('a new installation (empty data folder) → Restore from a backup → its path → recovery key → the summary', async () => {
        const again = await e2e.startShell();
        const view = await e2e.openPage();
        await openFirstRun(view.page, again);
        // The restore says what it did: the erasure made after this backup was applied again.
        expect(await restoreWithRecoveryKey(view.page, backupPath, recoveryKey)).toMatch(/1 erasure made after this backup was applied again/);
        return view.page;
      });

      await steps.run('the erased patient stays erased; everyone else is back', async () => {
        await goToArea(restored, 'Patients');
        let last: SearchOutcome | undefined;
        await expect
          .poll(
            async () => {
              last = await searchPatients(restored, query.typed);
              return last.count;
            },
            { timeout: 60_000, interval: 1000 },
          )
          .toBe(found.count - 1);
        expect(last!.rows).not.toContain(erased.row);
        expect(last!.rows).toEqual(found.rows.slice(1));
        expect(await restored.getByText(erased.name, { exact: true }).count()).toBe(0);
      });

      expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
