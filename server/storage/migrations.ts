import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ADVISORY_LOCKS, lockInTransaction, type Database } from './database';

/**
 * Versioned schema migrations in plain SQL: `migrations/NNNN-name.sql`, applied in order, each once,
 * recorded in `schema_migrations` with the SHA-256 of its text. Every server process runs `migrate`
 * at start; a transaction-scoped advisory lock makes concurrent starts on one PostgreSQL take turns.
 * A database that has a migration this code does not know (a newer server wrote it), or whose applied
 * migration's text has changed since, is refused: never guess about a schema.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly sha256: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_RE = /^(\d{4})-([a-z0-9-]+)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_RE.exec(file);
      if (match === null) throw new Error(`migration file ${file} is not named NNNN-name.sql`);
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return { version: Number(match[1]), name: match[2]!, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) throw new Error(`migrations must be numbered 1, 2, 3… without gaps (found ${migration.version} at position ${i + 1})`);
  });
  return migrations;
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** Applies the migrations the database lacks; returns the versions applied now. */
export async function migrate(db: Database, migrations: readonly Migration[] = loadMigrations(), now: () => number = Date.now): Promise<number[]> {
  return db.transaction(async (tx) => {
    await lockInTransaction(tx, ADVISORY_LOCKS.migrations);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at bigint NOT NULL)');
    const applied = await tx.query<{ version: number; name: string; sha256: string }>('SELECT version, name, sha256 FROM schema_migrations ORDER BY version');
    const known = new Map(migrations.map((migration) => [migration.version, migration]));
    for (const row of applied.rows) {
      const migration = known.get(row.version);
      if (migration === undefined) throw new SchemaError(`the database has schema migration ${row.version} (${row.name}), which this server does not know: it was written by a newer server`);
      if (migration.sha256 !== row.sha256) throw new SchemaError(`schema migration ${row.version} (${row.name}) was changed after the database applied it`);
    }
    const done = new Set(applied.rows.map((row) => row.version));
    const now_ = now();
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES ($1, $2, $3, $4)', [migration.version, migration.name, migration.sha256, now_]);
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}
