import pg from 'pg';
import type { AdvisoryLock, Database, QueryResult, Queryable, Row, SqlValue } from './database';

/**
 * A real PostgreSQL through `pg` (a connection pool): how the network scales (design §10). Several
 * server processes may share one database; advisory locks taken here live on a connection of their
 * own, so PostgreSQL releases them when this process dies.
 */
export interface PostgresOptions {
  readonly connectionString: string;
  /** Pool size (default 10). */
  readonly max?: number;
}

const INT8_OID = 20;

/** int8 as a number while it is exact, else a bigint: what PGlite does, so both adapters agree. */
function parseInt8(value: string): number | bigint {
  const big = BigInt(value);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

function toParams(params: readonly SqlValue[]): unknown[] {
  // pg sends a Buffer as bytea; a plain Uint8Array would be sent as text.
  return params.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value));
}

function fromRow<R extends Row>(row: R): R {
  // bytea arrives as Buffer; give callers plain Uint8Array like PGlite does.
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (Buffer.isBuffer(value)) (row as Row)[key] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}

function wrap(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<R>> {
      const result = await target.query<R>({ text: sql, values: toParams(params), types: typeParsers });
      return { rows: result.rows.map(fromRow), rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await target.query(sql);
    },
  };
}

export async function openPostgresDatabase(options: PostgresOptions): Promise<Database & { readonly pool: pg.Pool }> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10, types: typeParsers });
  // An idle client's error (the server restarted, the network dropped) must not crash the process;
  // the next query on the pool gets a fresh connection or its own error.
  pool.on('error', () => undefined);
  // Fail now, with the connection's own error, rather than at the first request.
  const probe = await pool.connect();
  probe.release();
  const outer = wrap(pool);
  const locks = new Set<{ release(): Promise<void> }>();
  return {
    kind: 'postgres',
    pool,
    query: outer.query,
    exec: outer.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
        client.release(broken);
      }
    },
    async tryAdvisoryLock(key: number): Promise<AdvisoryLock | null> {
      const client = await pool.connect();
      let got = false;
      try {
        const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
        got = result.rows[0]?.locked === true;
      } finally {
        if (!got) client.release();
      }
      if (!got) return null;
      const controller = new AbortController();
      const onError = (): void => controller.abort();
      client.on('error', onError);
      const lock = {
        signal: controller.signal,
        release: async (): Promise<void> => {
          if (!locks.delete(lock)) return;
          client.off('error', onError);
          // A connection that failed is destroyed, not pooled (its lock went with it).
          let broken: Error | undefined = controller.signal.aborted ? new Error('the advisory lock connection was lost') : undefined;
          if (broken === undefined) {
            try {
              await client.query('SELECT pg_advisory_unlock($1)', [key]);
            } catch (error) {
              broken = error as Error;
            }
          }
          controller.abort();
          client.release(broken);
        },
      };
      locks.add(lock);
      return lock;
    },
    async close(): Promise<void> {
      for (const lock of [...locks]) await lock.release();
      await pool.end();
    },
  };
}
