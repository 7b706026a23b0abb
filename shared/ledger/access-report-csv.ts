import type { LedgerEntryKind } from './ledger-schema';

/**
 * The columns of an exported access report (`access-report-<UTC>.csv`), shared by the mind, which
 * writes it (renderer/ledger/access-report.ts), and the verifier that checks one against an
 * exported ledger (electron/ledger/access-report-verify.ts).
 */
export const ACCESS_REPORT_CSV_HEADER = [
  'time_utc',
  'operator',
  'operator_pseudonym',
  'action',
  'patient',
  'subject_pseudonym',
  'workstation',
  'ledger_seq',
  'entry_digest',
  'notary_leaf_index',
  'notary_tree_size',
] as const;

/** The ledger entry kinds an access report lists. */
export const ACCESS_REPORT_KINDS: readonly LedgerEntryKind[] = ['ACCESS', 'SESSION', 'EXPORT', 'QUARANTINE', 'ERASURE'];

/**
 * The entry kind a report's action sentence stands for (the inverse of the mind's `actionOf`), or
 * null for a sentence no version of the report writes. An action the mind does not put in words is
 * the kind itself.
 */
export function kindOfAction(action: string): LedgerEntryKind | null {
  if (/^Opened (?:the patient|a record|an imaging study|a raw message|a quarantined input)\b/.test(action)) return 'ACCESS';
  if (/^(?:Signed in|Signed out by |Failed unlock|Locked$|Closed the window|Session$)/.test(action)) return 'SESSION';
  if (/^(?:Exported |Scheduled backup made by the node$)/.test(action)) return 'EXPORT';
  if (/^(?:Reprocessed|Discarded|Acted on) a quarantined input\b/.test(action)) return 'QUARANTINE';
  if (action === 'Erased the patient') return 'ERASURE';
  return (ACCESS_REPORT_KINDS as readonly string[]).includes(action) ? (action as LedgerEntryKind) : null;
}
