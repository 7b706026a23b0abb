import { describe, expect, it } from 'vitest';
import { DIMSE_STATUS } from '../../../electron/intake/dicom/dimse-command';
import { buildFileMetaInformation } from '../../../electron/intake/dicom/dicom-part10';
import { CT_IMAGE_STORAGE, TestScu, instanceElements, part10File, writeDataset } from '../../electron/intake/dicom/dicom-test-support';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS, searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * DICOM into the browser shell (issue 12): a C-STORE SCU (the tests' own, speaking the receiver's
 * PDU codec over TCP) sends two studies of one patient while the node runs; the Imaging area lists
 * them with their patient, filters them, and the patient's page shows them.
 */

const STUDY_CT = '1.2.826.0.1.3680043.10.999.20';
const STUDY_MR = '1.2.826.0.1.3680043.10.999.21';

describe('Imaging: studies received over DICOM', () => {
  const e2e = useBrowserWithOwnShells();

  it('lists the studies a modality sent, filters them, and shows them on the patient page', async () => {
    const steps = new StepLog('imaging studies');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--dicom-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage();

    await steps.run('create a vault: the intake monitor lists the DICOM receiver listening', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await goToArea(page, 'Intake');
      await page.getByRole('cell', { name: `Listening on 127.0.0.1, port ${port}.` }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    });

    await steps.run('a modality sends 3 instances of a CT study and 1 of an MR study; each is answered Success', async () => {
      const { scu, answer } = await TestScu.associate({
        port,
        callingAeTitle: 'CT_E2E',
        contexts: [
          { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: ['1.2.840.10008.1.2.1'] },
          { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
        ],
      });
      expect(answer.type).toBe('ac');
      const patient = { patientId: 'MRN-E2E-12', issuer: 'NORTHCLINIC', patientName: 'Varga^Petra', birthDate: '19750505', sex: 'F' };
      for (let i = 1; i <= 3; i++) {
        const uid = `${STUDY_CT}.1.${i}`;
        scu.store(1, CT_IMAGE_STORAGE, uid, writeDataset(instanceElements({ ...patient, sopInstanceUid: uid, studyInstanceUid: STUDY_CT, seriesInstanceUid: `${STUDY_CT}.1`, studyDescription: 'CT CHEST', accession: 'ACC-E2E-1', studyDate: '20260110' })));
        expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
      }
      const mr = `${STUDY_MR}.1.1`;
      scu.store(3, '1.2.840.10008.5.1.4.1.1.4', mr, writeDataset(instanceElements({ ...patient, sopInstanceUid: mr, sopClassUid: '1.2.840.10008.5.1.4.1.1.4', modality: 'MR', studyInstanceUid: STUDY_MR, seriesInstanceUid: `${STUDY_MR}.1`, studyDescription: 'MR KNEE', accession: 'ACC-E2E-2', studyDate: '20250301' })));
      expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
      scu.release();
      expect(await scu.next()).toEqual({ type: 'release-rp' });
      scu.close();
    });

    await steps.run('Imaging lists both studies, newest first, with the patient; the filter narrows them', async () => {
      await goToArea(page, 'Imaging');
      const table = page.getByRole('table', { name: 'Studies' });
      await expect.poll(async () => (await table.count()) > 0 && (await table.locator('tbody tr').count()), { timeout: IMPORT_TIMEOUT_MS }).toBe(2);
      const rows = await table.locator('tbody tr').allInnerTexts();
      expect(rows[0]).toMatch(/2026-01-10[\s\S]*Varga[\s\S]*CT[\s\S]*CT CHEST[\s\S]*ACC-E2E-1[\s\S]*1 series, 3 instances/);
      expect(rows[1]).toMatch(/2025-03-01[\s\S]*MR[\s\S]*MR KNEE/);
      await page.getByLabel('Filter by patient, accession number, modality, date or description').fill('ACC-E2E-2');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      expect(await table.locator('tbody tr').first().innerText()).toContain('MR KNEE');
      // User test H6 #2: a month, a year or a range of study dates (checked on the decrypted dates, no token).
      const filter = page.getByLabel('Filter by patient, accession number, modality, date or description');
      for (const [query, description] of [['2026-01', 'CT CHEST'], ['2025', 'MR KNEE'], ['20250201-20250331', 'MR KNEE'], ['varga 2026-01-01..2026-01-31', 'CT CHEST']] as const) {
        await filter.fill(query);
        await expect.poll(async () => (await table.count()) > 0 && (await table.locator('tbody tr').allInnerTexts()).join('|')).toMatch(new RegExp(`^[^|]*${description}[^|]*$`));
      }
      await filter.fill('2024-01..2024-12');
      await expect.poll(() => table.count()).toBe(0);
      await expect.poll(() => page.getByText('0 of 2 studies, newest first.').count()).toBe(1);
    });

    await steps.run('import a CD: two instances of a new study, its DICOMDIR, a text file, a resend of a received instance and the CT series resent under a new study', async () => {
      await page.getByLabel('Filter by patient, accession number, modality, date or description').fill('');
      const patient = { patientId: 'MRN-E2E-12', issuer: 'NORTHCLINIC', patientName: 'Varga^Petra' };
      const study = '1.2.826.0.1.3680043.10.999.22';
      const cd = [
        { name: 'DICOMDIR', mimeType: 'application/octet-stream', buffer: Buffer.concat([buildFileMetaInformation({ sopClassUid: '1.2.840.10008.1.3.10', sopInstanceUid: `${study}.99`, transferSyntaxUid: '1.2.840.10008.1.2.1' }), Buffer.from([0x04, 0x00, 0x30, 0x11, 0x43, 0x53, 0x02, 0x00, 0x41, 0x20])]) },
        ...[1, 2].map((n) => ({ name: `IM00000${n}`, mimeType: 'application/octet-stream', buffer: part10File(instanceElements({ ...patient, sopInstanceUid: `${study}.1.${n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, modality: 'US', studyDescription: 'US ABDOMEN', accession: 'ACC-E2E-3', studyDate: '20240202' })) })),
        { name: 'README.TXT', mimeType: 'text/plain', buffer: Buffer.from('Patient CD') },
        { name: 'IM_RESEND', mimeType: 'application/octet-stream', buffer: part10File(instanceElements({ ...patient, birthDate: '19750505', sex: 'F', sopInstanceUid: `${STUDY_MR}.1.1`, sopClassUid: '1.2.840.10008.5.1.4.1.1.4', modality: 'MR', studyInstanceUid: STUDY_MR, seriesInstanceUid: `${STUDY_MR}.1`, studyDescription: 'MR KNEE', accession: 'ACC-E2E-2', studyDate: '20250301' })) },
        // QA s32 D1: the CT series resent under a new Study Instance UID (a study split at the PACS), a new SOP Instance UID.
        { name: 'IM_SPLIT', mimeType: 'application/octet-stream', buffer: part10File(instanceElements({ ...patient, sopInstanceUid: `${STUDY_CT}.1.901`, studyInstanceUid: `${STUDY_CT}.9`, seriesInstanceUid: `${STUDY_CT}.1`, studyDescription: 'CT FOLLOW-UP', accession: 'ACC-E2E-4', studyDate: '20230303' })) },
      ];
      await page.getByLabel('DICOM files', { exact: true }).setInputFiles(cd);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      const results = page.getByRole('table', { name: 'Import results' });
      await results.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
      const lines = await results.locator('tbody tr').allInnerTexts();
      // The file that needs attention first (QA-12 D6), the others in path order (10718c2: numbers by
      // value, '_' before digits as a collator orders them; this DICOMDIR names no file); the summary counts each outcome.
      expect(lines.map((line) => line.split('\t').slice(0, 2).join(' | '))).toEqual([
        'README.TXT | Not DICOM',
        'DICOMDIR | DICOMDIR (index of the files)',
        'IM_RESEND | Duplicate (stored before)',
        'IM_SPLIT | Stored',
        'IM000001 | Stored',
        'IM000002 | Stored',
      ]);
      const summary = page.getByText(/^Of 6 files:/);
      expect(await summary.innerText()).toBe('Of 6 files: 3 stored, 1 DICOMDIR (the index of the files), 1 duplicate (stored before), 1 not DICOM. The files that need attention are listed first.');
      expect(await summary.getAttribute('class')).toContain('note--warn');
      const table = page.getByRole('table', { name: 'Studies' });
      await expect.poll(() => table.locator('tbody tr').count(), { timeout: IMPORT_TIMEOUT_MS }).toBe(4);
      // The list follows the replay: poll until both instances of the imported study are indexed.
      await expect.poll(() => table.locator('tbody tr').nth(2).innerText(), { timeout: IMPORT_TIMEOUT_MS }).toMatch(/2024-02-02[\s\S]*US[\s\S]*US ABDOMEN[\s\S]*1 series, 2 instances/);
      // Each study keeps its own series: the CT study is not left with "0 series" and no modality (QA s32 D1).
      await expect.poll(() => table.locator('tbody tr').nth(3).innerText(), { timeout: IMPORT_TIMEOUT_MS }).toMatch(/2023-03-03[\s\S]*CT[\s\S]*CT FOLLOW-UP[\s\S]*1 series, 1 instance/);
      expect(await table.locator('tbody tr').first().innerText()).toMatch(/2026-01-10[\s\S]*CT[\s\S]*CT CHEST[\s\S]*1 series, 3 instances/);
    });

    await steps.run("the patient's page shows the imaging studies", async () => {
      await page.getByRole('table', { name: 'Studies' }).getByRole('link').first().click();
      const section = page.getByRole('region', { name: 'Imaging studies' });
      await section.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await expect.poll(() => section.locator('tbody tr').count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    });

    await steps.run('Patients finds the patient by a study description word and an accession number typed in part (tester T1 F9)', async () => {
      await goToArea(page, 'Patients');
      expect((await searchPatients(page, 'knee')).names).toEqual(['Varga, Petra']);
      expect((await searchPatients(page, 'ACCE2E')).names).toEqual(['Varga, Petra']);
      expect((await searchPatients(page, 'thorax ')).count).toBe(0);
    });

    await steps.run('A row found through a study names that study and links to it; a row found by name does not (H9)', async () => {
      const row = page.getByRole('region', { name: 'Search results' }).getByRole('listitem').first();
      await searchPatients(page, 'knee');
      await expect.poll(() => row.innerText(), { timeout: UI_TIMEOUT_MS }).toContain('Matched a study: ACC-E2E-2 · MR KNEE · 2025-03-01');
      expect(await row.getByRole('link', { name: 'Open study' }).getAttribute('href')).toMatch(/^#\/imaging\/studies\/.+/);
      // Typed in part, the accession number is the start of all four studies' numbers.
      await searchPatients(page, 'ACCE2E');
      await expect.poll(() => row.innerText(), { timeout: UI_TIMEOUT_MS }).toMatch(/Matched a study: ACC-E2E-\d · [^·]+ · \d{4}-\d{2}-\d{2} \(and 3 more\)/);
      expect((await searchPatients(page, 'varga')).rows[0]).not.toContain('Matched a study');
      await row.getByRole('link', { name: 'Open study' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    });

    await steps.run('Open study is reached with Tab from its row, says which study, and Enter opens it (keyboard users)', async () => {
      const row = page.getByRole('region', { name: 'Search results' }).getByRole('listitem').first();
      await searchPatients(page, 'knee');
      const open = row.getByRole('link', { name: 'Open study ACC-E2E-2 · MR KNEE · 2025-03-01', exact: true });
      await open.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      // From the search box, ArrowDown moves to the row (the list's one tab stop), Tab to its Open study.
      await page.getByRole('searchbox', { name: 'Search records' }).press('ArrowDown');
      await expect.poll(() => row.getByRole('link').first().evaluate((element) => element === document.activeElement), { timeout: UI_TIMEOUT_MS }).toBe(true);
      await page.keyboard.press('Tab');
      await expect.poll(() => open.evaluate((element) => element === document.activeElement), { timeout: UI_TIMEOUT_MS }).toBe(true);
      const href = await open.getAttribute('href');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => window.location.hash), { timeout: UI_TIMEOUT_MS }).toBe(href);
    });

    expect(consoleErrors).toEqual([]);
  });
});
