import { verifyTypedData } from 'ethers';
import { describeSchemaIssue, EntryHasher, entryTypes, GENESIS_PREV_HASH, LedgerEntrySchema, SignatureSchema, type LedgerDomain, type LedgerEntry } from './ledger-schema';

/**
 * Verifies a node's ledger, in order, one signed entry at a time (so a 100k-entry export streams),
 * and reports the FIRST break precisely. For each entry, in this order:
 *
 *   1. the strict schema (an extra or a missing field is a break: ethers would ignore the one and
 *      throw an unhelpful error on the other);
 *   2. seq continuity: 1, 2, 3… ("entry 4 is missing (5 follows 3)", "entries 3 and 4 are swapped");
 *   3. `node` names this node;
 *   4. prevHash = the EIP-712 hash of the previous entry (zero for entry 1);
 *   5. the signature: ethers.verifyTypedData(domain, types, entry, signature) must recover this
 *      node's address. With one entry of look-ahead a changed entry is told apart from one
 *      re-signed by another key: after a change, the next entry's prevHash names another hash.
 *
 * Both the mind ("Verify ledger") and the CLI (`npm run ledger:verify`) run this code.
 */

export interface SignedEntryInput {
  readonly entry: unknown;
  readonly signature: unknown;
}

export interface LedgerBreak {
  /** The entry concerned (its position in the chain when its own seq is unreadable). */
  readonly seq: number;
  readonly problem: string;
}

export type LedgerCheck =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly entries: number; readonly firstBreak: LedgerBreak };

export interface VerifyOptions {
  readonly domain: LedgerDomain;
  /** The node whose ledger this is (checksummed address). */
  readonly node: string;
  /** Called every `progressEvery` entries (the mind yields to the UI there). */
  readonly onProgress?: (verified: number) => void | Promise<void>;
  readonly progressEvery?: number;
  /**
   * Resume after entries 1…seq, verified before, whose last EIP-712 hash is `head`: the items then
   * start at entry seq + 1 (unlock checks only what is new; design §5, issue 10 item 8).
   */
  readonly from?: { readonly seq: number; readonly head: string };
}

interface Parsed {
  readonly position: number;
  readonly entry: LedgerEntry | null;
  readonly signature: string | null;
  readonly schemaProblem: string | null;
  readonly rawSeq: number | null;
}

function parse(input: SignedEntryInput, position: number): Parsed {
  const rawSeq = typeof (input.entry as { seq?: unknown } | null)?.seq === 'number' ? (input.entry as { seq: number }).seq : null;
  const entry = LedgerEntrySchema.safeParse(input.entry);
  if (!entry.success) return { position, entry: null, signature: null, schemaProblem: `${describeSchemaIssue(entry.error)}`, rawSeq };
  const signature = SignatureSchema.safeParse(input.signature);
  if (!signature.success) return { position, entry: entry.data, signature: null, schemaProblem: `its signature ${describeSchemaIssue(signature.error).replace(/^field "" /, '')}`, rawSeq };
  return { position, entry: entry.data, signature: signature.data, schemaProblem: null, rawSeq };
}

/** The address that signed `entry`, or null when the signature is malformed beyond recovery. */
export function recoverSigner(domain: LedgerDomain, entry: LedgerEntry, signature: string): string | null {
  try {
    return verifyTypedData({ ...domain }, entryTypes(), { ...entry, inputs: [...entry.inputs] }, signature);
  } catch {
    return null;
  }
}

async function* toAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) yield item;
}

export async function verifyLedger(items: Iterable<SignedEntryInput> | AsyncIterable<SignedEntryInput>, options: VerifyOptions): Promise<LedgerCheck> {
  const { domain, node } = options;
  const hasher = new EntryHasher(domain);
  const every = options.progressEvery ?? 100;
  const source = toAsync(items);
  let position = 0;
  const pull = async (): Promise<Parsed | null> => {
    const next = await source.next();
    if (next.done === true) return null;
    position += 1;
    return parse(next.value, position);
  };

  let prevHash = options.from?.head ?? GENESIS_PREV_HASH;
  let verified = options.from?.seq ?? 0;
  let current = await pull();
  let lookahead = current === null ? null : await pull();
  const fail = (seq: number, problem: string): LedgerCheck => ({ ok: false, entries: verified, firstBreak: { seq, problem } });

  while (current !== null) {
    const expected = verified + 1;
    if (current.schemaProblem !== null || current.entry === null || current.signature === null) {
      const seq = current.rawSeq ?? expected;
      return fail(seq, `entry ${seq} ${current.schemaProblem ?? 'does not match the schema'}`);
    }
    const entry = current.entry;
    if (entry.seq !== expected) {
      if (entry.seq > expected && lookahead?.entry?.seq === expected) return fail(expected, `entries ${expected} and ${entry.seq} are swapped (${entry.seq} comes before ${expected})`);
      if (entry.seq > expected) {
        const gap = entry.seq - expected;
        const what = gap === 1 ? `entry ${expected} is missing` : `entries ${expected}–${entry.seq - 1} are missing`;
        return fail(expected, `${what} (${entry.seq} follows ${expected === 1 ? 'the start of the ledger' : expected - 1})`);
      }
      return fail(entry.seq, `entry ${entry.seq} appears again after entry ${expected - 1}`);
    }
    if (entry.node !== node) return fail(entry.seq, `entry ${entry.seq} names node ${entry.node}, not this node (${node})`);
    if (entry.prevHash !== prevHash) {
      return fail(
        entry.seq,
        entry.seq === 1 ? 'entry 1: prevHash is not 32 zero bytes (the start of the ledger)' : `entry ${entry.seq}: prevHash does not match the hash of entry ${entry.seq - 1}`,
      );
    }
    const hash = hasher.hash(entry);
    const signer = recoverSigner(domain, entry, current.signature);
    if (signer !== node) {
      const by = signer === null ? 'does not verify at all' : `is by ${signer}, not this node (${node})`;
      const nextNamesOther = lookahead?.entry !== null && lookahead?.entry !== undefined && lookahead.entry.seq === entry.seq + 1 && lookahead.entry.prevHash !== hash;
      return fail(
        entry.seq,
        nextNamesOther
          ? `entry ${entry.seq} was changed after it was signed: its signature ${by}, and entry ${entry.seq + 1}'s prevHash names a different hash for it`
          : `entry ${entry.seq}: signature ${by}`,
      );
    }
    verified += 1;
    prevHash = hash;
    if (verified % every === 0) await options.onProgress?.(verified);
    current = lookahead;
    lookahead = current === null ? null : await pull();
  }
  return { ok: true, entries: verified, head: prevHash };
}
