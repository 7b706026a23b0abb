import { z } from 'zod';

/**
 * The sealed meta of a `ledger.entry` record: the entry as signed, its signature, and the salted
 * details its payloadHash commits to (renderer/ledger/ledger-details.ts). The entry itself is
 * validated strictly by the verifier (shared/ledger), not here.
 */
export const LedgerRecordMetaSchema = z.strictObject({
  v: z.literal(1),
  entry: z.looseObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
  signature: z.string().max(200),
  details: z.looseObject({ to: z.number().int().min(0) }),
});
export type LedgerRecordMeta = z.infer<typeof LedgerRecordMetaSchema>;
