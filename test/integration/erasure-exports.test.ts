import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startBody } from '../../electron/body';
import { windowOf } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * Body + mind (issue 11, security audit): an access report the app wrote into `<data>/exports/`
 * that names a patient is a copy of their data; erasing the patient removes it, and only it (a
 * report about someone else stays), and the erasure's record says how many went.
 */
describe('erasure: access reports the app wrote that name the patient', () => {
  const tempDir = useTempDirs();

  it('are listed before, removed by the erasure (a report of the patient, a report of everyone), others kept; the ERASURE entry counts them', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    // The ledger as the app runs it (verified at unlock).
    const { vault } = windowOf(body, undefined, {});
    await vault.ready();
    try {
      await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
      await vault.importDemoData(4);
      await vault.sync();
      const { patientIds } = await vault.search('');
      const [erased, kept] = await vault.patientHits(patientIds.slice(0, 2));
      await vault.openPatient(erased!.patientId);
      await vault.openPatient(kept!.patientId);

      const hers = await vault.ledger.exportAccessReport({ patientId: erased!.patientId });
      const his = await vault.ledger.exportAccessReport({ patientId: kept!.patientId });
      const everyone = await vault.ledger.exportAccessReport({});
      const family = erased!.name.split(',')[0]!;
      expect(await readFile(hers.path, 'utf8')).toContain(family);
      expect(await readFile(everyone.path, 'utf8')).toContain(family);
      expect(await readFile(his.path, 'utf8')).not.toContain(family);
      const exportsDir = path.dirname(hers.path);
      expect(exportsDir).toBe(path.join(dataDir, 'exports'));

      expect(await vault.erasurePreview(erased!.patientId)).toEqual({ quarantined: 0, reports: 2 });
      await vault.erasePatient(erased!.patientId);

      const left = await readdir(exportsDir);
      expect(left).toContain(path.basename(his.path));
      expect(left).not.toContain(path.basename(hers.path));
      expect(left).not.toContain(path.basename(everyone.path));
      // Nothing in the folder names her any more (nor its hidden records of whom each report names).
      for (const name of left) expect((await readFile(path.join(exportsDir, name), 'utf8')).includes(family), name).toBe(false);
      expect(left.filter((name) => name.includes(path.basename(hers.path)) || name.includes(path.basename(everyone.path)))).toEqual([]);
      expect(await vault.erasurePreview(kept!.patientId)).toEqual({ quarantined: 0, reports: 1 });

      // The erasure's record says how many reports went (the ERASURE ledger entry, counts only).
      const entry = await vi.waitFor(
        async () => {
          await vault.sync();
          const entries = await vault.ledger.entries({ kinds: ['ERASURE'] }, { limit: 5 });
          expect(entries).toHaveLength(1);
          return entries[0]!;
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(entry.summary).toMatchObject({ 'access reports removed': 2 });
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
