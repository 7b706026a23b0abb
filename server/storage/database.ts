/**
 * The server's one storage interface (design §10): the same schema and the same SQL run on an
 * embedded PostgreSQL (PGlite, `pglite-database.ts`) and on a real PostgreSQL (`pg`,
 * `postgres-database.ts`). Services write plain PostgreSQL with $1… parameters and never learn which
 * one they run on.
 *
 * Values: parameters are strings, numbers, booleans, null, Uint8Array (bytea) or JSON text (cast
 * with `$n::jsonb`). Results: int8 (bigint) columns arrive as numbers (a bigint beyond 2^53), bytea
 * as Uint8Array, jsonb parsed, timestamps as Date, on both adapters.
 */
export type SqlValue = string | number | boolean | null | Uint8Array;
export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  readonly rows: R[];
  /** Rows returned, or changed by INSERT/UPDATE/DELETE. */
  readonly rowCount: number;
}

export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A session-level advisory lock this process holds until it releases it or loses its connection. */
export interface AdvisoryLock {
  /** Aborted when the lock is lost (its connection died) or released. */
  readonly signal: AbortSignal;
  release(): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction (READ COMMITTED), committed when it resolves and rolled back when it
   * throws. Inside, use only `tx`: on PGlite the database has one connection, and a query on the
   * outer handle would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Takes the session advisory lock `key` if nobody holds it, else null. On PostgreSQL it lives on a
   * connection of its own, so another process holding it (the log's sequencer, say) excludes this
   * one, and PostgreSQL releases it if this process dies. For a lock inside a transaction use
   * `lockInTransaction`.
   */
  tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  close(): Promise<void>;
}

/** The advisory lock keys in use, in one place so two services never share one by accident. */
export const ADVISORY_LOCKS = {
  migrations: 0x4844_0001,
  membership: 0x4844_0002,
} as const;

/** Takes a transaction-scoped advisory lock (released at commit or rollback): serializes writers. */
export async function lockInTransaction(tx: Queryable, key: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [key]);
}

/** PostgreSQL's SQLSTATE of an error from either adapter, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
