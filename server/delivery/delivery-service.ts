import type { MembershipService } from '../doorman/membership-service';
import { ApiProblem } from '../http/api-problem';
import type { Database, Queryable } from '../storage/database';
import { chunkCount, chunkLength, type ByteRange, type DeliveryCreate, type DeliveryStatus } from '../../shared/network/delivery';
import type { ChunkFile, DeliveryFiles } from './delivery-files';

/**
 * Deliveries (issue 15 item 5; routes and rules in shared/network/delivery.ts): the rows in the
 * database (migration 0007) and the chunks on disk (DeliveryFiles), and who may do what. Every
 * refusal is an ApiProblem with a fixed message; nothing here logs or echoes a delivery's bytes.
 */
export interface DeliveryLimits {
  /** A delivery is deleted this long after its creation. */
  readonly ttlMs: number;
  /** The largest blob accepted (413 delivery_too_large). */
  readonly maxBlobBytes: number;
  /** Bytes a sender may declare per UTC day (429 delivery_quota_exceeded). */
  readonly bytesPerDay: number;
  /** The largest chunk size a delivery may declare (at most MAX_CHUNK_SIZE). */
  readonly maxChunkBytes: number;
}

const DAY_MS = 24 * 3600_000;
/** A temporary chunk file older than this is left from a crash (real time: files' mtimes are). */
const STALE_PART_MS = 3600_000;

interface DeliveryRow {
  id: string;
  sender: string;
  recipient: string;
  purchase_id: string;
  size: number;
  sha256: string;
  chunk_size: number;
  chunk_count: number;
  state: 'uploading' | 'complete';
  created_at: number;
  completed_at: number | null;
  expires_at: number;
}

interface ChunkRow {
  chunk_index: number;
  size: number;
  sha256: string;
}

export type ChunkPut = { readonly duplicate: boolean; readonly sha256: string };

const notFound = (): ApiProblem => new ApiProblem('not_found', 'No such delivery.');

export class DeliveryService {
  /** Completions this process is hashing, by delivery id. */
  private readonly verifying = new Map<string, Promise<DeliveryStatus>>();

  constructor(
    private readonly db: Database,
    private readonly files: DeliveryFiles,
    private readonly membership: MembershipService,
    private readonly limits: DeliveryLimits,
    private readonly now: () => number,
  ) {}

