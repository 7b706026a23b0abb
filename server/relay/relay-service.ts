import { envelopeSize, RELAY_MAX_PAGE, type RelayEnvelope, type RelaySent } from '../../shared/network/relay';
import { REQUEST_WINDOW_MS } from '../../shared/network/signed-request';
import { ApiProblem } from '../http/api-problem';
import { sqlState, type Database, type Queryable } from '../storage/database';
import type { RelayNotifier } from './relay-notifier';

/**
 * The relay's store (issue 10 item 9; the envelope and the routes are documented in
 * shared/network/relay.ts). Envelopes are stored as received, one row per recipient, until the
 * recipient acks them or they expire; the server reads only their routing fields and size.
 *
 * A send is checked whole before anything is written (each refusal a typed 4xx, nothing stored):
 *   every envelope from the signer                           invalid_request
 *   each ciphertext within the network's maxMessageSize      payload_too_large (413)
 *   createdAt within ±5 minutes of our clock, expiresAt
 *   ahead and within the relay's longest TTL                 invalid_request
 *   no (recipient, id) twice in one request                  invalid_request
 *   every recipient an approved member, holding the
 *   broadcast role when the envelope names one               unknown_member (403)
 * then written in one transaction that also adds to the sender's hourly usage; over the quota of
 * messages or bytes per hour the transaction rolls back: rate_limited (429), nothing stored. An
 * envelope a recipient already holds (same id: a retried send) is not stored again nor counted.
 * Each recipient's messages are numbered by its mailbox row, locked to the end of the transaction,
 * so they become visible in seq order and a cursor never passes one still being committed.
 */
export interface RelayQuota {
  readonly messagesPerHour: number;
  readonly bytesPerHour: number;
}

export interface RelayServiceOptions {
  readonly now: () => number;
  readonly maxMessageSize: number;
  readonly maxTtlMs: number;
  readonly quota: RelayQuota;
}

export interface PendingRow {
  readonly seq: number;
  /** The envelope's JSON as stored. */
  readonly envelope: string;
  readonly size: number;
}

const HOUR_MS = 3600_000;
const DEADLOCK_DETECTED = '40P01';

export class RelayService {
  constructor(
    private readonly db: Database,
    private readonly notifier: RelayNotifier,
    private readonly options: RelayServiceOptions,
  ) {}

