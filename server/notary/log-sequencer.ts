import { toBase64, utf8 } from '../../shared/transparency/bytes';
import { signCheckpoint } from '../../shared/transparency/checkpoint';
import { CompactTree } from '../../shared/transparency/compact-tree';
import { leafHash } from '../../shared/transparency/hash';
import { frontierNodes } from '../../shared/transparency/proof';
import { receiptMessage } from '../../shared/network/notary';
import type { AdvisoryLock, Database, Queryable } from '../storage/database';
import type { LogKey } from './log-key';
import { DbTreeReader, LOG_SEQUENCER_LOCK } from './log-store';

/**
 * The sequencer: moves accepted entries (notary_pending, in acceptance order) into the log. Exactly
 * one process sequences at a time: every server process tries PostgreSQL's session advisory lock
 * LOG_SEQUENCER_LOCK; the holder integrates, the others only accept and queue (and take over within
 * `acquireEveryMs` when the holder dies: PostgreSQL drops a dead session's lock).
 *
 * One integration is one transaction: lock the log_state row, read up to `maxBatch` pending entries,
 * append their leaf hashes to the in-memory compact tree (rebuilt from the stored frontier when the
 * size is not the one it knows), write the leaves with their signed receipts, every completed
 * subtree, the new size (compare-and-set on the old one, so a sequencer that lost its lock without
 * noticing cannot write), a checkpoint signed by the log key, and delete the pending rows (these
 * writes in one statement). A crash anywhere before COMMIT leaves the pending rows for the next
 * sequencer; after it, the receipts are in the database. No leaf index is used twice: it is the table's primary key and follows the size.
 */
export interface SequencerOptions {
  /** Longest time between two integrations while entries wait (default 250 ms). */
  readonly intervalMs?: number;
  /** Shortest time between two integrations (default 20 ms): a burst of submissions shares one. */
  readonly minIntervalMs?: number;
  /** How often a process without the lock tries to take it (default 1 s). */
  readonly acquireEveryMs?: number;
  /** Most entries per integration (default 5,000). */
  readonly maxBatch?: number;
  readonly now?: () => number;
  /** Told after every committed integration (local waiters answer at once). */
  readonly onIntegrated?: () => void;
  readonly onError?: (error: unknown) => void;
}

interface PendingRow {
  id: number;
  node: string;
  seq: number;
  entry_digest: string;
  line: string;
  [key: string]: unknown;
}

export class LogSequencer {
  #lock: AdvisoryLock | null = null;
  #tree: CompactTree | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;
  #woken = false;
  #loop: Promise<void> | null = null;
  readonly #options: Required<Omit<SequencerOptions, 'onIntegrated' | 'onError'>> & Pick<SequencerOptions, 'onIntegrated' | 'onError'>;

