import { Dexie } from 'dexie';
import { IDBKeyRange } from 'fake-indexeddb';

/** Every row of every table of every database of one IDBFactory, as JSON text (bytes as latin1). */
export async function dumpAllDatabases(factory: IDBFactory): Promise<string> {
  const names = (await factory.databases()).map((d) => d.name!).sort();
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const name of names) {
    const db = new Dexie(name, { indexedDB: factory, IDBKeyRange });
    await db.open();
    out[name] = {};
    for (const table of db.tables) out[name][table.name] = await table.toArray();
    db.close();
  }
  return JSON.stringify(out, (_key, value: unknown) =>
    value instanceof Uint8Array ? `bytes:${Buffer.from(value).toString('latin1')}` : value,
  );
}