  async send(sender: string, envelopes: readonly RelayEnvelope[]): Promise<RelaySent> {
    const now = this.options.now();
    const seen = new Set<string>();
    for (const envelope of envelopes) {
      if (envelope.from !== sender) throw new ApiProblem('invalid_request', 'Every envelope must be from the member who signs the request.');
      const size = envelopeSize(envelope);
      if (size > this.options.maxMessageSize) throw new ApiProblem('payload_too_large', 'A message is larger than the network\'s maximum message size.');
      if (Math.abs(envelope.createdAt - now) > REQUEST_WINDOW_MS) throw new ApiProblem('invalid_request', 'A message\'s createdAt is more than 5 minutes from the server\'s clock.');
      if (envelope.expiresAt <= now || envelope.expiresAt - now > this.options.maxTtlMs) throw new ApiProblem('invalid_request', 'A message\'s expiresAt is in the past or beyond the relay\'s longest time to live.');
      const key = `${envelope.to}/${envelope.id}`;
      if (seen.has(key)) throw new ApiProblem('invalid_request', 'The same message is addressed twice to one recipient.');
      seen.add(key);
    }
    const recipients = [...new Set(envelopes.map((envelope) => envelope.to))];
    const members = await this.db.query<{ address: string; roles: string }>("SELECT address, roles FROM members WHERE status = 'approved' AND address = ANY(string_to_array($1, ','))", [recipients.join(',')]);
    const roles = new Map(members.rows.map((row) => [row.address, new Set(row.roles.split(','))]));
    for (const envelope of envelopes) {
      const held = roles.get(envelope.to);
      if (held === undefined) throw new ApiProblem('unknown_member', 'A recipient is not an approved member of the network.');
      if (envelope.role !== null && !held.has(envelope.role)) throw new ApiProblem('unknown_member', 'A recipient of a broadcast does not hold its role.');
    }
    const window = Math.floor(now / HOUR_MS) * HOUR_MS;
    const stored = await this.withDeadlockRetry(() =>
      this.db.transaction(async (tx) => {
        const seqs = await this.allocate(tx, envelopes);
        const inserted = await this.insert(tx, envelopes, seqs, now);
        if (inserted.size > 0) {
          const storedBytes = envelopes.filter((e) => inserted.has(`${e.to}/${e.id}`)).reduce((sum, e) => sum + envelopeSize(e), 0);
          const usage = await tx.query<{ messages: number; bytes: number }>(
            'INSERT INTO relay_usage (member, window_start, messages, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (member, window_start) DO UPDATE SET messages = relay_usage.messages + EXCLUDED.messages, bytes = relay_usage.bytes + EXCLUDED.bytes RETURNING messages, bytes',
            [sender, window, inserted.size, storedBytes],
          );
          const used = usage.rows[0]!;
          if (used.messages > this.options.quota.messagesPerHour || used.bytes > this.options.quota.bytesPerHour) throw new ApiProblem('rate_limited', 'This member\'s hourly relay quota is spent; retry in the next hour.');
          await this.notifier.publish(tx, [...new Set(envelopes.filter((e) => inserted.has(`${e.to}/${e.id}`)).map((e) => e.to))]);
        }
        return inserted;
      }),
    );
    const delivered = [...new Set(envelopes.filter((e) => stored.has(`${e.to}/${e.id}`)).map((e) => e.to))];
    if (delivered.length > 0) this.notifier.committed(delivered);
    return {
      stored: stored.size,
      duplicates: envelopes.filter((e) => !stored.has(`${e.to}/${e.id}`)).map((e) => ({ id: e.id, to: e.to })),
    };
  }

  /**
   * Hands out each recipient's next sequence numbers, locking its mailbox row until the transaction
   * ends (recipients in one order, so two sends never wait on each other in a cycle). Returns the seq
   * of every `to/id`.
   */
  private async allocate(tx: Queryable, envelopes: readonly RelayEnvelope[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const envelope of envelopes) counts.set(envelope.to, (counts.get(envelope.to) ?? 0) + 1);
    const recipients = [...counts.keys()].sort();
    const values: (string | number)[] = [];
    const rows = recipients.map((recipient, i) => {
      values.push(recipient, counts.get(recipient)!);
      return `($${2 * i + 1}, $${2 * i + 2}::bigint)`;
    });
    const result = await tx.query<{ recipient: string; last_seq: number }>(
      `INSERT INTO relay_mailboxes (recipient, last_seq) VALUES ${rows.join(', ')} ON CONFLICT (recipient) DO UPDATE SET last_seq = relay_mailboxes.last_seq + EXCLUDED.last_seq RETURNING recipient, last_seq`,
      values,
    );
    const next = new Map(result.rows.map((row) => [row.recipient, row.last_seq - counts.get(row.recipient)! + 1]));
    const seqs = new Map<string, number>();
    for (const envelope of envelopes) {
      const seq = next.get(envelope.to)!;
      next.set(envelope.to, seq + 1);
      seqs.set(`${envelope.to}/${envelope.id}`, seq);
    }
    return seqs;
  }

