import type { Page } from 'playwright-core';

/**
 * Every record of every IndexedDB database of the page's origin, read from inside the page (so
 * through the browser's own decoding, whatever the on-disk format) and flattened to bytes: strings
 * as UTF-8, binary values (ArrayBuffer, typed arrays, Blobs) as their raw bytes, numbers, dates
 * and booleans as text. Primary keys, index keys and store names are included. The result is fed
 * to the same needle scan as the files on disk.
 */

export interface StoreDump {
  readonly database: string;
  readonly store: string;
  readonly records: number;
}

export interface IndexedDbDump {
  readonly stores: readonly StoreDump[];
  /** The flattened records, database after database. */
  readonly bytes: Buffer;
}

export async function dumpIndexedDb(page: Page): Promise<IndexedDbDump> {
  const result = await page.evaluate(async () => {
    const chunks: Uint8Array[] = [];
    const encoder = new TextEncoder();
    const text = (value: string): void => {
      chunks.push(encoder.encode(value));
    };
    const pending: Array<Promise<void>> = [];
    const seen = new WeakSet<object>();
    const flatten = (value: unknown): void => {
      if (value === null || value === undefined) return text('\u0000');
      if (typeof value === 'string') return text(`\u0001${value}\u0001`);
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return text(`\u0002${String(value)}`);
      if (value instanceof Date) return text(`\u0003${value.toISOString()}`);
      if (value instanceof ArrayBuffer) return void chunks.push(new Uint8Array(value.slice(0)));
      if (ArrayBuffer.isView(value)) return void chunks.push(new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)));
      if (value instanceof Blob) {
        const slot = chunks.length;
        chunks.push(new Uint8Array(0));
        pending.push(value.arrayBuffer().then((buffer) => void (chunks[slot] = new Uint8Array(buffer))));
        return;
      }
      if (typeof value === 'object') {
        if (seen.has(value)) return;
        seen.add(value);
        if (value instanceof Map) {
          for (const [k, v] of value) {
            flatten(k);
            flatten(v);
          }
          return;
        }
        if (value instanceof Set || Array.isArray(value)) {
          for (const item of value) flatten(item);
          return;
        }
        for (const [k, v] of Object.entries(value)) {
          text(`\u0004${k}=`);
          flatten(v);
        }
        return;
      }
      text(String(value));
    };
    const request = <T>(req: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });

    const stores: Array<{ database: string; store: string; records: number }> = [];
    const databases = await indexedDB.databases();
    for (const info of databases) {
      if (info.name === undefined) continue;
      const open = indexedDB.open(info.name);
      // Opening without a version never upgrades; an unexpected upgrade means the database vanished.
      open.onupgradeneeded = () => open.transaction?.abort();
      const db = await request(open);
      try {
        text(`\u0005database=${db.name}`);
        for (const storeName of [...db.objectStoreNames]) {
          text(`\u0006store=${storeName}`);
          const tx = db.transaction(storeName, 'readonly');
          const store = tx.objectStore(storeName);
          for (const indexName of [...store.indexNames]) text(`\u0007index=${indexName}`);
          let records = 0;
          await new Promise<void>((resolve, reject) => {
            const cursorRequest = store.openCursor();
            cursorRequest.onerror = () => reject(cursorRequest.error);
            cursorRequest.onsuccess = () => {
              const cursor = cursorRequest.result;
              if (cursor === null) return resolve();
              records++;
              flatten(cursor.primaryKey);
              flatten(cursor.value);
              cursor.continue();
            };
          });
          // Index keys: what a multiEntry or compound index holds (derived from the values, but cheap to include).
          for (const indexName of [...store.indexNames]) {
            await new Promise<void>((resolve, reject) => {
              const keyRequest = store.index(indexName).openKeyCursor();
              keyRequest.onerror = () => reject(keyRequest.error);
              keyRequest.onsuccess = () => {
                const cursor = keyRequest.result;
                if (cursor === null) return resolve();
                flatten(cursor.key);
                cursor.continue();
              };
            });
          }
          stores.push({ database: db.name, store: storeName, records });
        }
      } finally {
        db.close();
      }
    }
    await Promise.all(pending);
    // Base64 in slices: a large dump must not build one giant argument list.
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    let binary = '';
    for (let i = 0; i < all.length; i += 0x8000) binary += String.fromCharCode(...all.subarray(i, i + 0x8000));
    return { stores, base64: btoa(binary) };
  });
  return { stores: result.stores, bytes: Buffer.from(result.base64, 'base64') };
}
