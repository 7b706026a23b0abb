import { computeAddress, SigningKey } from 'ethers';
import type { StoredNetworkState } from '../../shared/ipc/network-contract';
import { EntryHasher, ledgerDomain } from '../../shared/ledger/ledger-schema';
import { checkNotarized, NOTARY_ROUTES, NotaryReceiptsPageSchema, NotarySignedEntrySchema, type NotarySignedEntry } from '../../shared/network/notary';
import { openCheckpoint } from '../../shared/transparency/log-verifier';
import { parseVkey } from '../../shared/transparency/note';
import { requestJson } from './network-http';
import { NetworkRefusal } from './server-url';

/** The most entries one recovery call returns (the mind appends them and asks again). */
export const MAX_RECOVERED_PER_CALL = 2_000;

export interface RecoveredEntries {
  readonly entries: readonly NotarySignedEntry[];
  /** The notary holds more after the last one returned. */
  readonly more: boolean;
}

/**
 * Recovery (issue 10 item 10): a node whose vault came back from an old backup, or whose browser
 * profile was lost, may hold fewer ledger entries than the network's log has of it. Signing the
 * next entry from its own shorter head would fork its chain (the notary refuses a second entry for
 * a seq it has). So, before signing, the mind asks for what the log holds after its head; this
 * fetches the node's entries and receipts from the notary (GET /v1/notary/receipts) and checks every
 * one before the mind may append it:
 *
 *   - the checkpoint is signed by the log key of the verified network map,
 *   - each entry is this node's (signed by its identity key: the address recovered from the
 *     signature), next in its chain (seq, prevHash = the hash of the one before, starting at the
 *     head the mind gave), and strictly well formed,
 *   - each receipt is signed by the log key and its inclusion proof leads to that checkpoint.
 *
 * Anything that does not check stops the recovery with a problem; nothing is appended from a
 * notary that cannot prove what it serves.
 */
export async function fetchRecoverableEntries(state: StoredNetworkState, afterSeq: number, headHash: string): Promise<RecoveredEntries> {
  const logKey = state.map?.logKey ?? '';
  if (state.status !== 'approved' || logKey === '') return { entries: [], more: false };
  const hasher = new EntryHasher(ledgerDomain());
  const logPublicKey = parseVkey(logKey).publicKey;
  const entries: NotarySignedEntry[] = [];
  let seq = afterSeq;
  let prev = headHash;
  for (;;) {
    // A short deadline: this runs before the first entry of a session is signed.
    const answer = await requestJson(`${state.url}${NOTARY_ROUTES.receipts}?node=${state.node}&afterSeq=${seq}`, { timeoutMs: 5_000 });
    const page = NotaryReceiptsPageSchema.safeParse(answer.body);
    if (!page.success || page.data.node !== state.node) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary answered the recovery in a form this node does not understand.');
    if (page.data.entries.length === 0) return { entries, more: false };
    if (page.data.checkpoint === null) throw new NetworkRefusal('E_CONFLICT', 'Alarm: the notary served entries without a checkpoint to prove them.');
    let root: Uint8Array;
    let size: number;
    try {
      const opened = openCheckpoint(page.data.checkpoint, { logKey });
      root = opened.checkpoint.rootHash;
      size = opened.checkpoint.size;
    } catch {
      throw new NetworkRefusal('E_CONFLICT', 'Alarm: the notary served a checkpoint that is not signed by the log key of the network map.');
    }
    for (const item of page.data.entries) {
      let signed: NotarySignedEntry;
      try {
        signed = NotarySignedEntrySchema.parse(JSON.parse(item.line));
      } catch {
        throw new NetworkRefusal('E_CONFLICT', `Alarm: the notary served entry ${seq + 1} of this node in a form that is not a signed entry.`);
      }
      const { entry } = signed;
      const digest = hasher.hash(entry);
      if (entry.node !== state.node || entry.seq !== seq + 1 || entry.prevHash !== prev) throw new NetworkRefusal('E_CONFLICT', `Alarm: the notary's entry ${seq + 1} of this node does not follow the node's own chain.`);
      let signer = '';
      try {
        signer = computeAddress(SigningKey.recoverPublicKey(digest, signed.signature));
      } catch {
        signer = '';
      }
      if (signer !== state.node) throw new NetworkRefusal('E_CONFLICT', `Alarm: entry ${entry.seq} served by the notary is not signed by this node.`);
      if (item.notarized.treeSize !== size) throw new NetworkRefusal('E_CONFLICT', `Alarm: the notary's receipt for entry ${entry.seq} names a tree its checkpoint does not.`);
      const check = checkNotarized(item.notarized, signed, digest, logPublicKey, root);
      if (!check.ok) throw new NetworkRefusal('E_CONFLICT', `Alarm: the notary's receipt for entry ${entry.seq} does not check: ${check.problem}`);
      entries.push(signed);
      seq = entry.seq;
      prev = digest;
      if (entries.length >= MAX_RECOVERED_PER_CALL) return { entries, more: true };
    }
    if (!page.data.more) return { entries, more: false };
  }
}
