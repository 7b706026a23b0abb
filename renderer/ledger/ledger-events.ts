import { z } from 'zod';

/**
 * The mind's own journal events that the ledger adds (sealed metas, like journal-payloads.ts):
 * `export.ledger` and `export.nodeInfo` (an EXPORT entry each; `export.backup` exists already) and
 * `settings.institution` (ledger-rows.ts; a SETTINGS_CHANGE entry).
 */
export const LEDGER_EVENT_KINDS = {
  ledgerExported: 'export.ledger',
  nodeInfoExported: 'export.nodeInfo',
  institution: 'settings.institution',
} as const;

/** Any `export.*` meta: the backup's `{v, bytes}` and the ledger's and node info's with entries and the file name. */
export const LedgerExportMetaSchema = z.strictObject({
  v: z.literal(1),
  bytes: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative().optional(),
  /** The file's name only (not its folder, which may hold a user name). */
  file: z.string().max(200).optional(),
});
export type LedgerExportMeta = z.infer<typeof LedgerExportMetaSchema>;
