import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIMSE_STATUS } from '../../../electron/intake/dicom/dimse-command';
import { CT_IMAGE_STORAGE, TestScu, instanceElements, writeDataset, writePart10 } from '../../electron/intake/dicom/dicom-test-support';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { hasTool, runTool } from '../../support/external-tool';
import { freePort } from '../../support/free-port';
import { TEST_RESULTS_DIR } from '../../support/repo-paths';
import { areaHeading, goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { expectFits } from '../../support/table-fit';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * Issue 12 item 7, in Chromium through the browser shell at 1,000 × 700: the intake monitor shows
 * the DICOM receiver beside HL7 (a radiologist tester found it only under Imaging). Debian's dcmtk
 * is the modality: `echoscu` associates once as ECHO_E2E, `storescu` sends one instance the test
 * writes as STORE_E2E; the Intake page then shows the receiver listening, 2 associations (1 per
 * calling AE title), 1 instance received and 1 stored, each caller's row, and fits at 1,000 px.
 * Without dcmtk (a fresh clone with only Node and npm; `.ci/run` installs it) the project's own
 * SCU makes the same two associations, so the page is still checked; the log says which.
 */

const STUDY = '1.2.826.0.1.3680043.10.999.71';
const ECHO_AE = 'ECHO_E2E';
const STORE_AE = 'STORE_E2E';

describe('the intake monitor: the DICOM receiver beside HL7', () => {
  const e2e = useBrowserWithOwnShells();

  it('after echoscu and storescu of one instance, shows 1 association per caller, 1 received, 1 stored, and fits at 1,000 px (issue 12 item 7)', { timeout: 150_000 }, async () => {
    const steps = new StepLog('dicom receiver on the intake monitor');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--dicom-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });
    const work = await e2e.tempDir('hdms-e2e-dicom-monitor-');
    const dcmtk = (await hasTool('echoscu')) && (await hasTool('storescu'));
    const elements = instanceElements({ sopInstanceUid: `${STUDY}.1.1`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, patientId: 'MRN-E2E-71', issuer: 'NORTHCLINIC', patientName: 'Testperson^Ada', studyDescription: 'CT MONITOR', accession: 'ACC-E2E-71' });

    await steps.run(`create a vault; ${dcmtk ? 'echoscu, then storescu of one instance (dcmtk)' : 'dcmtk is not installed: the project SCU echoes, then stores one instance'}`, async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      if (dcmtk) {
        const echo = await runTool('echoscu', ['-aec', 'HDMS', '-aet', ECHO_AE, '127.0.0.1', String(port)]);
        expect(echo.code, echo.stderr).toBe(0);
        const file = path.join(work, 'ct-monitor.dcm');
        await writePart10(file, elements);
        const store = await runTool('storescu', ['-aec', 'HDMS', '-aet', STORE_AE, '127.0.0.1', String(port), file], { timeoutSeconds: 60 });
        expect(store.code, store.stderr).toBe(0);
      } else {
        console.log('dcmtk (echoscu, storescu) is not installed: the project SCU sends instead');
        const echo = await TestScu.associate({ port, callingAeTitle: ECHO_AE });
        expect(echo.answer.type).toBe('ac');
        echo.scu.echo();
        expect(await echo.scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
        echo.scu.release();
        expect(await echo.scu.next()).toEqual({ type: 'release-rp' });
        echo.scu.close();
        const { scu, answer } = await TestScu.associate({ port, callingAeTitle: STORE_AE, contexts: [{ id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: ['1.2.840.10008.1.2.1'] }] });
        expect(answer.type).toBe('ac');
        scu.store(1, CT_IMAGE_STORAGE, `${STUDY}.1.1`, writeDataset(elements));
        expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
        scu.release();
        expect(await scu.next()).toEqual({ type: 'release-rp' });
        scu.close();
      }
    });

    const panel = page.getByRole('region', { name: 'DICOM receiver' });
    const facts = () =>
      panel.locator('dl.facts').evaluate((list) => Object.fromEntries([...list.querySelectorAll('dt')].map((term) => [term.textContent ?? '', term.nextElementSibling?.textContent ?? ''])));

    await steps.run('Intake: the receiver right below the HL7 counters, listening, 2 associations (none open), 1 instance received and 1 stored', async () => {
      await goToArea(page, 'Intake');
      await panel.getByText(`Listening as HDMS on 127.0.0.1, port ${port}.`).waitFor({ timeout: UI_TIMEOUT_MS });
      await expect
        .poll(facts, { timeout: IMPORT_TIMEOUT_MS })
        .toEqual({
          'Associations open': '0',
          Associations: '2',
          'Instances received': '1',
          'Instances stored': '1',
          'Held (no Patient ID)': '0',
          'Duplicates (resent, not stored again)': '0',
          'Conflicts (same UID, other bytes)': '0',
          'Instances failed': '0',
        });
      const headings = await page.getByRole('heading', { level: 2 }).allInnerTexts();
      const hl7 = headings.findIndex((heading) => heading.startsWith('HL7 messages since'));
      expect(headings[hl7 + 1]).toBe('DICOM receiver');
    });

    const table = panel.getByRole('table', { name: 'Calling AE titles' });
    await steps.run('the calling AE titles: ECHO_E2E 1 association and nothing received, STORE_E2E 1 association, 1 received, 1 stored', async () => {
      // Each row: the caller's AE title and address (a line each in the row head) joined by " | ", then its counts.
      const rows = await table.locator('tbody tr').evaluateAll((found) => found.map((row) => [...row.querySelectorAll('th, td')].map((cell) => (cell.matches('tbody th') ? [...cell.children].map((line) => line.textContent).join(' | ') : (cell.textContent ?? '')))));
      expect(rows.map((row) => row[0]!.replace(/ \| .*$/, '')).sort()).toEqual([ECHO_AE, STORE_AE]);
      const byTitle = new Map(rows.map((row) => [row[0]!.replace(/ \| .*$/, ''), row.slice(1)]));
      // Associations, Received, Stored, Held, Duplicates, Conflicts, Failed, Refused.
      expect(byTitle.get(ECHO_AE)).toEqual(['1', '0', '0', '0', '0', '0', '0', '0']);
      expect(byTitle.get(STORE_AE)).toEqual(['1', '1', '1', '0', '0', '0', '0', '0']);
    });

    await steps.run('at 1,000 px the table keeps every column inside its panel, the page does not scroll sideways', async () => {
      await expectFits('Calling AE titles', table);
      const sideways = await page.evaluate(() => ({ page: document.documentElement.scrollWidth - document.documentElement.clientWidth }));
      expect(sideways.page).toBeLessThanOrEqual(0);
      const panelFits = await panel.evaluate((section) => section.scrollWidth <= section.clientWidth + 1);
      expect(panelFits).toBe(true);
      const shots = path.join(TEST_RESULTS_DIR, 'screenshots');
      await mkdir(shots, { recursive: true });
      await panel.screenshot({ path: path.join(shots, 'intake-dicom-receiver-1000.png') });
      await page.screenshot({ path: path.join(shots, 'intake-monitor-1000.png'), fullPage: true });
    });

    await steps.run('the link opens the receiver in full under Imaging', async () => {
      await panel.getByRole('link', { name: 'The receiver in full under Imaging' }).click();
      await areaHeading(page, 'Imaging').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await page.getByRole('region', { name: 'DICOM receiver' }).getByText('Echoes').waitFor({ timeout: UI_TIMEOUT_MS });
    });

    expect(consoleErrors).toEqual([]);
  });
});
