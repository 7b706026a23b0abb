import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { verifyAccessReport } from '../../electron/ledger/access-report-verify';
import { instanceElements, part10File } from '../electron/intake/dicom/dicom-test-support';
import { windowOf } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * Body + mind: each study opened is its own row of the patient's "Who accessed this record"
 * (issue 12), and the row says which study (H6 finding 4: two studies read alike). The ledger entry
 * holds no study detail; the row's words are resolved on this computer from the sealed details and
 * the study view, as the patient's name is.
 */
describe('"who accessed this record" says which imaging study was opened', () => {
  const tempDir = useTempDirs();

  it('two studies of one patient opened: two rows with each study\'s date, modality and description; the entry\'s summary names none', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const { api, vault } = windowOf(body, undefined, {});
    await vault.ready();
    const { ledger } = vault;
    try {
      await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
      await vault.importDemoData(2);
      await vault.sync();
      const [patientId] = (await vault.search('')).patientIds;
      const { patient } = await vault.openPatient(patientId!);
      const id = patient.identifiers[0]!;
      const study = (n: number, fields: { studyDate: string; modality: string; studyDescription: string }) =>
        Buffer.from(
          part10File(instanceElements({ sopInstanceUid: `2.25.9${n}.1.1`, studyInstanceUid: `2.25.9${n}`, seriesInstanceUid: `2.25.9${n}.1`, patientId: id.value, issuer: id.authority, ...fields })),
        ).toString('base64url');
      const imported = await api.dicom.importFiles({
        files: [{ bytes: study(1, { studyDate: '20260114', modality: 'CT', studyDescription: 'CT HEAD' }) }, { bytes: study(2, { studyDate: '20260302', modality: 'MR', studyDescription: 'MR KNEE LEFT' }) }],
      });
      expect(imported.results.map((result) => result.outcome)).toEqual(['stored', 'stored']);
      await vault.sync();
      const studies = await vault.patientStudies(patientId!);
      expect(studies).toHaveLength(2);
      for (const { studyId } of [...studies].reverse()) await vault.openStudy(studyId);
      await ledger.flush();

      const list = await ledger.accessesOf(patientId!);
      expect(list.map((access) => access.what)).toEqual(['Opened an imaging study (2026-03-02, MR, MR KNEE LEFT)', 'Opened an imaging study (2026-01-14, CT, CT HEAD)', 'Opened the patient']);
      // The signed entry's summary (what the views keep in the clear) names no study.
      for (const access of list.slice(0, 2)) {
        const entry = await ledger.entry(access.seq);
        expect(entry?.summary).toMatchObject({ opened: 'imaging study' });
        expect(JSON.stringify(entry)).not.toMatch(/KNEE|HEAD|2\.25\.9/);
      }

      // The Ledger's access report (and its printable form) and the CSV say what the page says (issue 11: the CSV said only "Opened an imaging study").
      const words = list.map((access) => access.what);
      expect((await ledger.accessReport({ patientId: patientId! })).rows.map((row) => row.action)).toEqual(words);
      const exported = await ledger.exportAccessReport({ patientId: patientId! });
      const csv = await readFile(exported.path, 'utf8');
      expect((parseCsv(csv, { columns: true, bom: true }) as { action: string }[]).map((row) => row.action)).toEqual(words);
      // npm run access-report:verify passes on it, and refuses it with one study's words edited.
      await ledger.flush();
      const ledgerFile = await ledger.exportLedger();
      expect(await verifyAccessReport(exported.path, ledgerFile.path)).toMatchObject({ ok: true, rows: 3 });
      const edited = path.join(dataDir, 'edited-access-report.csv');
      await writeFile(edited, csv.replace('MR KNEE LEFT', 'MR KNEE RIGHT'));
      expect(await verifyAccessReport(edited, ledgerFile.path)).toMatchObject({ ok: false, problems: [{ line: 0, problem: expect.stringMatching(/^no signed EXPORT entry holds this file's SHA-256/) }] });
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