  /** Creates a delivery from `sender`; a retried create with the same fields answers the stored one. */
  async create(sender: string, input: DeliveryCreate): Promise<{ readonly status: DeliveryStatus; readonly created: boolean }> {
    if (input.chunkSize > this.limits.maxChunkBytes) throw new ApiProblem('invalid_request', 'The chunk size is larger than this server accepts.');
    if (input.size > this.limits.maxBlobBytes) throw new ApiProblem('delivery_too_large', 'The delivery is larger than this server accepts.');
    if (input.recipient === sender) throw new ApiProblem('invalid_request', 'A delivery goes to another member.');
    const recipient = await this.membership.memberKey(input.recipient);
    if (recipient === null || recipient.status !== 'approved') throw new ApiProblem('invalid_request', 'The recipient is not an approved member.');
    const now = this.now();
    const count = chunkCount(input.size, input.chunkSize);
    const created = await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO deliveries (id, sender, recipient, purchase_id, size, sha256, chunk_size, chunk_count, state, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'uploading', $9, $10) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [input.id, sender, input.recipient, input.purchaseId, input.size, input.sha256, input.chunkSize, count, now, now + this.limits.ttlMs],
      );
      if (inserted.rowCount === 0) return false;
      if (input.size > this.limits.bytesPerDay) throw quotaExceeded();
      const usage = await tx.query(
        `INSERT INTO delivery_usage (sender, day_start, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (sender, day_start) DO UPDATE SET bytes = delivery_usage.bytes + EXCLUDED.bytes
         WHERE delivery_usage.bytes + EXCLUDED.bytes <= $4 RETURNING bytes`,
        [sender, now - (now % DAY_MS), input.size, this.limits.bytesPerDay],
      );
      if (usage.rowCount === 0) throw quotaExceeded();
      return true;
    });
    const row = await this.row(this.db, input.id);
    if (row === null) throw notFound();
    const same = row.sender === sender && row.recipient === input.recipient && row.purchase_id === input.purchaseId && row.size === input.size && row.sha256 === input.sha256 && row.chunk_size === input.chunkSize;
    if (!same) throw new ApiProblem('delivery_conflict', 'A delivery with this id exists with other fields.');
    return { status: await this.toStatus(this.db, row), created };
  }

  /** The delivery as its sender or recipient sees it. */
  async status(id: string, member: string): Promise<DeliveryStatus> {
    const row = await this.party(id, member);
    return this.toStatus(this.db, row);
  }

  async list(member: string, as: 'sender' | 'recipient', limit: number): Promise<DeliveryStatus[]> {
    const sql =
      as === 'sender'
        ? 'SELECT * FROM deliveries WHERE sender = $1 AND expires_at > $2 ORDER BY created_at DESC, id LIMIT $3'
        : "SELECT * FROM deliveries WHERE recipient = $1 AND expires_at > $2 AND state = 'complete' ORDER BY created_at DESC, id LIMIT $3";
    const rows = (await this.db.query<DeliveryRow & Record<string, unknown>>(sql, [member, this.now(), limit])).rows;
    const statuses: DeliveryStatus[] = [];
    for (const row of rows) statuses.push(await this.toStatus(this.db, row));
    return statuses;
  }

  /**
   * Checks that `member` may upload chunk `index` and that it is still needed. Answers the stored
   * chunk's hash when it is already there with these bytes (a retry), throws when with others.
   */
  async prepareChunk(id: string, member: string, index: number, declaredSha256: string): Promise<{ readonly length: number; readonly stored: boolean }> {
    const row = await this.live(this.db, id);
    if (row === null || row.sender !== member) throw notFound();
    if (index >= row.chunk_count) throw new ApiProblem('invalid_request', 'This delivery has no chunk with that index.');
    const existing = await this.chunk(this.db, id, index);
    if (existing !== null && existing.sha256 !== declaredSha256) throw new ApiProblem('delivery_conflict', 'The server holds other bytes for this chunk.');
    return { length: chunkLength(row.size, row.chunk_size, index), stored: existing !== null };
  }

  /** Records chunk `index`, whose file was written and fsynced as `file`. */
  async recordChunk(id: string, index: number, length: number, sha256: string, file: string): Promise<ChunkPut> {
    let inserted: number;
    try {
      inserted = (
        await this.db.query('INSERT INTO delivery_chunks (delivery_id, chunk_index, size, sha256, stored_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [id, index, length, sha256, this.now()])
      ).rowCount;
    } catch (error) {
      // The delivery was deleted (expired) while its chunk arrived: the foreign key refuses the row.
      if ((error as { code?: unknown }).code === '23503') {
        await this.files.removeFile(file);
        throw notFound();
      }
      throw error;
    }
    if (inserted === 1) return { duplicate: false, sha256 };
    const winner = await this.chunk(this.db, id, index);
    if (winner?.sha256 === sha256) return { duplicate: true, sha256 };
    // A concurrent upload stored other bytes first; ours has another file name, so it goes.
    await this.files.removeFile(file);
    throw new ApiProblem('delivery_conflict', 'The server holds other bytes for this chunk.');
  }

  /**
   * Every chunk there: hashes the blob from disk; completes it, or deletes it on a mismatch. A
   * second call while this process is still hashing the blob (a client that timed out and retried)
   * waits for the same hash instead of reading the blob again.
   */
  async complete(id: string, member: string): Promise<DeliveryStatus> {
    const row = await this.live(this.db, id);
    if (row === null || row.sender !== member) throw notFound();
    if (row.state === 'complete') return this.toStatus(this.db, row);
    const running = this.verifying.get(id);
    if (running !== undefined) return running;
    const verification = this.verify(id, row).finally(() => this.verifying.delete(id));
    this.verifying.set(id, verification);
    return verification;
  }

  private async verify(id: string, row: DeliveryRow): Promise<DeliveryStatus> {
    const chunks = await this.chunks(this.db, id);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    if (chunks.length !== row.chunk_count || bytes !== row.size) throw new ApiProblem('delivery_incomplete', 'Chunks of this delivery are missing.');
    const digest = await this.files.sha256(this.chunkFiles(id, chunks), row.size);
    if (digest !== row.sha256) {
      await this.delete(id);
      throw new ApiProblem('delivery_hash_mismatch', 'The uploaded bytes do not hash to the declared SHA-256; the delivery was deleted.');
    }
    await this.db.query("UPDATE deliveries SET state = 'complete', completed_at = $2 WHERE id = $1 AND state = 'uploading'", [id, this.now()]);
    const done = await this.live(this.db, id);
    if (done === null) throw notFound();
    return this.toStatus(this.db, done);
  }

  /** The recipient's view of a complete delivery: its size and chunk files in order. */
  async readable(id: string, member: string): Promise<{ readonly size: number; readonly chunkSize: number; readonly chunks: readonly (ChunkFile & { readonly sha256: string })[] }> {
    const row = await this.live(this.db, id);
    if (row === null || (row.recipient !== member && row.sender !== member)) throw notFound();
    if (row.recipient !== member) throw new ApiProblem('not_delivery_recipient', 'Only the recipient of a delivery may download it.');
    if (row.state !== 'complete') throw new ApiProblem('delivery_incomplete', 'This delivery is not complete yet.');
    const chunks = await this.chunks(this.db, id);
    const files = this.chunkFiles(id, chunks);
    return { size: row.size, chunkSize: row.chunk_size, chunks: files.map((file, i) => ({ ...file, sha256: chunks[i]!.sha256 })) };
  }

  /**
   * One chunk of a complete delivery, for its recipient: its file, size and SHA-256, read from that
   * chunk's row alone (a delivery of several GB has thousands of chunks, each fetched by itself).
   */
  async readableChunk(id: string, member: string, index: number): Promise<(ChunkFile & { readonly sha256: string }) | null> {
    const row = await this.live(this.db, id);
    if (row === null || (row.recipient !== member && row.sender !== member)) throw notFound();
    if (row.recipient !== member) throw new ApiProblem('not_delivery_recipient', 'Only the recipient of a delivery may download it.');
    if (row.state !== 'complete') throw new ApiProblem('delivery_incomplete', 'This delivery is not complete yet.');
    const chunk = await this.chunk(this.db, id, index);
    if (chunk === null) return null;
    const [file] = this.chunkFiles(id, [chunk]);
    return { ...file!, sha256: chunk.sha256 };
  }

  /** Reads bytes [range.start, range.end] of a readable delivery. */
  read(chunks: readonly ChunkFile[], range: ByteRange): AsyncGenerator<Buffer> {
    return this.files.read(chunks, range.start, range.end);
  }

  /** The sender or the recipient deletes a delivery (the recipient once it has the package). */
  async remove(id: string, member: string): Promise<void> {
    await this.party(id, member);
    await this.delete(id);
  }

  /** Deletes expired deliveries and folders whose row is gone; returns how many deliveries expired. */
  async sweep(): Promise<number> {
    const expired = await this.db.query<{ id: string }>('DELETE FROM deliveries WHERE expires_at <= $1 RETURNING id', [this.now()]);
    for (const { id } of expired.rows) await this.files.remove(id);
    const folders = await this.files.folders();
    if (folders.length > 0) {
      const live = new Set((await this.db.query<{ id: string }>('SELECT id FROM deliveries WHERE id = ANY($1::text[])', [`{${folders.join(',')}}`])).rows.map((row) => row.id));
      for (const folder of folders) {
        if (!live.has(folder)) await this.files.remove(folder);
        // A chunk being written lives at most the request timeout; older temporary files are a crash's.
        else await this.files.removeStaleParts(folder, Date.now() - STALE_PART_MS);
      }
    }
    const today = this.now() - (this.now() % DAY_MS);
    await this.db.query('DELETE FROM delivery_usage WHERE day_start < $1', [today - DAY_MS]);
    return expired.rowCount;
  }

  private async delete(id: string): Promise<void> {
    await this.db.query('DELETE FROM deliveries WHERE id = $1', [id]);
    await this.files.remove(id);
  }

  private async party(id: string, member: string): Promise<DeliveryRow> {
    const row = await this.live(this.db, id);
    if (row === null || (row.sender !== member && row.recipient !== member)) throw notFound();
    return row;
  }

  private async row(q: Queryable, id: string): Promise<DeliveryRow | null> {
    return (await q.query<DeliveryRow & Record<string, unknown>>('SELECT * FROM deliveries WHERE id = $1', [id])).rows[0] ?? null;
  }

  /** The row while it has not expired (the sweep may not have run yet). */
  private async live(q: Queryable, id: string): Promise<DeliveryRow | null> {
    const row = await this.row(q, id);
    return row !== null && row.expires_at > this.now() ? row : null;
  }

  private async chunk(q: Queryable, id: string, index: number): Promise<ChunkRow | null> {
    return (await q.query<ChunkRow & Record<string, unknown>>('SELECT chunk_index, size, sha256 FROM delivery_chunks WHERE delivery_id = $1 AND chunk_index = $2', [id, index])).rows[0] ?? null;
  }

  private async chunks(q: Queryable, id: string): Promise<ChunkRow[]> {
    return (await q.query<ChunkRow & Record<string, unknown>>('SELECT chunk_index, size, sha256 FROM delivery_chunks WHERE delivery_id = $1 ORDER BY chunk_index', [id])).rows;
  }

  private chunkFiles(id: string, chunks: readonly ChunkRow[]): ChunkFile[] {
    return chunks.map((chunk) => ({ file: this.files.chunkFile(id, chunk.chunk_index, chunk.sha256), size: chunk.size }));
  }

  private async toStatus(q: Queryable, row: DeliveryRow): Promise<DeliveryStatus> {
    // Runs of consecutive indexes, counted by the database (a 64 GiB blob in 64 KiB chunks has a
    // million rows; an upload in order is one run).
    const runs = await q.query<{ first: number; last: number; bytes: number }>(
      `SELECT min(chunk_index) AS first, max(chunk_index) AS last, sum(size)::bigint AS bytes
       FROM (SELECT chunk_index, size, chunk_index - row_number() OVER (ORDER BY chunk_index) AS run FROM delivery_chunks WHERE delivery_id = $1) AS indexed
       GROUP BY run ORDER BY first`,
      [row.id],
    );
    return {
      id: row.id,
      sender: row.sender,
      recipient: row.recipient,
      purchaseId: row.purchase_id,
      size: row.size,
      sha256: row.sha256,
      chunkSize: row.chunk_size,
      chunkCount: row.chunk_count,
      state: row.state,
      received: runs.rows.map((run) => [run.first, run.last + 1] as [number, number]),
      receivedBytes: runs.rows.reduce((sum, run) => sum + run.bytes, 0),
      createdAt: row.created_at,
      completedAt: row.completed_at,
      expiresAt: row.expires_at,
    };
  }
}

function quotaExceeded(): ApiProblem {
  return new ApiProblem('delivery_quota_exceeded', 'This member has declared as many delivery bytes today as the server allows.');
}
