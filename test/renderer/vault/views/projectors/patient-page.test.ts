import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { decryptField } from '../../../../../shared/crypto/field-cipher';
import { deriveVaultKeys, generateMasterSecret } from '../../../../../shared/crypto/vault-keys';
import { generateDemoMessages } from '../../../../../electron/intake/demo/demo-population';
import { buildIntakeRows, type IntakeRows } from '../../../../../renderer/vault/views/intake-rows';
import { PatientPage } from '../../../../../renderer/vault/views/projectors/patient-projector';
import { TaskSlicer } from '../../../../../renderer/vault/views/task-slices';
import { TokenCache } from '../../../../../renderer/vault/views/token-cache';
import { openVaultDb, type VaultDb } from '../../../../../renderer/vault/views/vault-db';

/**
 * A write page's prepare() (merging each patient's demographics into the stored row and encrypting
 * it) does its patients in slices (task-slices.ts): a page of 2,048 records names a thousand
 * patients and more, and doing them all in one go held the main thread for 100 ms and more.
 */

async function pageRows(keys: Awaited<ReturnType<typeof deriveVaultKeys>>, tokens: TokenCache, count: number, seed: number): Promise<IntakeRows[]> {
  const rows: IntakeRows[] = [];
  for (const demo of generateDemoMessages({ patients: count, seed, now: new Date('2026-01-01T00:00:00Z') })) {
    rows.push(await buildIntakeRows(keys, tokens, { seq: rows.length + 1, kind: 'intake.demo', objects: [], intake: demo.normalized, receivedAt: '2026-01-01T00:00:00Z' }));
    if (rows.length === count) break;
  }
  return rows;
}

async function writePage(db: VaultDb, page: PatientPage, chunk: number): Promise<void> {
  await db.transaction('rw', [db.patients, db.records, db.postings, db.directory, db.messages, db.meta, db.consents, db.aliases, db.merges], async () => {
    await page.write(db, chunk);
  });
}

async function patientsOf(db: VaultDb, viewKey: CryptoKey) {
  const rows = await db.patients.toArray();
  return Promise.all(rows.map(async (row) => ({ id: row.id, tokens: row.tokens, value: await decryptField(viewKey, { table: 'patients', id: row.id }, row.enc) })));
}

describe('PatientPage.prepare', () => {
  it('yields to the event loop between groups of patients, and writes the same rows as in one go', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const tokens = new TokenCache(keys.indexKey);
    // Two pages: the second merges into the rows the first stored (decrypt, merge, encrypt).
    const first = await pageRows(keys, tokens, 100, 7);
    const second = await pageRows(keys, tokens, 100, 7);
    const build = async (slicer?: TaskSlicer) => {
      const db = openVaultDb(`patient-page-${slicer === undefined ? 'whole' : 'sliced'}`, { indexedDB: new IDBFactory(), IDBKeyRange });
      for (const [index, rows] of [first, second].entries()) {
        const page = new PatientPage(keys.viewKey, keys.directoryKey, tokens, slicer);
        for (const row of rows) page.add(row);
        await page.prepare(db);
        await writePage(db, page, index * 1000 + 1);
      }
      return db;
    };
    let now = 0;
    let yields = 0;
    // Every clock reading moves 4 ms on: a slice of 12 ms ends after about every third group (of
    // PREPARE_GROUP patients; ~33 patients in each page, whose second page decrypts them too).
    const sliced = await build(new TaskSlicer(12, async () => void yields++, () => (now += 4)));
    expect(yields).toBeGreaterThanOrEqual(2 * 3);
    const whole = await build();
    const slicedPatients = await patientsOf(sliced, keys.viewKey);
    expect(slicedPatients.length).toBeGreaterThan(5);
    expect(slicedPatients).toEqual(await patientsOf(whole, keys.viewKey));
  });
});