  constructor(
    private readonly db: Database,
    private readonly key: LogKey,
    options: SequencerOptions = {},
  ) {
    this.#options = {
      intervalMs: options.intervalMs ?? 250,
      minIntervalMs: options.minIntervalMs ?? 20,
      acquireEveryMs: options.acquireEveryMs ?? 1000,
      maxBatch: options.maxBatch ?? 5000,
      now: options.now ?? Date.now,
      onIntegrated: options.onIntegrated,
      onError: options.onError,
    };
  }

  /** Whether this process sequences now. */
  get sequencing(): boolean {
    return this.#lock !== null && !this.#lock.signal.aborted;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Entries were accepted: integrate soon (after minIntervalMs). */
  poke(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.#lock?.release().catch(() => undefined);
    this.#lock = null;
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (!this.sequencing) {
          if (this.#lock !== null) await this.#lock.release().catch(() => undefined);
          this.#lock = await this.db.tryAdvisoryLock(LOG_SEQUENCER_LOCK);
          this.#tree = null;
          if (this.#lock === null) {
            await this.#sleep(this.#options.acquireEveryMs);
            continue;
          }
        }
        const started = this.#options.now();
        this.#woken = false;
        const integrated = await this.integrateOnce();
        if (integrated > 0) this.#options.onIntegrated?.();
        // A full batch: go again at once; otherwise wait for a poke (at least minIntervalMs) or the interval.
        if (integrated >= this.#options.maxBatch) continue;
        const elapsed = this.#options.now() - started;
        await this.#sleep(Math.max(0, this.#options.minIntervalMs - elapsed));
        if (!this.#woken) await this.#sleep(Math.max(0, this.#options.intervalMs - this.#options.minIntervalMs));
      } catch (error) {
        this.#tree = null;
        this.#options.onError?.(error);
        await this.#sleep(this.#options.intervalMs);
      }
    }
  }

  /** One integration; returns how many entries became leaves. Public for tests and the bench. */
  async integrateOnce(): Promise<number> {
    let next: CompactTree | null = null;
    const count = await this.db.transaction(async (tx) => {
      const state = await tx.query<{ size: number }>('SELECT size FROM log_state WHERE id = 1 FOR UPDATE');
      const size = state.rows[0]!.size;
      const pending = await tx.query<PendingRow>('SELECT id, node, seq, entry_digest, line FROM notary_pending ORDER BY id LIMIT $1', [this.#options.maxBatch]);
      if (pending.rows.length === 0) return 0;
      const tree = this.#tree !== null && this.#tree.size === size ? this.#tree.clone() : await this.#resume(tx, size);
      const now = this.#options.now();
      const nodes: { l: number; i: number; h: string }[] = [];
      const leaves: Record<string, unknown>[] = [];
      const onNode = (level: number, index: number, hash: Uint8Array): void => {
        nodes.push({ l: level, i: index, h: Buffer.from(hash).toString('hex') });
      };
      for (const row of pending.rows) {
        const hash = leafHash(utf8(row.line));
        const leafIndex = tree.size;
        tree.append(hash, onNode);
        const signature = this.key.sign(receiptMessage({ origin: this.key.origin, leafIndex, leafHash: toBase64(hash), node: row.node, seq: row.seq, entryDigest: row.entry_digest, integratedAt: now }));
        leaves.push({ i: leafIndex, h: Buffer.from(hash).toString('hex'), line: row.line, node: row.node, seq: row.seq, d: row.entry_digest, s: Buffer.from(signature).toString('hex') });
      }
      const note = signCheckpoint({ origin: this.key.origin, size: tree.size, rootHash: tree.root(), extensions: [] }, [this.key.noteSigner]);
      // Every write of the integration in one statement (data-modifying CTEs): one round trip
      // instead of five, which is most of an integration's time under load.
      const moved = await tx.query(
        `WITH leaves AS (
           INSERT INTO log_leaves (leaf_index, leaf_hash, line, node, seq, entry_digest, integrated_at, receipt_signature)
           SELECT x.i, decode(x.h, 'hex'), x.line, x.node, x.seq, x.d, $4, decode(x.s, 'hex') FROM jsonb_to_recordset($1::jsonb) AS x(i bigint, h text, line text, node text, seq bigint, d text, s text)
         ), nodes AS (
           INSERT INTO log_nodes (level, idx, hash) SELECT x.l, x.i, decode(x.h, 'hex') FROM jsonb_to_recordset($2::jsonb) AS x(l int, i bigint, h text)
         ), integrated AS (
           DELETE FROM notary_pending WHERE id IN (SELECT (jsonb_array_elements_text($3::jsonb))::bigint)
         ), checkpoint AS (
           INSERT INTO log_checkpoints (size, note, created_at) VALUES ($5, $6, $4)
         )
         UPDATE log_state SET size = $5 WHERE id = 1 AND size = $7`,
        [JSON.stringify(leaves), JSON.stringify(nodes), JSON.stringify(pending.rows.map((row) => row.id)), now, tree.size, note, size],
      );
      if (moved.rowCount !== 1) throw new Error('the log grew under this sequencer (another one holds the lock)');
      next = tree;
      return pending.rows.length;
    });
    if (next !== null) this.#tree = next;
    return count;
  }

  async #resume(tx: Queryable, size: number): Promise<CompactTree> {
    const hashes = await new DbTreeReader(tx).readHashes(frontierNodes(size));
    return CompactTree.fromFrontier(size, hashes);
  }
}
