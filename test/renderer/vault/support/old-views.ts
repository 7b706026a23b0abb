import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { openVaultDb, viewDbName, type VaultDb } from '../../../../renderer/vault/views/vault-db';

/**
 * A views database as an older schema left it, opened as today's: the database `name` is created
 * (in a fresh fake-indexeddb) at schema `version` with its `stores`, holding `rows` (table → rows,
 * put in this order), then opened with openVaultDb, which runs every upgrade since.
 */
export async function openedAfterUpgrade(name: string, version: number, stores: Readonly<Record<string, string>>, rows: Readonly<Record<string, readonly object[]>>): Promise<VaultDb> {
  const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
  const old = new Dexie(viewDbName(name), deps);
  old.version(version).stores(stores);
  await old.open();
  for (const [table, items] of Object.entries(rows)) await old.table(table).bulkPut([...items]);
  old.close();
  return openVaultDb(name, deps);
}
