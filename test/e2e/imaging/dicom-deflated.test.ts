import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instanceElements } from '../../electron/intake/dicom/dicom-test-support';
import { part10, TS } from '../../renderer/features/imaging/viewer/viewer-fixtures';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * QA2-12 Q3: a Deflated Explicit VR Little Endian instance whose deflated bytes pass 1 MiB (noise
 * does not compress: a modality's large multi-frame, or a noisy image) was stored but never drawn:
 * "The image could not be shown: Failed to fetch". It was not the size: dcmtk had padded the odd-length
 * deflate stream with a NUL byte, and Chromium's DecompressionStream refuses bytes after the end.
 */

const UID = '1.2.826.0.1.3680043.10.995.1';

describe('Imaging: a large deflated instance', () => {
  const e2e = useBrowserWithOwnShells();

  it('is stored and drawn in the viewer', { timeout: 180_000 }, async () => {
    const steps = new StepLog('dicom deflated');
    const shell = await e2e.startShell();
    const { page } = await e2e.openPage({ viewport: { width: 1400, height: 1000 } });
    // Over 4 MiB, so the viewer hands it out to be read in ranges, which a deflated data set cannot
    // be: the decode worker reads it whole instead (T1 F1); it must still be drawn.
    const rows = 1600;
    const columns = 1600;
    // dcmtk pads a deflated stream of odd length with one NUL byte (the file's length even); noise
    // pixels until the stream is odd, so the file carries that pad as QA's did.
    let file: Buffer;
    do {
      const elements = instanceElements({ sopInstanceUid: `${UID}.1.1`, studyInstanceUid: UID, seriesInstanceUid: `${UID}.1`, patientId: 'MRN-DEFL-1', patientName: 'Deflate^Dora', studyDescription: 'DEFLATED LARGE', pixels: randomBytes(rows * columns * 2), rows, columns });
      file = part10(elements, TS.deflated);
    } while (file.length % 2 === 0);
    file = Buffer.concat([file, Buffer.from([0])]);
    expect(file.length).toBeGreaterThan(4 * 1024 * 1024);

    await steps.run('import it: stored', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await goToArea(page, 'Imaging');
      await page.getByLabel('DICOM files', { exact: true }).setInputFiles([{ name: 'DEFL0001', mimeType: 'application/octet-stream', buffer: file }]);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      const results = page.getByRole('table', { name: 'Import results' });
      await results.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
      expect((await results.locator('tbody tr').allInnerTexts()).map((line) => line.split('\t')[1])).toEqual(['Stored']);
    });

    await steps.run('open the study: the image is drawn, its syntax named', async () => {
      const link = page.getByRole('link', { name: 'DEFLATED LARGE' });
      await expect.poll(() => link.count(), { timeout: IMPORT_TIMEOUT_MS }).toBe(1);
      await link.click();
      await page.getByRole('heading', { name: 'DEFLATED LARGE' }).waitFor({ timeout: UI_TIMEOUT_MS });
      const shown = page.locator('canvas.viewer-canvas[data-shown="0"]');
      const failed = page.getByText(/could not be shown/);
      await expect.poll(async () => ((await failed.count()) > 0 ? `failed: ${await failed.first().innerText()}` : (await shown.count()) > 0 ? 'drawn' : 'waiting'), { timeout: UI_TIMEOUT_MS }).toBe('drawn');
      await expect.poll(() => page.locator('main').innerText()).toMatch(/Deflated Explicit VR Little Endian/);
    });
  });
});
