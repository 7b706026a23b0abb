import type { JournalRecord } from '../../shared/ipc/journal-contract';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../shared/ipc/ledger-contract';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { LedgerRecordMetaSchema } from '../../shared/journal/ledger-meta';
import { InstitutionMetaSchema, type InstitutionMeta } from '../../shared/journal/mind-meta';
import { summaryOf } from './ledger-details';

/**
 * The `ledger` view (a Dexie table of the vault's views, materialized from `ledger.entry` journal
 * records during replay, so "Rebuild index" rebuilds it identically) and the sealed meta of those
 * records.
 *
 * Stored in the clear, like the rest of the views' ids: the entry as signed (hashes, keyed
 * pseudonyms, a kind, a time, the node address), its signature, and a summary of numbers and words
 * (counts by channel, an operator change's action). No PHI; the salted details stay sealed in the
 * journal.
 */

/** The network notary's receipt for an entry, as the views keep it (the receipt itself stays sealed in the journal). */
export interface LedgerNotary {
  readonly leafIndex: number;
  readonly treeSize: number;
  /** Unix ms, the notary's time of integration. */
  readonly integratedAt: number;
  /** The journal record holding the sealed receipt, proof and checkpoint (to re-check them). */
  readonly receiptSeq: number;
}

export interface LedgerRow {
  /** The entry's seq (the primary key). */
  readonly seq: number;
  /** The journal record that holds it. */
  readonly journalSeq: number;
  readonly kind: string;
  /** bytes32 hex, as signed (indexed: a patient's accesses). */
  readonly subject: string;
  /** bytes32 hex, as signed (indexed: an operator's acts). */
  readonly operator: string;
  /** Unix ms, as signed (indexed: date filters). */
  readonly createdAt: number;
  /** The last journal seq the entry accounts for: where the writer resumes. */
  readonly coversTo: number;
  /** The entry exactly as it was in the record (verified strictly by the verifier, not here). */
  readonly entry: unknown;
  readonly signature: unknown;
  readonly summary: Readonly<Record<string, string | number>>;
  /** Set once the network's notary has countersigned the entry (ledger.receipt). */
  readonly notary?: LedgerNotary;
}

export { LedgerRecordMetaSchema, type LedgerRecordMeta } from '../../shared/journal/ledger-meta';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A `ledger.entry` record as a view row, from its opened meta; null when that is not a ledger meta (a replay "problem"). */
export function ledgerRowOf(record: JournalRecord, value: unknown): LedgerRow | null {
  if (record.kind !== LEDGER_ENTRY_JOURNAL_KIND) return null;
  const parsed = LedgerRecordMetaSchema.safeParse(value);
  if (!parsed.success) return null;
  const { entry, signature, details } = parsed.data;
  const createdAt = typeof entry['createdAt'] === 'number' ? entry['createdAt'] : 0;
  return {
    seq: entry.seq,
    journalSeq: record.seq,
    kind: text(entry['kind']),
    subject: text(entry['subject']),
    operator: text(entry['operator']),
    createdAt,
    coversTo: details.to,
    entry,
    signature,
    summary: summaryOf(text(entry['kind']), details),
  };
}

/** The institution setting, materialized from `settings.institution` records into the views' meta. */
export const INSTITUTION_META_KEY = 'institution';
export const INSTITUTION_KIND = MIND_KINDS.institution;

export { InstitutionMetaSchema, type InstitutionMeta };

