import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { Database } from '../../../server/storage/database';
import { loadMigrations, migrate } from '../../../server/storage/migrations';
import { openPGliteDatabase } from '../../../server/storage/pglite-database';
import { openPostgresDatabase } from '../../../server/storage/postgres-database';
import { REPO_ROOT } from '../../support/repo-paths';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from './postgres-cluster';

/**
 * The two databases every server suite runs on (issue 10): PGlite and a real PostgreSQL. In a test
 * file:
 *
 *   const databases = useTestDatabases();
 *   describe.each(databases.variants)('$label', (variant) => {
 *     … const db = await databases.open(variant.kind) …       (a fresh, migrated database)
 *   });
 *
 * Without PostgreSQL binaries the PostgreSQL variant is skipped with the reason in its name, unless
 * CI=true: there it runs and fails, because CI installs them and must not pass by skipping.
 *
 * Cost: PGlite's first open (initdb in WebAssembly) takes about 5 s, so one migrated template is made
 * per machine and schema (`pgliteTemplate`) and each suite loads a copy of it (about 1.5 s); the cluster starts once per file
 * (initdb + pg_ctl, about 2 s) and each suite gets a database of its own.
 */
export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseVariant {
  readonly kind: DatabaseKind;
  readonly label: string;
  readonly skip: boolean;
}

const bin = findPostgresBin();
const inCi = process.env.CI === 'true';
const postgresMissing = bin === null ? 'no PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin; apt-get install postgresql)' : null;

export const DATABASE_VARIANTS: readonly DatabaseVariant[] = [
  { kind: 'pglite', label: 'on PGlite', skip: false },
  postgresMissing !== null && !inCi
    ? { kind: 'postgres', label: `on PostgreSQL (skipped: ${postgresMissing})`, skip: true }
    : { kind: 'postgres', label: 'on PostgreSQL', skip: false },
];

let template: Promise<Blob> | null = null;

/**
 * A migrated empty PGlite, as a tar of its data folder. Made once per machine and schema: cached in
 * the temp folder under a name that hashes the PGlite version and every migration, written to a
 * temporary name and renamed, so parallel test files at worst make it twice. It holds nothing but
 * an empty schema.
 */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
    const hash = createHash('sha256').update(version);
    for (const migration of loadMigrations()) hash.update(`\n${migration.version}:${migration.sha256}`);
    const file = path.join(os.tmpdir(), `hdms-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
    try {
      return new Blob([readFileSync(file)]);
    } catch {
      // not made yet on this machine
    }
    const db = await openPGliteDatabase();
    try {
      await migrate(db);
      const blob = (await db.pglite.dumpDataDir('none')) as Blob;
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, new Uint8Array(await blob.arrayBuffer()));
      renameSync(temp, file);
      return blob;
    } finally {
      await db.close();
    }
  })();
  return template;
}

export interface TestDatabases {
  readonly variants: readonly DatabaseVariant[];
  /** A fresh migrated database of this kind, closed after the file. */
  open(kind: DatabaseKind): Promise<Database>;
  /** A fresh empty PostgreSQL database's URL (for child processes), dropped with the cluster. */
  postgresUrl(): Promise<string>;
}

export function useTestDatabases(): TestDatabases {
  let cluster: Promise<PostgresCluster> | null = null;
  let counter = 0;
  const opened: Database[] = [];
  afterAll(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close().catch(() => undefined)));
    if (cluster !== null) await (await cluster.catch(() => null))?.stop();
  }, 60_000);
  const postgresUrl = async (): Promise<string> => {
    if (bin === null) throw new Error(`PostgreSQL is required here (CI=true) but there are ${postgresMissing}`);
    cluster ??= startPostgresCluster(bin);
    return (await cluster).createDatabase(`suite_${process.pid}_${++counter}`);
  };
  return {
    variants: DATABASE_VARIANTS,
    postgresUrl,
    async open(kind) {
      let db: Database;
      if (kind === 'pglite') {
        db = await openPGliteDatabase({ loadDataDir: await pgliteTemplate() });
      } else {
        db = await openPostgresDatabase({ connectionString: await postgresUrl() });
        await migrate(db);
      }
      opened.push(db);
      return db;
    },
  };
}
