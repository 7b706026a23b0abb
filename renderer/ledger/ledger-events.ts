import { MIND_KINDS } from '../../shared/journal/journal-kinds';

/**
 * The mind's own journal events that the ledger adds (kinds and sealed shapes in shared/journal/):
 * `export.ledger` and `export.nodeInfo` (an EXPORT entry each; `export.backup` exists already) and
 * `settings.institution` (ledger-rows.ts; a SETTINGS_CHANGE entry).
 */
export const LEDGER_EVENT_KINDS = {
  ledgerExported: MIND_KINDS.ledgerExported,
  nodeInfoExported: MIND_KINDS.nodeInfoExported,
  institution: MIND_KINDS.institution,
} as const;

export { ExportMetaSchema as LedgerExportMetaSchema, type ExportMeta as LedgerExportMeta } from '../../shared/journal/mind-meta';
