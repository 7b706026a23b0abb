import { Dexie } from 'dexie';
import { IDBKeyRange } from 'fake-indexeddb';

async function allRows(factory: IDBFactory): Promise<Record<string, Record<string, unknown[]>>> {
  const names = (await factory.databases()).map((d) => d.name!).sort();
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const name of names) {
    const db = new Dexie(name, { indexedDB: factory, IDBKeyRange });
    await db.open();
    out[name] = {};
    for (const table of db.tables) out[name][table.name] = await table.toArray();
    db.close();
  }
  return out;
}

/** Every row of every table of every database of one IDBFactory, as JSON text (bytes as latin1). */
export async function dumpAllDatabases(factory: IDBFactory): Promise<string> {
  return JSON.stringify(await allRows(factory), (_key, value: unknown) => (value instanceof Uint8Array ? `bytes:${Buffer.from(value).toString('latin1')}` : value));
}

/**
 * The same rows in two parts: `text`, the JSON with every byte array replaced by its length, and
 * `bytes`, every byte array's content as latin1, one after another. Sealed rows are random bytes,
 * and random bytes hold any short string now and then (a given 4 bytes: about once per 4 GiB per
 * offset; a few MiB of dump and a dozen secrets make that a flake a few runs in a thousand): a
 * short secret is looked for in `text` only, a long one in both.
 */
export async function dumpAllDatabasesParts(factory: IDBFactory): Promise<{ readonly text: string; readonly bytes: string }> {
  const pieces: string[] = [];
  const text = JSON.stringify(await allRows(factory), (_key, value: unknown) => {
    if (!(value instanceof Uint8Array)) return value;
    pieces.push(Buffer.from(value).toString('latin1'));
    return `bytes(${value.length})`;
  });
  return { text, bytes: pieces.join('\u0000') };
}
