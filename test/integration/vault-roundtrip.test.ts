import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { VaultError, type VaultService } from '../../renderer/vault/vault-service';
import { useTempDirs } from '../support/temp-dir';
import { dumpAllDatabases } from '../renderer/vault/support/idb-dump';
import { inProcessTransport } from '../support/in-process-transport';

/**
 * Body + mind together, in one process: the real body (startBody, temp data dir) behind an
 * in-process transport, and the real VaultService on fake-indexeddb. The journey of issue 3:
 * create → demo import → sync → search → patient page (audited) → lock → wrong and right unlock →
 * rebuild identical → backup → restore into a fresh data dir and fresh IndexedDB with the
 * recovery key → same search results → erase a patient.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const ITERATIONS = 1000;


async function startNode(dataDir: string): Promise<{ body: Body; vault: VaultService & { ready(): Promise<void> }; factory: IDBFactory }> {
  const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
  const transport = inProcessTransport(body);
  const factory = new IDBFactory();
  const vault = createVaultService({
    api: createApiClient(transport),
    transport,
    host: 'shell',
    indexedDB: factory,
    IDBKeyRange,
    testOnlyPbkdf2Iterations: ITERATIONS,
  });
  await vault.ready();
  return { body, vault, factory };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/** Everything a search page shows for a query: ids in order and their decrypted summary rows. */
async function searchPage(vault: VaultService, query: string) {
  const { patientIds } = await vault.search(query);
  return { patientIds, hits: await vault.patientHits(patientIds) };
}

const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '');

describe('vault round trip: body + mind', () => {
  const tempDir = useTempDirs();

  it('create → import → search → audit → lock/unlock → rebuild → backup/restore → erase', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const node = await startNode(dataDir);
    const { vault, body } = node;
    const api = createApiClient(inProcessTransport(body));
    try {
      expect(vault.phase()).toBe('absent');
      const { recoveryKey } = await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
      expect(vault.phase()).toBe('unlocked');

      const progress: number[] = [];
      const imported = await vault.importDemoData(25, (done) => progress.push(done));
      expect(imported.patients).toBe(25);
      expect(imported.messages).toBeGreaterThan(25);
      const synced = await vault.sync();
      expect(synced.done).toBe(true);

      // Search: family name with and without diacritics, MRN, LOINC code.
      const everyone = await searchPage(vault, '');
      expect(everyone.patientIds).toHaveLength(25);
      const accented = everyone.hits.find((h) => fold(h.name) !== h.name) ?? everyone.hits[0]!;
      const family = accented.name.split(',')[0]!;
      const byName = await vault.search(family);
      expect(byName.patientIds).toContain(accented.patientId);
      expect((await vault.search(fold(family).toLowerCase())).patientIds).toEqual(byName.patientIds);
      const mrn = accented.identifier.split(' ')[0]!;
      expect((await vault.search(mrn)).patientIds).toEqual([accented.patientId]);

      // Patient page: records newest first, an audited access event in the journal.
      const before = (await api.journal.read({ after: 0, limit: 5000 })).records.filter((r) => r.kind === 'view.access').length;
      const detail = await vault.openPatient(accented.patientId);
      expect(detail.records.length).toBeGreaterThan(0);
      const times = detail.records.map((r) => r.time);
      expect([...times].sort().reverse()).toEqual(times);
      const accessEvents = (await api.journal.read({ after: 0, limit: 5000 })).records.filter((r) => r.kind === 'view.access');
      expect(accessEvents.length).toBe(before + 1);
      expect(accessEvents.at(-1)!.operator).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const lab = detail.records.find((r) => r.record.type === 'observation' && r.record.category === 'laboratory')!;
      const loinc = lab.record.type === 'observation' ? lab.record.code.code : '';
      expect((await vault.search(loinc)).patientIds).toContain(accented.patientId);

      // Lock; wrong passphrase (with a delay), throttled retry, then the right passphrase.
      vault.lock();
      expect(vault.phase()).toBe('locked');
      const [admin] = await vault.operators();
      const wrong = await vault.unlock({ operatorId: admin!.operatorId, passphrase: 'not my passphrase at all' }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(VaultError);
      expect((wrong as VaultError).code).toBe('E_WRONG_PASSPHRASE');
      expect((wrong as VaultError).retryAfterMs).toBeGreaterThan(0);
      const throttled = await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE }).catch((e: unknown) => e);
      expect((throttled as VaultError).code).toBe('E_THROTTLED');
      await new Promise((resolve) => setTimeout(resolve, (throttled as VaultError).retryAfterMs + 50));
      await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
      expect(vault.phase()).toBe('unlocked');

      // Rebuild gives identical results.
      const queries = ['', family, fold(family), mrn, loinc, fold(family).slice(0, 3)];
      const snapshot = async () => Promise.all(queries.map((q) => searchPage(vault, q)));
      const beforeRebuild = await snapshot();
      const detailBefore = await vault.openPatient(accented.patientId);
      await vault.rebuildIndex();
      expect(await snapshot()).toEqual(beforeRebuild);
      expect(await vault.openPatient(accented.patientId)).toEqual(detailBefore);

      // Nothing readable at rest: data folder and IndexedDB.
      const secrets = everyone.hits.flatMap((h) => [h.name.split(',')[0]!, h.identifier.split(' ')[0]!, h.birthDate]).filter((s) => s.length >= 4);
      const idbDump = await dumpAllDatabases(node.factory);
      for (const secret of secrets) expect(idbDump.includes(secret)).toBe(false);
      for (const file of await filesUnder(dataDir)) {
        const text = (await readFile(file)).toString('latin1');
        for (const secret of secrets) expect(text.includes(secret), `${path.relative(dataDir, file)} holds a known value`).toBe(false);
      }

      // Backup, then restore into a fresh data dir and a fresh IndexedDB with the recovery key.
      const backup = await vault.exportBackup();
      expect((await stat(backup.path)).size).toBe(backup.bytes);
      const restoredDir = await tempDir();
      const second = await startNode(restoredDir);
      try {
        expect(second.vault.phase()).toBe('absent');
        await second.vault.restoreBackup({ path: backup.path, secret: { recoveryKey } });
        expect(second.vault.phase()).toBe('unlocked');
        expect(second.vault.currentOperator()?.name).toBe('Ada Admin');
        for (const [index, query] of queries.entries()) expect(await searchPage(second.vault, query)).toEqual(beforeRebuild[index]);
        second.vault.lock();
        await second.vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
      } finally {
        second.vault.lock();
        await second.body.stop('quit');
      }

      // Erase a patient: gone from search, ERASURE event present and PHI-free.
      await vault.erasePatient(accented.patientId);
      expect((await vault.search(mrn)).patientIds).toEqual([]);
      expect((await vault.search('')).patientIds).not.toContain(accented.patientId);
      const journal = (await api.journal.read({ after: 0, limit: 5000 })).records;
      const erasure = journal.filter((r) => r.kind === 'erasure.patient');
      expect(erasure).toHaveLength(1);
      expect(journal.some((r) => r.kind === 'erased')).toBe(true);
      await vault.rebuildIndex();
      expect((await vault.search(mrn)).patientIds).toEqual([]);
      expect((await vault.search('')).patientIds).toHaveLength(24);
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
