import { messageBySeq } from '../views/message-reads';
import type { VaultDb } from '../views/vault-db';

/** Quarantine rows read per page while following the lineage. */
const LINEAGE_PAGE = 1000;

/** A quarantine record an erasure takes with the patient, and its raw object (null: none kept). */
export interface QuarantinedSource {
  readonly seq: number;
  readonly objectId: string | null;
}

/**
 * The quarantined inputs a patient's messages came from (security audit, round 4 #1): a message
 * filed by a reprocess names the quarantine record it ran again (`reprocessOf`, edited or not), and
 * a reprocess held again is named, on the entry it ran, among that entry's `heldAgainAs`. Those
 * inputs hold the same patient's data (the very bytes, or the bytes an operator edited into the
 * filed copy), so an erasure that left them would keep the patient readable in the quarantine and
 * in every later backup. `seqs`: the journal seqs of the patient's messages.
 */
export async function quarantinedSourcesOf(db: VaultDb, viewKey: CryptoKey, seqs: readonly number[]): Promise<QuarantinedSource[]> {
  const pending: number[] = [];
  for (const seq of seqs) {
    const from = (await messageBySeq(db, viewKey, seq))?.reprocessOf?.quarantineSeq;
    if (from !== undefined) pending.push(from);
  }
  if (pending.length === 0) return [];
  // Read in pages, keeping only each entry's object id and held-again links (never every row with its details at once).
  const bySeq = new Map<number, { readonly objectId: string | null }>();
  // A held-again entry → the entry whose reprocess held it again.
  const heldFrom = new Map<number, number>();
  for (let after = 0; ; ) {
    const page = await db.quarantine.where('seq').above(after).limit(LINEAGE_PAGE).toArray();
    for (const entry of page) {
      bySeq.set(entry.seq, { objectId: entry.objectId });
      for (const held of entry.heldAgainAs ?? []) heldFrom.set(held, entry.seq);
    }
    if (page.length < LINEAGE_PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  const found = new Map<number, string | null>();
  while (pending.length > 0) {
    const seq = pending.pop()!;
    const entry = bySeq.get(seq);
    if (entry === undefined || found.has(seq)) continue;
    found.set(seq, entry.objectId);
    const earlier = heldFrom.get(seq);
    if (earlier !== undefined) pending.push(earlier);
  }
  return [...found].map(([seq, objectId]) => ({ seq, objectId }));
}
