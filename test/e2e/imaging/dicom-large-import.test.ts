import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceElements, part10File } from '../../electron/intake/dicom/dicom-test-support';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * Issue 12, imports over 16 MiB in Chromium through the browser shell: a 40 MiB multi-frame chosen
 * in Imaging is streamed to the body chunk by chunk (it used to be refused as too large) and
 * stored beside a small file; its study is listed.
 */

const STUDY = '1.2.826.0.1.3680043.10.999.95';
let work = '';
afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('Imaging: a DICOM file over 16 MiB', () => {
  const e2e = useBrowserWithOwnShells();

  it('imports a 40 MiB multi-frame by streaming it, and lists its study', async () => {
    const steps = new StepLog('large DICOM import');
    work = await mkdtemp(path.join(os.tmpdir(), 'hdms-e2e-large-dicom-'));
    const frames = 40;
    const pixels = Buffer.alloc(frames * 1024 * 512 * 2);
    for (let i = 0; i < pixels.length; i += 4) pixels.writeUInt32LE((i * 2246822519) >>> 0, i);
    const fields = { studyInstanceUid: STUDY, patientId: 'MRN-E2E-95', issuer: 'NORTHCLINIC', patientName: 'Weitblick^Ola', studyDescription: 'XA LONG RUN', accession: 'ACC-E2E-95' };
    const big = instanceElements({ ...fields, sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, modality: 'XA', rows: 512, columns: 1024, pixels });
    big.push([0x00280008, 'IS', String(frames)]);
    await writeFile(path.join(work, 'XA_RUN.dcm'), part10File(big));
    await writeFile(path.join(work, 'XA_REF.dcm'), part10File(instanceElements({ ...fields, sopInstanceUid: `${STUDY}.2.1`, seriesInstanceUid: `${STUDY}.2`, modality: 'XA' })));

    const shell = await e2e.startShell();
    const { page, consoleErrors } = await e2e.openPage();
    await steps.run('create a vault; import the 40 MiB file and a small one: both stored', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await goToArea(page, 'Imaging');
      await page.getByLabel('DICOM files', { exact: true }).setInputFiles([path.join(work, 'XA_RUN.dcm'), path.join(work, 'XA_REF.dcm')]);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      const results = page.getByRole('table', { name: 'Import results' });
      await results.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
      const lines = await results.locator('tbody tr').allInnerTexts();
      expect(lines.map((line) => line.split('\t').slice(0, 2).join(' | '))).toEqual(['XA_RUN.dcm | Stored', 'XA_REF.dcm | Stored']);
    });

    await steps.run('the study is listed with both instances', async () => {
      await expect
        .poll(() => page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'XA LONG RUN' }).innerText().catch(() => ''), { timeout: IMPORT_TIMEOUT_MS })
        .toMatch(/2 series, 2 instances/);
    });

    expect(consoleErrors).toEqual([]);
    console.log(steps.summary());
  }, 180_000);
});
