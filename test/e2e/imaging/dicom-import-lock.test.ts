import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceElements, part10File } from '../../electron/intake/dicom/dicom-test-support';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS, unlockHeading, unlockVault } from '../../support/vault-ui';

/**
 * QA-12 D2 in Chromium: "Lock" during a DICOM import of 300 files asks first; "Lock anyway" stops
 * the import; the unlock after it says how many files were not imported, and that count is what
 * the study lacks; choosing the files again imports exactly those, the others being duplicates.
 */

const STUDY = '1.2.826.0.1.3680043.10.999.96';
const FILES = 300;
let work = '';
afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('Imaging: a lock during a DICOM import', () => {
  const e2e = useBrowserWithOwnShells();

  it('asks before locking, stops the import, tells the operator at unlock how many files were not imported, and a second import completes the study', async () => {
    const steps = new StepLog('DICOM import and lock');
    work = await mkdtemp(path.join(os.tmpdir(), 'hdms-e2e-dicom-lock-'));
    const fields = { studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, patientId: 'MRN-E2E-96', issuer: 'NORTHCLINIC', patientName: 'Sperre^Lotte', studyDescription: 'CT LOCKED MIDWAY', accession: 'ACC-E2E-96' };
    const files: string[] = [];
    for (let i = 1; i <= FILES; i++) {
      // 256 × 256 × 16 bit: 128 KiB each, as on the tester's CD.
      const file = path.join(work, `IM${String(i).padStart(4, '0')}`);
      await writeFile(file, part10File(instanceElements({ ...fields, sopInstanceUid: `${STUDY}.1.${i}`, rows: 256, columns: 256, pixels: Buffer.alloc(256 * 256 * 2, i % 256) })));
      files.push(file);
    }
    const shell = await e2e.startShell();
    const { page, consoleErrors } = await e2e.openPage();
    let notImported = 0;

    await steps.run('create a vault, start importing 300 files; Lock asks first, Keep working goes on', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await goToArea(page, 'Imaging');
      await page.getByLabel('DICOM files', { exact: true }).setInputFiles(files);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      const bar = page.getByRole('progressbar', { name: 'Import progress' });
      await expect.poll(async () => Number((await bar.getAttribute('value').catch(() => null)) ?? 0), { timeout: IMPORT_TIMEOUT_MS }).toBeGreaterThanOrEqual(8);
      const lock = page.getByRole('banner').getByRole('button', { name: 'Lock', exact: true });
      await lock.click();
      const dialog = page.getByRole('dialog', { name: 'Lock while an import runs?' });
      await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await dialog.innerText()).toMatch(new RegExp(`An import is running: \\d+ of ${FILES} files done\\. Locking stops it; the rest is not imported\\.`));
      await dialog.getByRole('button', { name: 'Keep working' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
      await lock.click();
      await dialog.getByRole('button', { name: 'Lock anyway' }).click();
      await unlockHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await page.locator('body').innerText()).not.toContain('IM0001');
    });

    await steps.run('unlock: the notice says how many files were not imported', async () => {
      await unlockVault(page);
      const notice = page.getByRole('alert').filter({ hasText: 'was stopped when the vault locked' });
      await notice.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      const match = /: (\d+) of (\d+) files were not imported\./.exec(await notice.innerText());
      expect(match?.[2]).toBe(String(FILES));
      notImported = Number(match?.[1]);
      expect(notImported).toBeGreaterThan(0);
      expect(notImported).toBeLessThan(FILES);
    });

    await steps.run('the study holds the files that were imported, no more', async () => {
      await goToArea(page, 'Imaging');
      await expect
        .poll(() => page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'CT LOCKED MIDWAY' }).innerText().catch(() => ''), { timeout: IMPORT_TIMEOUT_MS })
        .toMatch(new RegExp(`1 series, ${FILES - notImported} instances`));
    });

    await steps.run('choosing the files again imports the rest; those stored are duplicates; Dismiss clears the notice', async () => {
      await page.getByLabel('DICOM files', { exact: true }).setInputFiles(files);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      await page.getByRole('table', { name: 'Import results' }).waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS * 2 });
      const imported = FILES - notImported;
      expect(await page.getByText(/^Of 300 files:/).innerText()).toBe(`Of ${FILES} files: ${notImported} stored, ${imported} ${imported === 1 ? 'duplicate' : 'duplicates'} (stored before).`);
      await page.getByRole('alert').filter({ hasText: 'was stopped when the vault locked' }).getByRole('button', { name: 'Dismiss' }).click();
      expect(await page.getByText('was stopped when the vault locked').count()).toBe(0);
      await expect
        .poll(() => page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'CT LOCKED MIDWAY' }).innerText().catch(() => ''), { timeout: IMPORT_TIMEOUT_MS })
        .toMatch(new RegExp(`1 series, ${FILES} instances`));
    });

    expect(consoleErrors).toEqual([]);
    console.log(steps.summary());
  }, 360_000);
});
