import { describe, expect, it, vi } from 'vitest';
import { startBody } from '../../electron/body';
import { windowOf } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * Body + mind: an access report exported as CSV that names a patient is an access to that
 * patient's data (it carries their name and what was done with their record), so the patient's
 * "Who accessed this record" lists it, as soon as it is signed, as it lists a view; a patient the
 * report does not name does not see it. The body journals, with the export, the ledger subjects of
 * the patients the report names (the ones it keeps beside the file).
 */
const exported = (rows: number): string => `Exported an access report (${rows} ${rows === 1 ? 'row' : 'rows'})`;

describe('"who accessed this record" lists the access reports exported that name the patient', () => {
  const tempDir = useTempDirs();

  it("a report of one patient, then a report of everyone: each named patient's list has them, another patient's only the one naming them; a rebuild gives the same", { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    // The ledger as the app runs it (verified at unlock).
    const { vault } = windowOf(body, undefined, {});
    await vault.ready();
    const { ledger } = vault;
    try {
      await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
      await vault.importDemoData(4);
      await vault.sync();
      const { patientIds } = await vault.search('');
      const [named, other, unseen] = patientIds;
      await vault.openPatient(named!);
      await vault.openPatient(other!);
      await ledger.flush();
      const opened = (await ledger.accessesOf(named!)).map((access) => access.what);
      expect(opened).toEqual(['Opened the patient']);

      // Her report (from her page), then everyone's (from the Ledger's Access report). Signed at
      // once after the export, as a view is, and the page's list is told (no flush asked for).
      let told = 0;
      const unsubscribe = ledger.subscribe(() => told++);
      const hers = await ledger.exportAccessReport({ patientId: named! });
      let list = await vi.waitFor(
        async () => {
          const shown = await ledger.accessesOf(named!);
          expect(shown).toHaveLength(2);
          return shown;
        },
        { timeout: 15_000, interval: 100 },
      );
      unsubscribe();
      expect(told).toBeGreaterThan(0);
      expect(list.map((access) => [access.operatorName, access.what])).toEqual([
        ['Ada Admin', exported(hers.rows)],
        ['Ada Admin', 'Opened the patient'],
      ]);
      expect(list[0]!.workstation).toMatch(/browser shell/);
      expect((await ledger.entry(list[0]!.seq))).toMatchObject({ kind: 'EXPORT', summary: { export: 'accessReport', 'patients named': 1 } });
      // Another patient's list: the report does not name him.
      expect((await ledger.accessesOf(other!)).map((access) => access.what)).toEqual(['Opened the patient']);

      const everyone = await ledger.exportAccessReport({});
      await ledger.flush();
      list = await ledger.accessesOf(named!);
      expect(list.map((access) => access.what)).toEqual([exported(everyone.rows), exported(hers.rows), 'Opened the patient']);
      expect((await ledger.accessesOf(other!)).map((access) => access.what)).toEqual([exported(everyone.rows), 'Opened the patient']);
      // A patient no row of it names (never opened): not in the report, so not an access.
      expect(await ledger.accessesOf(unseen!)).toEqual([]);
      // Her own access report lists the exports too.
      const report = await ledger.accessReport({ patientId: named! });
      expect(report.rows.map((row) => row.action)).toEqual(list.map((access) => access.what));

      // The same after the views are rebuilt from the journal.
      await vault.rebuildIndex();
      expect(await ledger.accessesOf(named!)).toEqual(list);
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
