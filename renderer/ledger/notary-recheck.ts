import { LedgerReceiptMetaSchema } from '../../shared/journal/ledger-meta';
import { openJson } from '../../shared/journal/sealed-json';
import { EntryHasher, LedgerEntrySchema, SignatureSchema } from '../../shared/ledger/ledger-schema';
import { checkNotarized, NotarizedSchema } from '../../shared/network/notary';
import { openCheckpoint } from '../../shared/transparency/log-verifier';
import { parseVkey } from '../../shared/transparency/note';
import type { SessionLedger } from './session-ledger';

export type NotaryRecheck = { readonly ok: true; readonly leafIndex: number; readonly treeSize: number } | { readonly ok: false; readonly problem: string };

/**
 * Re-checks an entry's notarization on this computer (issue 10 item 11, "lets the user re-check"):
 * opens the sealed receipt the body journaled, and checks again that the checkpoint is signed by the
 * log key of the network map the node verified, that the receipt is signed by it and names this
 * entry, and that the inclusion proof leads from the entry's leaf to the checkpoint's root.
 */
export async function recheckNotary(ledger: SessionLedger, seq: number): Promise<NotaryRecheck> {
  const port = ledger.port;
  const row = await port.db().ledger.get(seq);
  if (row?.notary === undefined) return { ok: false, problem: `Entry ${seq} has no receipt from a network notary yet.` };
  const { state } = await port.api.network.status({});
  const logKey = state?.map?.logKey ?? '';
  if (logKey === '') return { ok: false, problem: 'This node knows no log key of a network to check against.' };
  const { records } = await port.api.journal.read({ after: row.notary.receiptSeq - 1, limit: 1 });
  const record = records[0];
  if (record === undefined || record.seq !== row.notary.receiptSeq || record.meta === null) return { ok: false, problem: 'The receipt is no longer in the journal.' };
  const meta = LedgerReceiptMetaSchema.safeParse(await openJson(port.opener, record.meta));
  const entry = LedgerEntrySchema.safeParse(row.entry);
  const signature = SignatureSchema.safeParse(row.signature);
  if (!meta.success || !entry.success || !signature.success || meta.data.seq !== seq) return { ok: false, problem: 'The receipt or the entry is not readable.' };
  const notarized = NotarizedSchema.safeParse({ status: 'notarized', receipt: meta.data.receipt, treeSize: meta.data.treeSize, inclusion: meta.data.inclusion });
  if (!notarized.success) return { ok: false, problem: 'The receipt is not in the notary\'s form.' };
  let root: Uint8Array;
  try {
    const opened = openCheckpoint(meta.data.checkpoint, { logKey });
    if (opened.checkpoint.size !== meta.data.treeSize) return { ok: false, problem: 'The proof is for another tree than its checkpoint.' };
    root = opened.checkpoint.rootHash;
  } catch {
    return { ok: false, problem: 'The checkpoint is not signed by the network\'s log key.' };
  }
  const check = checkNotarized(notarized.data, { entry: entry.data, signature: signature.data }, new EntryHasher(ledger.domain).hash(entry.data), parseVkey(logKey).publicKey, root);
  return check.ok ? { ok: true, leafIndex: notarized.data.receipt.leafIndex, treeSize: notarized.data.treeSize } : check;
}
