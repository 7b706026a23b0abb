import { z } from 'zod';

const count = z.number().int().nonnegative();

/**
 * The sealed meta of `backup.restored` (electron/backup/backup-journal.ts), which the ledger signs
 * as a RESTORE entry: when, and what the erasure register made the restore erase again (erasures
 * recorded after the backup was made, their journal records and objects). Counts only, no PHI.
 */
export const BackupRestoredMetaSchema = z.strictObject({
  v: z.literal(1),
  act: z.literal('restored'),
  at: z.iso.datetime(),
  erasures: count,
  records: count,
  objects: count,
});
export type BackupRestoredMeta = z.infer<typeof BackupRestoredMetaSchema>;
