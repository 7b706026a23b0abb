import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { AccessMetaSchema } from '../../../../shared/journal/mind-meta';
import type { AccessRow } from '../vault-db';
import type { JournalProjector } from './journal-projector';
import { putInParts } from '../put-in-parts';

/** `view.access` → the `access` table (who opened which patient or record when). */
export const accessProjector: JournalProjector = {
  name: 'access',
  kinds: [MIND_KINDS.access],
  tables: (db) => [db.access],
  startPage() {
    const rows: AccessRow[] = [];
    return {
      async decode(record, meta) {
        const parsed = AccessMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        const { patientId, recordId, at } = parsed.data;
        const row: AccessRow = { seq: record.seq, operator: record.operator ?? '', patientId, recordId, at };
        return { apply: () => rows.push(row) };
      },
      async write(db) {
        await putInParts(db.access, rows);
      },
    };
  },
};
