import { LEDGER_ENTRY_KIND } from '../../../../shared/journal/journal-kinds';
import { ledgerRowOf, type LedgerRow } from '../../../ledger/ledger-rows';
import type { JournalProjector } from './journal-projector';

/** `ledger.entry` → the `ledger` table (renderer/ledger/ledger-rows.ts). */
export const ledgerProjector: JournalProjector = {
  name: 'ledger',
  kinds: [LEDGER_ENTRY_KIND],
  tables: (db) => [db.ledger],
  startPage() {
    const rows: LedgerRow[] = [];
    return {
      async decode(record, meta) {
        const row = ledgerRowOf(record, meta);
        return row === null ? 'problem' : { apply: () => rows.push(row) };
      },
      async write(db) {
        if (rows.length > 0) await db.ledger.bulkPut(rows);
      },
    };
  },
};
