import { bytesEqual, toBase64 } from './bytes';
import { parseCheckpoint, type Checkpoint } from './checkpoint';
import { CompactTree } from './compact-tree';
import { cosignatureTimestamp, nowSeconds, witnessVerifierFromVkey } from './cosignature';
import { leafHash } from './hash';
import { DEFAULT_NOTE_LIMITS, NoteError, checkNoteSignatures, keyIdHex, logVerifierFromVkey, parseNote, type NoteLimits, type NoteVerifier } from './note';
import { verifyConsistencyProof } from './proof';

/**
 * What a node or an auditor checks about the notary's log, on top of the primitives:
 *
 * - openCheckpoint: a signed checkpoint is from the pinned log key, names that log, and which of
 *   the configured witnesses cosigned it (the quorum that makes its entries "witnessed");
 * - verifyLog: a checkpoint's root is exactly the Merkle tree of the raw leaves, replayed in order
 *   (what `log:verify` prints as one JSON line);
 * - verifyConsistencyBetween: a new checkpoint extends the one a node kept, or the two are evidence
 *   of a rewritten history or a split view.
 */

/** Whom to trust for checkpoints. Keys are vkeys (or verifiers already built from them). */
export interface CheckpointTrust {
  /** The log's Ed25519 vkey (type 0x01). Its name is the origin every checkpoint must carry. */
  readonly logKey: string | NoteVerifier;
  /** Witness vkeys (type 0x04, cosignature/v1), from the network map. */
  readonly witnesses?: readonly (string | NoteVerifier)[];
  /** Distinct witnesses that must cosign for the checkpoint to count as witnessed (default 0). */
  readonly quorum?: number;
  /** POSIX seconds, to refuse cosignatures from the future (default: the clock). */
  readonly now?: number;
  /** How far in the future a cosignature's time may be before it is not counted (default 300 s). */
  readonly maxClockSkewSeconds?: number;
  readonly limits?: NoteLimits;
}

export interface WitnessCosignature {
  readonly name: string;
  /** The key ID as 8 hex digits, so a report names the exact key. */
  readonly keyId: string;
  /** When the witness cosigned (POSIX seconds). */
  readonly timestamp: number;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The note text the signatures cover (the checkpoint as signed). */
  readonly text: string;
  /** Configured witnesses whose valid cosignature the note carries, one per witness. */
  readonly cosignatures: readonly WitnessCosignature[];
  /** Configured witnesses' cosignatures that are valid but dated in the future: not counted. */
  readonly futureCosignatures: readonly WitnessCosignature[];
  readonly quorum: number;
  readonly quorumMet: boolean;
}

const DEFAULT_SKEW_SECONDS = 300;

function logVerifierOf(key: string | NoteVerifier): NoteVerifier {
  return typeof key === 'string' ? logVerifierFromVkey(key) : key;
}

function witnessVerifierOf(key: string | NoteVerifier): NoteVerifier {
  return typeof key === 'string' ? witnessVerifierFromVkey(key) : key;
}

/**
 * Opens a signed checkpoint: the log's signature must verify, its origin must be the log key's
 * name, and every cosignature by a configured witness must verify (a bad one rejects the whole
 * note, as the signed-note spec advises: someone altered it). Throws NoteError; an unmet quorum is
 * not an error here, it is reported (a fresh checkpoint is not witnessed yet).
 */
export function openCheckpoint(note: string | Uint8Array, trust: CheckpointTrust): OpenedCheckpoint {
  const log = logVerifierOf(trust.logKey);
  const witnesses = (trust.witnesses ?? []).map(witnessVerifierOf);
  const quorum = trust.quorum ?? 0;
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) throw new RangeError(`A quorum of ${quorum} cannot be met by ${witnesses.length} witnesses.`);
  const check = checkNoteSignatures(parseNote(note, trust.limits ?? DEFAULT_NOTE_LIMITS), [log, ...witnesses]);
  if (check.invalid.length > 0) {
    const names = check.invalid.map((s) => `${s.name}+${keyIdHex(s.keyId)}`).join(', ');
    throw new NoteError('invalid-signature', `The checkpoint carries a signature that does not verify (${names}): it was altered after signing.`);
  }
  if (!check.verified.some((v) => v.verifier === log)) throw new NoteError('unverified-note', `The checkpoint is not signed by the log key ${log.name}+${keyIdHex(log.keyId)}.`);
  const checkpoint = parseCheckpoint(check.text);
  if (checkpoint.origin !== log.name) throw new NoteError('wrong-origin', `The checkpoint is for the log "${checkpoint.origin}", not "${log.name}".`);
  const latest = (trust.now ?? nowSeconds()) + (trust.maxClockSkewSeconds ?? DEFAULT_SKEW_SECONDS);
  const cosignatures: WitnessCosignature[] = [];
  const futureCosignatures: WitnessCosignature[] = [];
  for (const { verifier, signature } of check.verified) {
    if (verifier === log) continue;
    const cosignature = { name: verifier.name, keyId: keyIdHex(verifier.keyId), timestamp: cosignatureTimestamp(signature) ?? 0 };
    (cosignature.timestamp > latest ? futureCosignatures : cosignatures).push(cosignature);
  }
  return { checkpoint, text: check.text, cosignatures, futureCosignatures, quorum, quorumMet: cosignatures.length >= quorum };
}