  private async insert(tx: Queryable, envelopes: readonly RelayEnvelope[], seqs: ReadonlyMap<string, number>, now: number): Promise<Set<string>> {
    const inserted = new Set<string>();
    // Multi-row inserts of at most 500 rows (10 parameters each, well under PostgreSQL's 65,535).
    for (let start = 0; start < envelopes.length; start += 500) {
      const chunk = envelopes.slice(start, start + 500);
      const values: (string | number | null)[] = [];
      const rows = chunk.map((envelope, i) => {
        values.push(envelope.to, seqs.get(`${envelope.to}/${envelope.id}`)!, envelope.id, envelope.from, envelope.role, envelopeSize(envelope), envelope.createdAt, envelope.expiresAt, now, JSON.stringify(envelope));
        const p = i * 10;
        return `(${Array.from({ length: 10 }, (_, k) => `$${p + k + 1}`).join(', ')})`;
      });
      const result = await tx.query<{ recipient: string; message_id: string }>(
        `INSERT INTO relay_messages (recipient, seq, message_id, sender, role, size, created_at, expires_at, received_at, envelope) VALUES ${rows.join(', ')} ON CONFLICT (recipient, message_id) DO NOTHING RETURNING recipient, message_id`,
        values,
      );
      for (const row of result.rows) inserted.add(`${row.recipient}/${row.message_id}`);
    }
    return inserted;
  }

  /** PostgreSQL may still pick a send as a deadlock victim (lock order inside one statement is its own); it is tried again. */
  private async withDeadlockRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (sqlState(error) !== DEADLOCK_DETECTED || attempt >= 3) throw error;
      }
    }
  }

  /** Pending, unexpired messages for `recipient` after `after`, in arrival order. */
  async pending(recipient: string, after: number, limit: number): Promise<PendingRow[]> {
    const result = await this.db.query<{ seq: number; envelope: string; size: number }>(
      'SELECT seq, envelope, size FROM relay_messages WHERE recipient = $1 AND seq > $2 AND expires_at > $3 ORDER BY seq LIMIT $4',
      [recipient, after, this.options.now(), Math.min(limit, RELAY_MAX_PAGE)],
    );
    return result.rows.map((row) => ({ seq: row.seq, envelope: row.envelope, size: row.size }));
  }

  /** `pending` for several (recipient, cursor) pairs in one query: one page per pair, in pair order. */
  async pendingFor(cursors: readonly { readonly recipient: string; readonly after: number }[], limit: number): Promise<PendingRow[][]> {
    const out: PendingRow[][] = cursors.map(() => []);
    if (cursors.length === 0) return out;
    const result = await this.db.query<{ i: number; seq: number; envelope: string; size: number }>(
      `SELECT c.i::int AS i, x.seq, x.envelope, x.size
         FROM unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[]) WITH ORDINALITY AS c(recipient, after, i)
         CROSS JOIN LATERAL (SELECT seq, envelope, size FROM relay_messages m
                              WHERE m.recipient = c.recipient AND m.seq > c.after AND m.expires_at > $3
                              ORDER BY m.seq LIMIT $4) x
        ORDER BY c.i, x.seq`,
      [cursors.map((c) => c.recipient).join(','), cursors.map((c) => String(c.after)).join(','), this.options.now(), Math.min(limit, RELAY_MAX_PAGE)],
    );
    for (const row of result.rows) out[row.i - 1]!.push({ seq: row.seq, envelope: row.envelope, size: row.size });
    return out;
  }

  /** Deletes the signer's delivered messages by id; returns how many went. */
  async ack(recipient: string, ids: readonly string[]): Promise<number> {
    const result = await this.db.query('DELETE FROM relay_messages WHERE recipient = $1 AND message_id = ANY(string_to_array($2, \',\'))', [recipient, ids.join(',')]);
    return result.rowCount;
  }

  /** Deletes expired messages and usage windows older than the last hour; returns messages deleted. */
  async prune(): Promise<number> {
    const now = this.options.now();
    const result = await this.db.query('DELETE FROM relay_messages WHERE expires_at <= $1', [now]);
    await this.db.query('DELETE FROM relay_usage WHERE window_start < $1', [now - 2 * HOUR_MS]);
    return result.rowCount;
  }
}
