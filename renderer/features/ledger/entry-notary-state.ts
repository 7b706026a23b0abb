import type { LedgerEntryView } from '../../ledger/ledger-service';

/**
 * How far the network has this node's ledger, as the body last found (Settings › Network):
 * `submittedSeq` — every entry up to it was accepted by the notary; `witnessedSize` — every log
 * leaf below it was in a checkpoint that carried the map's quorum of witness cosignatures.
 * `member` is false when the node has not joined a network (or has not synced yet).
 */
export interface NotaryProgress {
  readonly member: boolean;
  readonly submittedSeq: number;
  readonly witnessedSize: number;
}

/** Where one entry stands with the network (issue 10 item 11). Null: the node is no member, so there is no state to show. */
export type EntryNotaryState = 'local' | 'submitted' | 'notarized' | 'witnessed';

export function entryNotaryState(entry: Pick<LedgerEntryView, 'seq' | 'notary'>, progress: NotaryProgress): EntryNotaryState | null {
  if (entry.notary !== undefined) return entry.notary.leafIndex < progress.witnessedSize ? 'witnessed' : 'notarized';
  if (!progress.member) return null;
  return entry.seq <= progress.submittedSeq ? 'submitted' : 'local';
}

/** "Notarized (leaf 12)", for the timeline's state column. */
export function entryNotaryLabel(entry: Pick<LedgerEntryView, 'notary'>, state: EntryNotaryState): string {
  switch (state) {
    case 'local':
      return 'Local';
    case 'submitted':
      return 'Submitted';
    case 'notarized':
      return `Notarized (leaf ${entry.notary!.leafIndex})`;
    case 'witnessed':
      return `Witnessed (leaf ${entry.notary!.leafIndex})`;
  }
}
