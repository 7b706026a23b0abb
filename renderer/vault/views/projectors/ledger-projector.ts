import { ExportAuditMetaSchema } from '../../../../shared/journal/audit-meta';
import { AUDIT_KINDS, LEDGER_ENTRY_KIND, LEDGER_RECEIPT_KIND } from '../../../../shared/journal/journal-kinds';
import { LedgerReceiptMetaSchema } from '../../../../shared/journal/ledger-meta';
import { ledgerRowOf, type LedgerNotary, type LedgerRow } from '../../../ledger/ledger-rows';
import type { NamedExportRow } from '../vault-db';
import type { JournalProjector } from './journal-projector';
import { putInParts } from '../put-in-parts';

/**
 * `ledger.entry` → the `ledger` table (renderer/ledger/ledger-rows.ts); `ledger.receipt` (the
 * network notary's receipt, journaled by the body's ledger sync) → that entry's `notary` state. An
 * entry always precedes its receipt in the journal, so a replay from any point, or a rebuild, gives
 * the same rows. `audit.exported` of an access report that names patients → `namedExports` (whom
 * it names), which the EXPORT entry covering that record is found by for each of them
 * (access-report.ts): an exported report is an access to every patient it names.
 */
export const ledgerProjector: JournalProjector = {
  name: 'ledger',
  kinds: [LEDGER_ENTRY_KIND, LEDGER_RECEIPT_KIND, AUDIT_KINDS.exported],
  tables: (db) => [db.ledger, db.namedExports],
  startPage() {
    const rows = new Map<number, LedgerRow>();
    const receipts = new Map<number, LedgerNotary>();
    const named: NamedExportRow[] = [];
    return {
      async decode(record, meta) {
        if (record.kind === AUDIT_KINDS.exported) {
          const parsed = ExportAuditMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          const subjects = parsed.data.subjects ?? [];
          if (parsed.data.what !== 'accessReport' || subjects.length === 0) return 'skip';
          const row: NamedExportRow = { seq: record.seq, subjects: [...new Set(subjects)] };
          return { apply: () => named.push(row) };
        }
        if (record.kind === LEDGER_RECEIPT_KIND) {
          const parsed = LedgerReceiptMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          const { seq, receipt, treeSize } = parsed.data;
          const notary: LedgerNotary = { leafIndex: receipt.leafIndex, treeSize, integratedAt: receipt.integratedAt, receiptSeq: record.seq };
          return {
            apply: () => {
              const row = rows.get(seq);
              if (row !== undefined) rows.set(seq, { ...row, notary });
              else receipts.set(seq, notary);
            },
          };
        }
        const row = ledgerRowOf(record, meta);
        return row === null ? 'problem' : { apply: () => rows.set(row.seq, row) };
      },
      async write(db) {
        if (receipts.size > 0) {
          const seqs = [...receipts.keys()];
          const existing = await db.ledger.bulkGet(seqs);
          for (const [index, seq] of seqs.entries()) {
            const row = existing[index];
            if (row !== undefined) rows.set(seq, { ...row, notary: receipts.get(seq)! });
          }
        }
        await putInParts(db.ledger, [...rows.values()]);
        await putInParts(db.namedExports, named);
      },
    };
  },
};
