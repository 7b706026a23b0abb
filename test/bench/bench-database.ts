import type { Database } from '../../server/storage/database';
import { migrate } from '../../server/storage/migrations';
import { openPGliteDatabase } from '../../server/storage/pglite-database';
import { openPostgresDatabase } from '../../server/storage/postgres-database';
import { findPostgresBin, startPostgresCluster } from '../server/support/postgres-cluster';

export interface BenchDatabase {
  readonly db: Database;
  /** Which database the figures are of, in words for the bench's output. */
  readonly where: string;
  close(): Promise<void>;
}

/**
 * The network server's benchmarks' database, migrated: a throwaway real PostgreSQL cluster (fsync
 * off, as in the tests) when the binaries are here, else PGlite — and the output says which, since
 * the issue's figures are PostgreSQL's.
 */
export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  const bin = findPostgresBin();
  if (bin === null) {
    const db = await openPGliteDatabase();
    await migrate(db);
    return { db, where: "PGlite — real PostgreSQL is NOT available here (no binaries: apt-get install postgresql), so these are not the issue's PostgreSQL figures", close: () => db.close() };
  }
  const cluster = await startPostgresCluster(bin);
  const db = await openPostgresDatabase({ connectionString: await cluster.createDatabase(name), max: 20 });
  await migrate(db);
  return {
    db,
    where: 'real PostgreSQL (throwaway cluster, fsync off)',
    close: async () => {
      await db.close();
      await cluster.stop();
    },
  };
}
