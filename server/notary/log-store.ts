import { parseSignatureLine, addSignatures } from '../../shared/transparency/note';
import { assembleProof, inclusionProofPlan, type NodeId, type ProofPlan } from '../../shared/transparency/proof';
import { encodeHash } from '../../shared/transparency/wire';
import type { TreeHashReader } from '../../shared/transparency/tree-store';
import type { Queryable } from '../storage/database';

/**
 * Reading the log from the database: perfect-subtree hashes in one batched query (a TreeHashReader),
 * inclusion proofs for many leaves at once, and the newest checkpoint with the cosignatures witnesses
 * posted for it. Shared by the routes, the notary's answers and the sequencer.
 */

/** Advisory locks of the notary (session lock of the one sequencer; per-node transaction locks in the two-key space). */
export const LOG_SEQUENCER_LOCK = 0x4844_0010;
export const NOTARY_NODE_LOCK_CLASS = 0x4844_0011;

export class DbTreeReader implements TreeHashReader {
  constructor(private readonly db: Queryable) {}

  async readHashes(nodes: readonly NodeId[]): Promise<readonly Uint8Array[]> {
    if (nodes.length === 0) return [];
    const keys = [...new Set(nodes.map((node) => `${node.level}:${node.index}`))];
    const wanted = JSON.stringify(keys.map((key) => ({ l: Number(key.split(':')[0]), i: Number(key.split(':')[1]) })));
    const result = await this.db.query<{ level: number; idx: number; hash: Uint8Array }>(
      'SELECT n.level, n.idx, n.hash FROM log_nodes n JOIN jsonb_to_recordset($1::jsonb) AS w(l int, i bigint) ON n.level = w.l AND n.idx = w.i',
      [wanted],
    );
    const found = new Map(result.rows.map((row) => [`${row.level}:${row.idx}`, row.hash]));
    return nodes.map((node) => {
      const hash = found.get(`${node.level}:${node.index}`);
      if (hash === undefined) throw new Error(`the log has no stored subtree (${node.level}, ${node.index})`);
      return hash;
    });
  }
}

/** Inclusion proofs of several leaves in the tree of `size` leaves, from one read. */
export async function inclusionProofs(reader: TreeHashReader, leafIndexes: readonly number[], size: number): Promise<string[][]> {
  const plans: ProofPlan[] = leafIndexes.map((index) => inclusionProofPlan(index, size));
  const all = plans.flatMap((plan) => plan.nodes);
  const hashes = await reader.readHashes(all);
  let offset = 0;
  return plans.map((plan) => {
    const slice = hashes.slice(offset, offset + plan.nodes.length);
    offset += plan.nodes.length;
    return assembleProof(plan, slice).map(encodeHash);
  });
}

export interface StoredCheckpoint {
  readonly size: number;
  /** The note with the log's signature and every cosignature received for it. */
  readonly note: string;
  readonly cosignatures: number;
}

export async function logSize(db: Queryable): Promise<number> {
  const result = await db.query<{ size: number }>('SELECT size FROM log_state WHERE id = 1');
  return result.rows[0]?.size ?? 0;
}

/** The checkpoint of `size` (or the newest), with its cosignatures attached; null if none. */
export async function readCheckpoint(db: Queryable, size?: number): Promise<StoredCheckpoint | null> {
  const head =
    size === undefined
      ? await db.query<{ size: number; note: string }>('SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1')
      : await db.query<{ size: number; note: string }>('SELECT size, note FROM log_checkpoints WHERE size = $1', [size]);
  const row = head.rows[0];
  if (row === undefined) return null;
  const lines = await db.query<{ line: string }>('SELECT line FROM log_cosignatures WHERE size = $1 ORDER BY member', [row.size]);
  const note = lines.rows.length === 0 ? row.note : addSignatures(row.note, lines.rows.map((r, i) => parseSignatureLine(r.line, i + 1)));
  return { size: row.size, note, cosignatures: lines.rows.length };
}
