import { GENESIS_PREV_HASH, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { exportLine } from '../../shared/ledger/ledger-export-format';
import type { MembershipStatus } from '../../shared/network/api';
import {
  CONSUMING_KINDS,
  type ConsumingKind,
  MAX_FUTURE_SKEW_MS,
  consumedInputs,
  parseSubmissionEntries,
  type Notarized,
  type NotaryRefusalCode,
  type NotaryResult,
  type NotaryResults,
  type NotarySignedEntry,
  type Refused,
} from '../../shared/network/notary';
import { toBase64 } from '../../shared/transparency/bytes';
import type { Database, Queryable } from '../storage/database';
import { checkEntrySignatures, type EntryCheckItem, type EntryCheckResult } from './entry-check-pool';
import type { LogKey } from './log-key';
import { DbTreeReader, inclusionProofs, NOTARY_NODE_LOCK_CLASS, readCheckpoint } from './log-store';

/**
 * The notary's acceptance (issue 10 item 5; the checks and their order are documented in
 * shared/network/notary.ts). A submission is checked entry by entry; what passes the stateless
 * checks (schema, member, signature, time) is checked against the node's chain and the consumed
 * inputs in ONE transaction, under a per-node transaction advisory lock (two processes accepting
 * for the same node take turns), and queued in notary_pending. The answer waits until the
 * sequencer integrated the accepted entries (polling the leaves, or told at once by the local
 * sequencer) and carries each one's receipt and inclusion proof to the newest checkpoint.
 *
 * Nothing is written for a refused entry, except a fork: the entry the network has for that seq
 * and the validly signed other one are both kept in notary_forks.
 */
export interface NotaryOptions {
  readonly chainId: number;
  readonly now?: () => number;
  /** How long an answer waits for integration before saying `queued` (default 10 s). */
  readonly receiptWaitMs?: number;
  /** How often waiters look for integrated leaves written by another process's sequencer (default 100 ms). */
  readonly pollMs?: number;
  /** Kinds whose inputs are consumed, with their keys' prefix (default CONSUMING_KINDS). */
  readonly consumingKinds?: ReadonlyMap<string, ConsumingKind>;
  /** Where digests and signatures are checked (an EntryCheckPool; default this thread). */
  readonly checks?: { check(items: readonly EntryCheckItem[]): Promise<readonly EntryCheckResult[]> };
}

interface Candidate {
  readonly index: number;
  readonly signed: NotarySignedEntry;
  readonly digest: string;
  readonly line: string;
}

interface ExistingRow {
  seq: number;
  entry_digest: string;
  line: string;
  [key: string]: unknown;
}

interface LeafRow {
  leaf_index: number;
  leaf_hash: Uint8Array;
  line: string;
  node: string;
  seq: number;
  entry_digest: string;
  integrated_at: number;
  receipt_signature: Uint8Array;
  [key: string]: unknown;
}

const MEMBER_REFUSALS: Record<Exclude<MembershipStatus, 'approved'>, NotaryRefusalCode> = { pending: 'membership_pending', rejected: 'membership_rejected', revoked: 'membership_revoked' };

function refused(code: NotaryRefusalCode, message: string, extra: Partial<Pick<Refused, 'consumedBy' | 'existingDigest'>> = {}): Refused {
  return { status: 'refused', code, message, ...extra };
}

export class NotaryService {
  readonly #checks: { check(items: readonly EntryCheckItem[]): Promise<readonly EntryCheckResult[]> };
  readonly #now: () => number;
  readonly #kinds: ReadonlyMap<string, ConsumingKind>;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #integrated = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly key: LogKey,
    options: NotaryOptions,
  ) {
    const chainId = options.chainId;
    this.#checks = options.checks ?? { check: async (items) => checkEntrySignatures(chainId, items) };
    this.#now = options.now ?? Date.now;
    this.#kinds = options.consumingKinds ?? CONSUMING_KINDS;
    this.#waitMs = options.receiptWaitMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 100;
  }

  /** The local sequencer integrated something: waiters look now. */
  notifyIntegrated(): void {
    for (const wake of [...this.#integrated]) wake();
  }

  /** Accepts what passes, waits for integration, answers one result per entry. `onAccepted` runs after the acceptance commits. */
  async submit(entries: readonly unknown[], onAccepted?: () => void): Promise<NotaryResults> {
    const results: (NotaryResult | null)[] = entries.map(() => null);
    const candidates = await this.#statelessChecks(entries, results);
    const waiting = await this.#accept(candidates, results);
    if (waiting.length > 0) onAccepted?.();
    return this.#answer(waiting, results);
  }

  async #statelessChecks(entries: readonly unknown[], results: (NotaryResult | null)[]): Promise<Candidate[]> {
    const parsed = parseSubmissionEntries(entries);
    const nodes = [...new Set(parsed.flatMap((p) => (p.ok ? [p.signed.entry.node] : [])))];
    const members = new Map<string, { status: MembershipStatus; public_key: Uint8Array }>();
    if (nodes.length > 0) {
      const rows = await this.db.query<{ address: string; status: MembershipStatus; public_key: Uint8Array }>('SELECT address, status, public_key FROM members WHERE address IN (SELECT jsonb_array_elements_text($1::jsonb))', [JSON.stringify(nodes)]);
      for (const row of rows.rows) members.set(row.address, row);
    }
    const latest = this.#now() + MAX_FUTURE_SKEW_MS;
    const toCheck: { index: number; signed: NotarySignedEntry; publicKey: Uint8Array }[] = [];
    parsed.forEach((p, index) => {
      if (!p.ok) {
        results[index] = refused('invalid_entry', p.problem);
        return;
      }
      const member = members.get(p.signed.entry.node);
      if (member === undefined) {
        results[index] = refused('unknown_member', 'No member has the address this entry names as its node.');
        return;
      }
      if (member.status !== 'approved') {
        results[index] = refused(MEMBER_REFUSALS[member.status], `The entry's node is not an approved member (${member.status}).`);
        return;
      }
      toCheck.push({ index, signed: p.signed, publicKey: member.public_key });
    });
    const checked = await this.#checks.check(toCheck.map((item) => ({ entry: item.signed.entry, signature: item.signed.signature, publicKey: item.publicKey })));
    const candidates: Candidate[] = [];
    toCheck.forEach(({ index, signed }, i) => {
      const { digest, ok } = checked[i]!;
      if (!ok) {
        results[index] = refused('bad_signature', 'The entry\'s signature does not verify with its node\'s key for this network.');
        return;
      }
      if (signed.entry.createdAt > latest) {
        results[index] = refused('from_the_future', 'The entry\'s createdAt is more than 5 minutes ahead of the notary\'s clock.');
        return;
      }
      candidates.push({ index, signed, digest, line: exportLine(signed) });
    });
    return candidates;
  }

  /** The chain and consumed-input checks and the queueing, in one transaction. Returns what waits for integration. */
  async #accept(candidates: readonly Candidate[], results: (NotaryResult | null)[]): Promise<Candidate[]> {
    if (candidates.length === 0) return [];
    const byNode = new Map<string, Candidate[]>();
    for (const candidate of candidates) {
      const list = byNode.get(candidate.signed.entry.node) ?? [];
      list.push(candidate);
      byNode.set(candidate.signed.entry.node, list);
    }
    const now = this.#now();
    return this.db.transaction(async (tx) => {
      const waiting: Candidate[] = [];
      const queued: Record<string, unknown>[] = [];
      // Nodes in a fixed order, so two transactions never wait on each other's node locks in a cycle.
      for (const node of [...byNode.keys()].sort()) {
        const list = byNode.get(node)!.sort((a, b) => a.signed.entry.seq - b.signed.entry.seq || a.index - b.index);
        await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NOTARY_NODE_LOCK_CLASS, node]);
        const minSeq = list[0]!.signed.entry.seq;
        const maxSeq = list[list.length - 1]!.signed.entry.seq;
        const rows = await tx.query<ExistingRow>(
          `SELECT seq, entry_digest, line FROM log_leaves WHERE node = $1 AND seq BETWEEN $2 AND $3
           UNION ALL SELECT seq, entry_digest, line FROM notary_pending WHERE node = $1 AND seq BETWEEN $2 AND $3`,
          [node, minSeq - 1, maxSeq],
        );
        const existing = new Map(rows.rows.map((row) => [row.seq, row]));
        const top = await tx.query<{ seq: number; entry_digest: string }>(
          `SELECT seq, entry_digest FROM (SELECT seq, entry_digest FROM log_leaves WHERE node = $1 UNION ALL SELECT seq, entry_digest FROM notary_pending WHERE node = $1) AS chain ORDER BY seq DESC LIMIT 1`,
          [node],
        );
        let head = top.rows[0] === undefined ? { seq: 0, digest: GENESIS_PREV_HASH } : { seq: top.rows[0].seq, digest: top.rows[0].entry_digest };
        for (const candidate of list) {
          const { entry } = candidate.signed;
          const known = existing.get(entry.seq);
          if (known !== undefined) {
            if (known.entry_digest === candidate.digest) {
              waiting.push(candidate);
            } else {
              await tx.query(
                'INSERT INTO notary_forks (node, seq, existing_digest, existing_line, conflicting_digest, conflicting_line, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
                [node, entry.seq, known.entry_digest, known.line, candidate.digest, candidate.line, now],
              );
              results[candidate.index] = refused('fork', `The network already has a different entry ${entry.seq} of this node: both are kept as evidence of a fork.`, { existingDigest: known.entry_digest });
            }
            continue;
          }
          if (entry.seq !== head.seq + 1) {
            results[candidate.index] = refused('chain_gap', `The entry's seq is not the next of its node's chain (the network has up to ${head.seq}).`);
            continue;
          }
          if (entry.prevHash !== head.digest) {
            results[candidate.index] = refused('wrong_prev_hash', `The entry's prevHash is not the hash of its node's entry ${head.seq}.`);
            continue;
          }
          const inputs = consumedInputs(entry, this.#kinds);
          if (inputs.length > 0) {
            const conflict = await this.#consume(tx, entry, inputs, now, this.#kinds.get(entry.kind)!.sameSubjectAgain);
            if (conflict !== null) {
              results[candidate.index] = conflict;
              continue;
            }
          }
          queued.push({ node, seq: entry.seq, d: candidate.digest, line: candidate.line });
          existing.set(entry.seq, { seq: entry.seq, entry_digest: candidate.digest, line: candidate.line });
          head = { seq: entry.seq, digest: candidate.digest };
          waiting.push(candidate);
        }
      }
      if (queued.length > 0) {
        await tx.query(
          'INSERT INTO notary_pending (node, seq, entry_digest, line, accepted_at) SELECT x.node, x.seq, x.d, x.line, $2 FROM jsonb_to_recordset($1::jsonb) AS x(node text, seq bigint, d text, line text)',
          [JSON.stringify(queued), now],
        );
      }
      return waiting;
    });
  }

  /**
   * Records the entry's consumption keys as consumed, or names the first consumer of one already
   * consumed for another subject, or the node of a claim for another entry (writing nothing). Runs under the node's
   * advisory lock, which claims take too (claimConsumption), and the keys name the node: nothing
   * else writes these rows meanwhile. A key this node claimed for this entry's subject is consumed
   * by it; the primary key is the last guard against a second consumer.
   */
  async #consume(tx: Queryable, entry: LedgerEntry, inputs: readonly string[], now: number, sameSubjectAgain: boolean): Promise<Refused | null> {
    const rows = await tx.query<{ input: string; node: string; seq: number | null; claim: string | null; leaf_index: number | null }>(
      'SELECT c.input, c.node, c.seq, c.claim, l.leaf_index FROM consumed_inputs c LEFT JOIN log_leaves l ON l.node = c.node AND l.seq = c.seq WHERE c.input IN (SELECT jsonb_array_elements_text($1::jsonb)) FOR UPDATE OF c',
      [JSON.stringify(inputs)],
    );
    for (const input of inputs) {
      const by = rows.rows.find((row) => row.input === input);
      if (by === undefined) continue;
      // Claimed for this entry's subject; or, for a kind with sameSubjectAgain, consumed already by
      // this node for the same subject (the same acceptance signed twice, say by two windows): not a
      // second sale, and refusing it would stop the node's chain. It consumes nothing again.
      if (by.node === entry.node && by.claim === entry.subject && (by.seq === null || (sameSubjectAgain && entry.subject !== ZERO_HASH))) continue;
      const seq = by.seq === null ? null : Number(by.seq);
      const message = seq === null ? `An input of this entry is claimed by node ${by.node} for another entry.` : `An input of this entry was already consumed by entry ${seq} of node ${by.node}.`;
      return refused('input_consumed', message, { consumedBy: { input, node: by.node, seq, leafIndex: by.leaf_index === null ? null : Number(by.leaf_index) } });
    }
    await tx.query(
      `INSERT INTO consumed_inputs (input, node, seq, claim, consumed_at) SELECT value, $2, $3, $4, $5 FROM jsonb_array_elements_text($1::jsonb)
       ON CONFLICT (input) DO UPDATE SET seq = EXCLUDED.seq, consumed_at = EXCLUDED.consumed_at WHERE consumed_inputs.seq IS NULL AND consumed_inputs.node = EXCLUDED.node AND consumed_inputs.claim = EXCLUDED.claim`,
      [JSON.stringify(inputs), entry.node, entry.seq, entry.subject, now],
    );
    return null;
  }

  /**
   * `POST /v1/notary/claims` (ClaimRequestSchema): claims `keys` (each naming `member`) for the
   * member's coming entry of subject `claim`, all or none, under the member's node lock. Returns
   * null when claimed (or claimed already for the same subject), else why not.
   */
  async claimConsumption(member: string, keys: readonly string[], claim: string): Promise<{ readonly key: string; readonly node: string; readonly seq: number | null } | null> {
    const again = new Set([...this.#kinds.values()].filter((rule) => rule.sameSubjectAgain).map((rule) => rule.prefix));
    const unique = [...new Set(keys)];
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NOTARY_NODE_LOCK_CLASS, member]);
      const rows = await tx.query<{ input: string; node: string; seq: number | null; claim: string | null }>(
        'SELECT input, node, seq, claim FROM consumed_inputs WHERE input IN (SELECT jsonb_array_elements_text($1::jsonb)) FOR UPDATE',
        [JSON.stringify(unique)],
      );
      for (const row of rows.rows) {
        // This member's own claim (or consumption) for the same subject: claimed already, nothing to do.
        const mine = row.node === member && row.claim === claim && (row.seq === null || again.has(row.input.slice(0, row.input.indexOf(':'))));
        if (!mine) return { key: row.input, node: row.node, seq: row.seq === null ? null : Number(row.seq) };
      }
      await tx.query(
        'INSERT INTO consumed_inputs (input, node, seq, claim, consumed_at) SELECT value, $2, NULL, $3, $4 FROM jsonb_array_elements_text($1::jsonb) ON CONFLICT (input) DO NOTHING',
        [JSON.stringify(unique), member, claim, this.#now()],
      );
      return null;
    });
  }

  /** Waits until the accepted entries are leaves (or the wait ends), then fills their results. */
  async #answer(waiting: readonly Candidate[], results: (NotaryResult | null)[]): Promise<NotaryResults> {
    const deadline = this.#now() + this.#waitMs;
    let leaves = new Map<string, LeafRow>();
    const keyOf = (node: string, seq: number): string => `${node}:${seq}`;
    const want = [...new Map(waiting.map((c) => [keyOf(c.signed.entry.node, c.signed.entry.seq), { node: c.signed.entry.node, seq: c.signed.entry.seq }])).values()];
    while (want.length > 0) {
      leaves = await this.leavesOf(this.db, want);
      if (leaves.size >= want.length || this.#now() >= deadline) break;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#integrated.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(this.#pollMs, Math.max(1, deadline - this.#now())));
        this.#integrated.add(wake);
      });
    }
    const checkpoint = await readCheckpoint(this.db);
    const integrated = waiting.filter((c) => leaves.has(keyOf(c.signed.entry.node, c.signed.entry.seq)));
    const notarized = checkpoint === null ? [] : await this.notarizedOf(integrated.map((c) => leaves.get(keyOf(c.signed.entry.node, c.signed.entry.seq))!), checkpoint.size);
    integrated.forEach((candidate, i) => (results[candidate.index] = notarized[i]!));
    for (const candidate of waiting) results[candidate.index] ??= { status: 'queued', entryDigest: candidate.digest };
    return { checkpoint: checkpoint?.note ?? null, results: results.map((result) => result!) };
  }

  async leavesOf(db: Queryable, keys: readonly { node: string; seq: number }[]): Promise<Map<string, LeafRow>> {
    const rows = await db.query<LeafRow>(
      'SELECT l.leaf_index, l.leaf_hash, l.line, l.node, l.seq, l.entry_digest, l.integrated_at, l.receipt_signature FROM log_leaves l JOIN jsonb_to_recordset($1::jsonb) AS k(node text, seq bigint) ON l.node = k.node AND l.seq = k.seq',
      [JSON.stringify(keys)],
    );
    return new Map(rows.rows.map((row) => [`${row.node}:${row.seq}`, row]));
  }

  /** Receipts and inclusion proofs (to the tree of `treeSize` leaves) of stored leaves, with one batched read of hashes. */
  async notarizedOf(rows: readonly LeafRow[], treeSize: number): Promise<Notarized[]> {
    const proofs = await inclusionProofs(new DbTreeReader(this.db), rows.map((row) => row.leaf_index), treeSize);
    return rows.map((row, i) => ({
      status: 'notarized',
      receipt: {
        origin: this.key.origin,
        leafIndex: row.leaf_index,
        leafHash: toBase64(row.leaf_hash),
        node: row.node,
        seq: row.seq,
        entryDigest: row.entry_digest,
        integratedAt: row.integrated_at,
        signature: toBase64(row.receipt_signature),
      },
      treeSize,
      inclusion: proofs[i]!,
    }));
  }

  /** Recovery: a node's notarized entries after `afterSeq`, in seq order, at most `limit`. */
  async receiptsOf(node: string, afterSeq: number, limit: number): Promise<{ checkpoint: string | null; entries: { line: string; notarized: Notarized }[]; more: boolean }> {
    const checkpoint = await readCheckpoint(this.db);
    if (checkpoint === null) return { checkpoint: null, entries: [], more: false };
    const rows = await this.db.query<LeafRow>(
      'SELECT leaf_index, leaf_hash, line, node, seq, entry_digest, integrated_at, receipt_signature FROM log_leaves WHERE node = $1 AND seq > $2 AND leaf_index < $3 ORDER BY seq LIMIT $4',
      [node, afterSeq, checkpoint.size, limit + 1],
    );
    const page = rows.rows.slice(0, limit);
    const notarized = await this.notarizedOf(page, checkpoint.size);
    return { checkpoint: checkpoint.note, entries: page.map((row, i) => ({ line: row.line, notarized: notarized[i]! })), more: rows.rows.length > limit };
  }
}
