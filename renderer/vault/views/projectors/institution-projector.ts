import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { InstitutionMetaSchema, type InstitutionMeta } from '../../../../shared/journal/mind-meta';
import { INSTITUTION_META_KEY } from '../../../ledger/ledger-rows';
import type { JournalProjector } from './journal-projector';

/** `settings.institution` → the `institution` row of the views' `meta` table (the latest wins). */
export const institutionProjector: JournalProjector = {
  name: 'institution',
  kinds: [MIND_KINDS.institution],
  tables: (db) => [db.meta],
  startPage() {
    let latest: InstitutionMeta | null = null;
    return {
      async decode(_record, meta) {
        const parsed = InstitutionMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        return {
          apply: () => {
            latest = parsed.data;
          },
        };
      },
      async write(db) {
        if (latest !== null) await db.meta.put({ key: INSTITUTION_META_KEY, value: latest });
      },
    };
  },
};
