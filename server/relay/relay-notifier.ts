import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Database, Queryable } from '../storage/database';

/**
 * "A message for this member was stored": how streams learn of new envelopes, through the database so
 * every server process on one PostgreSQL hears of every send.
 *
 *   PostgreSQL  NOTIFY hdms_relay, '<recipient address>' inside the send's transaction (delivered at
 *               commit, to every process LISTENing, this one included), on a connection of its own;
 *               if that connection drops it is made again and every stream re-reads its inbox
 *               (notifications in between are lost, the rows are not).
 *   PGlite      one process owns the database: an in-process event after the commit.
 *
 * Streams also re-read on every heartbeat, so a lost notification delays a message at most that long.
 */
export const RELAY_CHANNEL = 'hdms_relay';

export interface RelayNotifier {
  /** Inside the send's transaction. */
  publish(tx: Queryable, recipients: readonly string[]): Promise<void>;
  /** After that transaction committed. */
  committed(recipients: readonly string[]): void;
  start(onRecipient: (recipient: string) => void, onResync: () => void): Promise<void>;
  close(): Promise<void>;
}

export function relayNotifier(db: Database, onError: (error: unknown) => void): RelayNotifier {
  const pool = (db as Database & { pool?: pg.Pool }).pool;
  return db.kind === 'postgres' && pool !== undefined ? new PostgresNotifier(pool, onError) : new InProcessNotifier();
}

class InProcessNotifier implements RelayNotifier {
  private readonly events = new EventEmitter();

  async publish(): Promise<void> {}

  committed(recipients: readonly string[]): void {
    for (const recipient of recipients) this.events.emit('stored', recipient);
  }

  async start(onRecipient: (recipient: string) => void): Promise<void> {
    this.events.on('stored', onRecipient);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

class PostgresNotifier implements RelayNotifier {
  private client: pg.PoolClient | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void,
  ) {}

  async publish(tx: Queryable, recipients: readonly string[]): Promise<void> {
    if (recipients.length === 0) return;
    await tx.query(`SELECT pg_notify('${RELAY_CHANNEL}', r) FROM unnest(string_to_array($1, ',')) AS r`, [recipients.join(',')]);
  }

  committed(): void {}

  async start(onRecipient: (recipient: string) => void, onResync: () => void): Promise<void> {
    const connect = async (): Promise<void> => {
      const client = await this.pool.connect();
      if (this.closed) {
        client.release(true);
        return;
      }
      const lost = (error?: unknown): void => {
        if (this.client !== client) return;
        this.client = null;
        client.removeAllListeners('notification');
        client.release(true);
        if (error !== undefined) this.onError(error);
        schedule();
      };
      client.on('notification', (message) => {
        if (message.channel === RELAY_CHANNEL && message.payload !== undefined) onRecipient(message.payload);
      });
      client.on('error', lost);
      client.on('end', () => lost());
      this.client = client;
      await client.query(`LISTEN ${RELAY_CHANNEL}`);
    };
    const schedule = (): void => {
      if (this.closed || this.retry !== null) return;
      this.retry = setTimeout(() => {
        this.retry = null;
        connect().then(onResync, (error: unknown) => {
          this.onError(error);
          schedule();
        });
      }, 1_000);
      this.retry.unref();
    };
    await connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    client?.release(true);
  }
}