/** The JSON `log:verify` prints: everything found, not only the first problem. */
export interface LogVerificationReport {
  /** Signature, origin, root, leaf count and (when a quorum is asked) witnesses all check out. */
  readonly ok: boolean;
  readonly origin: string | null;
  /** The checkpoint's tree size. */
  readonly size: number | null;
  /** Leaves read from the source (at most `size`). */
  readonly leavesRead: number;
  /** The checkpoint's root hash, base64 as in the checkpoint. */
  readonly rootHash: string | null;
  /** The root recomputed from the leaves read. */
  readonly computedRootHash: string | null;
  readonly witnesses: {
    readonly cosigned: readonly WitnessCosignature[];
    readonly quorum: number;
    readonly quorumMet: boolean;
  };
  readonly errors: readonly string[];
}

/**
 * Replays a log: hashes the raw leaves in order (leaf hash = SHA-256(0x00 ‖ data)) into a compact
 * tree and compares its root with the checkpoint's. Reads exactly `size` leaves — the source
 * should be the entries [0, size) — and stops; the log may have grown since. Never throws for what
 * it finds: a bad signature, a short log or a different root are errors in the report. Constant
 * memory (the frontier), O(n) hashes.
 */
export async function verifyLog(checkpointNote: string | Uint8Array, trust: CheckpointTrust, leaves: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<LogVerificationReport> {
  const errors: string[] = [];
  let opened: OpenedCheckpoint | null = null;
  let checkpoint: Checkpoint | null = null;
  try {
    opened = openCheckpoint(checkpointNote, trust);
    checkpoint = opened.checkpoint;
    if (!opened.quorumMet) errors.push(`Only ${opened.cosignatures.length} of the ${opened.quorum} witness cosignatures required are on the checkpoint.`);
    for (const future of opened.futureCosignatures) errors.push(`The cosignature of ${future.name} is dated in the future (${future.timestamp}); not counted.`);
  } catch (error) {
    errors.push(describe(error));
    // Still replay against what the note claims, so the report says whether the tree matches.
    try {
      checkpoint = parseCheckpoint(parseNote(checkpointNote, trust.limits ?? DEFAULT_NOTE_LIMITS).text);
    } catch {
      checkpoint = null;
    }
  }

  let leavesRead = 0;
  let computed: Uint8Array | null = null;
  if (checkpoint !== null) {
    const tree = CompactTree.empty();
    try {
      if (checkpoint.size > 0) {
        for await (const leaf of leaves) {
          tree.append(leafHash(leaf));
          leavesRead++;
          if (leavesRead === checkpoint.size) break;
        }
      }
      computed = tree.root();
      if (leavesRead < checkpoint.size) errors.push(`The log has ${leavesRead} leaves, the checkpoint says ${checkpoint.size}.`);
      else if (!bytesEqual(computed, checkpoint.rootHash)) errors.push(`The root of the ${leavesRead} leaves is ${toBase64(computed)}, the checkpoint says ${toBase64(checkpoint.rootHash)}: the log is not what was signed.`);
    } catch (error) {
      errors.push(`Reading leaf ${leavesRead} failed: ${describe(error)}`);
      computed = null;
    }
  }

  return {
    ok: errors.length === 0,
    origin: checkpoint?.origin ?? null,
    size: checkpoint?.size ?? null,
    leavesRead,
    rootHash: checkpoint === null ? null : toBase64(checkpoint.rootHash),
    computedRootHash: computed === null ? null : toBase64(computed),
    witnesses: { cosigned: opened?.cosignatures ?? [], quorum: trust.quorum ?? 0, quorumMet: opened?.quorumMet ?? false },
    errors,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type ConsistencyProblem =
  /** The two checkpoints are of different logs: not comparable (a configuration error, not a fork). */
  | 'different-origin'
  /** Same size, different roots: two histories were signed. Both checkpoints are the proof. */
  | 'different-roots'
  /** The proof does not show the larger tree extends the smaller: history rewritten, or a split view. */
  | 'proof-refused';

export type ConsistencyVerdict =
  | { readonly ok: true; readonly fromSize: number; readonly toSize: number }
  | { readonly ok: false; readonly problem: ConsistencyProblem; readonly fromSize: number; readonly toSize: number; readonly detail: string };

/**
 * Is one checkpoint an append-only extension of the other? `proof` is the consistency proof from
 * the smaller tree to the larger (the order the two are given in does not matter: a node that
 * receives a checkpoint older than the one it kept checks it the same way). Both checkpoints must
 * have been opened (signatures checked) before; this only relates them. A verdict that is not ok,
 * with both signed checkpoints, is the evidence a node records and alarms on.
 */
export function verifyConsistencyBetween(a: Checkpoint, b: Checkpoint, proof: readonly Uint8Array[]): ConsistencyVerdict {
  const [older, newer] = a.size <= b.size ? [a, b] : [b, a];
  const sizes = { fromSize: older.size, toSize: newer.size };
  if (older.origin !== newer.origin) return { ok: false, problem: 'different-origin', ...sizes, detail: `One checkpoint is of "${older.origin}", the other of "${newer.origin}".` };
  if (older.size === newer.size && !bytesEqual(older.rootHash, newer.rootHash)) {
    return { ok: false, problem: 'different-roots', ...sizes, detail: `Two different roots were signed for the tree of ${older.size} leaves.` };
  }
  if (!verifyConsistencyProof(older.size, newer.size, proof, older.rootHash, newer.rootHash)) {
    return { ok: false, problem: 'proof-refused', ...sizes, detail: `The tree of ${newer.size} leaves is not shown to extend the tree of ${older.size} leaves.` };
  }
  return { ok: true, ...sizes };
}
