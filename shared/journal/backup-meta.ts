import { z } from 'zod';

const count = z.number().int().nonnegative();

/**
 * The sealed meta of `backup.restored` (electron/backup/backup-journal.ts), which the ledger signs
 * as a RESTORE entry: when, and what the erasure register made the restore erase again (erasures
 * recorded after the backup was made, their journal records and objects), and what it rewound: the
 * backup's date and its last ledger entry. Counts and a date only, no PHI.
 */
export const BackupRestoredMetaSchema = z.strictObject({
  v: z.literal(1),
  act: z.literal('restored'),
  at: z.iso.datetime(),
  erasures: count,
  records: count,
  objects: count,
  /** When the restored backup was made, and its last ledger entry (0: none). Absent in restores journaled before they were recorded. */
  backupCreatedAt: z.iso.datetime().optional(),
  ledgerSeq: count.optional(),
});
export type BackupRestoredMeta = z.infer<typeof BackupRestoredMetaSchema>;
