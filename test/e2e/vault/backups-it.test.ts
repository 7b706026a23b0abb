import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ackOf, connectMllp } from '../../bench/mllp-load';
import { DEFAULT_DEMO_SEED, demoIdentities, familyToSearch } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { freePort } from '../../support/free-port';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, exportBackup, finishRestore, IMPORT_TIMEOUT_MS, importDemoData, lockVault, restoreWithRecoveryKey, searchPatients, TEST_OPERATOR, type SearchOutcome } from '../../support/vault-ui';

/**
 * Issue 11, "Backups, as IT runs them", end to end in Chromium through the browser shell: a
 * scheduled backup made by the node into the destination folder IT chose, shown on Settings and on
 * the unlock screen; and a restore, on a new installation, of a backup older than an erasure, which
 * erases the patient again (the erasure wrote its record beside the backups) and says so. The
 * erasure also takes what names the patient outside the chart (issue 11, security audit): an HL7
 * message quarantined (never filed) whose PID-3 carries her MRN with its authority, and the access
 * report the app wrote for her; the same MRN under another authority stays in the quarantine.
 */

/** An ADT in Latin-1 bytes with MSH-18 empty (not valid UTF-8): answered AR and quarantined, never filed. */
const quarantinedAdt = (controlId: string, cx: string): Buffer =>
  Buffer.from([`MSH|^~\\&|QA11|WARD|HDMS|NODE|20261206101500||ADT^A08|${controlId}|P|2.5.1`, 'EVN|A08|20261206101500', `PID|1||${cx}||Größe^Wiebke||19800214|F`, ''].join('\r'), 'latin1');

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
        await backup.getByRole('status').filter({ hasText: 'No backup made on this computer yet.' }).waitFor({ timeout: UI_TIMEOUT_MS });
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
      const port = await freePort();
      const shell = await e2e.startShell({ dataDir, extraArgs: ['--mllp-port', String(port)] });
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

      const erased = await steps.run('open the first patient found, export her access report, quarantine two messages with her MRN (hers, another authority’s)', async () => {
        await goToArea(page, 'Patients');
        await searchPatients(page, query.typed);
        const name = found.names[0]!;
        await page.getByRole('region', { name: 'Search results' }).getByRole('link').first().click();
        await page.getByRole('heading', { level: 2, name, exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByRole('button', { name: 'Export access report (CSV)' }).click();
        const report = (await page.locator('.ledger-export code.path').innerText({ timeout: UI_TIMEOUT_MS })).trim();
        expect(path.dirname(report)).toBe(path.join(dataDir, 'exports'));
        expect(readFileSync(report, 'utf8')).toContain(name.split(',')[0]!);
        // Her MRN as the dialog asks for it (the demo's authority is HDMS-DEMO).
        await page.getByRole('button', { name: 'Erase patient…' }).click();
        const identifier = (await page.getByRole('dialog').locator('code').first().innerText()).trim();
        await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
        const mrn = identifier.replace(/ \(.*\)$/, '');
        const sender = await connectMllp(port);
        expect(ackOf(await sender.send(quarantinedAdt('QA11-ER-1', `${mrn}^^^HDMS-DEMO^MR`))).code).toBe('AR');
        expect(ackOf(await sender.send(quarantinedAdt('QA11-ER-2', `${mrn}^^^OTHER-HOSPITAL^MR`))).code).toBe('AR');
        await sender.close();
        return { name, row: found.rows[0]!, identifier, report };
      });

      await steps.run('Erase patient…: the dialog counts 1 quarantined input and 1 access report that go with her, and says what stays; erase', async () => {
        await page.getByRole('button', { name: 'Erase patient…' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByText('1 quarantined input that names this patient will also be erased.', { exact: false }).waitFor({ timeout: IMPORT_TIMEOUT_MS });
        expect(await dialog.innerText()).toContain('1 access report this app wrote into its exports folder names this patient: it will be removed.');
        expect(await dialog.innerText()).toMatch(/Not erased: files saved elsewhere through a save or print dialog/);
        await dialog.getByLabel('Identifier of the patient to erase', { exact: true }).fill(erased.identifier);
        await dialog.getByRole('button', { name: 'Erase patient', exact: true }).click();
        await dialog.waitFor({ state: 'hidden', timeout: IMPORT_TIMEOUT_MS });
        await goToArea(page, 'Patients');
        await expect.poll(async () => (await searchPatients(page, query.typed)).count, { timeout: 30_000 }).toBe(found.count - 1);
      });

      await steps.run('her access report is gone from <data>/exports; the quarantine keeps only the other authority’s message', async () => {
        expect(existsSync(erased.report)).toBe(false);
        expect(readdirSync(path.join(dataDir, 'exports')).filter((file) => file.includes(path.basename(erased.report)))).toEqual([]);
        await goToArea(page, 'Intake');
        // Each entry is a row group (its cells, then its reason).
        const rows = page.getByRole('table', { name: 'Quarantine' }).locator('tbody');
        await expect.poll(() => rows.count(), { timeout: IMPORT_TIMEOUT_MS }).toBe(1);
        expect(await rows.first().innerText()).toContain('QA11-ER-2');
      });

      await steps.run('the erasure itself put its record beside the backups (no backup since)', async () => {
        expect(readdirSync(destination).filter((name) => name.endsWith('.hdmsbak'))).toEqual([path.basename(backupPath)]);
        expect(JSON.parse(readFileSync(path.join(destination, 'hdms-erasure-register.json'), 'utf8'))).toMatchObject({ erasures: [expect.anything()] });
      });

      await steps.run('this computer is lost: stop the shell; only the destination folder survives', async () => {
        expect((await shell.stop()).code).toBe(0);
        await rm(dataDir, { recursive: true, force: true });
      });

      // The same backup copied ALONE to another folder (a stick): no register beside it there.
      const elsewhere = await e2e.tempDir('hdms-backup-copied-alone-');
      const alonePath = path.join(elsewhere, path.basename(backupPath));
      await copyFile(backupPath, alonePath);

      const restored = await steps.run('a new installation (empty data folder) → Restore from a backup → its path → recovery key → the summary', async () => {
        const again = await e2e.startShell();
        const view = await e2e.openPage();
        await openFirstRun(view.page, again);
        // The restore says what it did: the erasure made after this backup was applied again; and what it
        // rewound: the backup's date and last ledger entry, later entries elsewhere (tester T2 S35 F3).
        const summary = await restoreWithRecoveryKey(view.page, backupPath, recoveryKey);
        expect(summary).toMatch(/1 erasure made after this backup was applied again/);
        expect(summary).toMatch(/This backup was made \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} .*; its ledger ends at entry [1-9]\d*\./);
        expect(summary).toMatch(/Ledger entries this node signed after the backup .* are not in this vault/);
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

      const third = await steps.run('another new installation, the copy made ALONE elsewhere: the form says erasures after the backup cannot be checked and asks for the register; the one from the destination, typed; the summary', async () => {
        const shellThree = await e2e.startShell();
        const view = await e2e.openPage();
        await openFirstRun(view.page, shellThree);
        const page3 = view.page;
        await page3.getByRole('button', { name: 'Restore from a backup', exact: true }).click();
        const form = page3.getByRole('form', { name: 'Restore from a backup' });
        await form.getByLabel('Backup file', { exact: true }).fill(alonePath);
        await form.getByRole('radio', { name: /recovery key/i }).check();
        await form.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
        await form.getByRole('button', { name: 'Restore', exact: true }).click();
        const warning = form.getByRole('region', { name: 'No erasure register beside the backup' });
        await warning.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
        expect(await warning.innerText()).toMatch(/No erasure register is beside this backup file, so erasures made after the backup cannot be checked/);
        // Nothing was restored yet, and it never claims nothing needed applying again.
        expect(await page3.getByText(/had to be applied again/).count()).toBe(0);
        await form.getByLabel('Erasure register', { exact: true }).fill(path.join(destination, 'hdms-erasure-register.json'));
        await form.getByRole('button', { name: 'Restore', exact: true }).click();
        expect(await finishRestore(page3, form.getByRole('alert').filter({ hasNotText: 'No erasure register is beside' }))).toMatch(/1 erasure made after this backup was applied again/);
        return page3;
      });

      await steps.run('she stays erased there too', async () => {
        await goToArea(third, 'Patients');
        await expect.poll(async () => (await searchPatients(third, query.typed)).count, { timeout: 60_000, interval: 1000 }).toBe(found.count - 1);
        expect(await third.getByText(erased.name, { exact: true }).count()).toBe(0);
      });

      expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
      console.log(steps.summary());
    },
    300_000,
  );
});
