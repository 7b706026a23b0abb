import { z } from 'zod';
import type { JournalRecord } from '../../shared/ipc/journal-contract';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../shared/ipc/ledger-contract';
import type { Opener } from '../../shared/crypto/envelope';
import { openJson } from '../vault/views/journal-payloads';
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
}

/** The sealed meta of a `ledger.entry` record. */
export const LedgerRecordMetaSchema = z.strictObject({
  v: z.literal(1),
  entry: z.looseObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
  signature: z.string().max(200),
  details: z.looseObject({ to: z.number().int().min(0) }),
});
export type LedgerRecordMeta = z.infer<typeof LedgerRecordMetaSchema>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A `ledger.entry` record as a view row; null when its meta does not open or is not a ledger meta (a replay "problem"). */
export async function ledgerRowOf(opener: Opener, record: JournalRecord): Promise<LedgerRow | null> {
  if (record.kind !== LEDGER_ENTRY_JOURNAL_KIND || record.meta === null) return null;
  let value: unknown;
  try {
    value = await openJson(opener, record.meta);
  } catch {
    return null;
  }
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
export const INSTITUTION_KIND = 'settings.institution';

export const InstitutionMetaSchema = z.strictObject({
  v: z.literal(1),
  name: z.string().max(200),
  role: z.enum(['clinic', 'research']),
});
export type InstitutionMeta = z.infer<typeof InstitutionMetaSchema>;

export async function institutionOf(opener: Opener, record: JournalRecord): Promise<InstitutionMeta | null> {
  if (record.kind !== INSTITUTION_KIND || record.meta === null) return null;
  try {
    const parsed = InstitutionMetaSchema.safeParse(await openJson(opener, record.meta));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
