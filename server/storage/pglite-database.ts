import { PGlite } from '@electric-sql/pglite';
import type { AdvisoryLock, Database, QueryResult, Queryable, Row, SqlValue } from './database';

/**
 * The embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) in this process, its files in
 * `dataDir` (or in memory). One connection: PGlite runs one query at a time and queues the rest, and
 * a transaction holds it to the end. Opening a new folder runs initdb (about 5 s on 2 cores);
 * reopening one takes about 1 s.
 *
 * Only one process may open a folder: `acquireDataDirLock` (server/storage/data-dir-lock.ts) keeps a
 * second server out, and the members CLI talks to a running server through its admin socket.
 */
export interface PGliteOptions {
  /** A folder, or undefined for memory. */
  readonly dataDir?: string;
  /** A tar of a data folder (PGlite.dumpDataDir) to start from: tests use a migrated template. */
  readonly loadDataDir?: Blob;
}

function wrap(target: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<R>> {
      const result = await target.query<R>(sql, [...params]);
      // PGlite already gives int8 as a number while exact (a bigint beyond): postgres-database.ts matches it.
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

export async function openPGliteDatabase(options: PGliteOptions = {}): Promise<Database & { readonly pglite: PGlite }> {
  const pglite = await PGlite.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  const outer = wrap(pglite);
  // One process, one session: advisory locks are kept here (PostgreSQL's would all belong to the same session).
  const held = new Map<number, AbortController>();
  return {
    kind: 'pglite',
    pglite,
    query: outer.query,
    exec: outer.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction(async (tx) => fn(wrap(tx)));
    },
    async tryAdvisoryLock(key: number): Promise<AdvisoryLock | null> {
      if (held.has(key)) return null;
      const controller = new AbortController();
      held.set(key, controller);
      return {
        signal: controller.signal,
        release: async () => {
          if (held.get(key) === controller) held.delete(key);
          controller.abort();
        },
      };
    },
    async close(): Promise<void> {
      for (const controller of held.values()) controller.abort();
      held.clear();
      await pglite.close();
    },
  };
}
