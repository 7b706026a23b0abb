import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../support/free-port';

const run = promisify(execFile);

/**
 * A throwaway real PostgreSQL for the server's tests (issue 10: every server suite also runs on a
 * real PostgreSQL). initdb into a temporary folder and `pg_ctl start` on a free port, both as the
 * `postgres` user through `runuser` when we are root (PostgreSQL refuses to run as root), torn down
 * with `pg_ctl stop -m immediate` and the folder removed. One cluster per test file; one database
 * per suite (`createDatabase`). fsync is off: these clusters hold nothing worth keeping.
 *
 * The binaries: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's `postgresql`,
 * which .ci/run installs).
 */
export function findPostgresBin(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(path.join(fromEnv, 'pg_ctl')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'initdb')) && existsSync(path.join(root, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], 'bin');
}

export interface PostgresCluster {
  readonly port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdms-pg-'));
  const dataDir = path.join(dir, 'data');
  const pgCommand = (program: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args]) : run(path.join(bin, program), args));
  if (asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) await pgCommand('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    started = false;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pgCommand('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
    await pgCommand('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
    started = true;
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      port,
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError('database names here are lower-case identifiers');
        const client = new pg.Client({ connectionString: admin });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
