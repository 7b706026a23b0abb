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

/**
 * The sealed meta of a `ledger.receipt` record: the notary's signed receipt for one entry, the
 * inclusion proof of its leaf, and the signed checkpoint (C2SP note) the proof leads to, all as the
 * notary sent them and the body checked them (shared/network/notary.ts checkNotarized), so the
 * mind can show and re-check them.
 */
export const LedgerReceiptMetaSchema = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  receipt: z.looseObject({ leafIndex: z.number().int().min(0), integratedAt: z.number().int().min(0) }),
  treeSize: z.number().int().min(1),
  inclusion: z.array(z.string().max(64)).max(64),
  checkpoint: z.string().max(64 * 1024),
});
export type LedgerReceiptMeta = z.infer<typeof LedgerReceiptMetaSchema>;

/** The sealed meta of a `ledger.alarm` record: both signed checkpoints (C2SP notes) and what is wrong. */
export const LedgerAlarmMetaSchema = z.strictObject({
  v: z.literal(1),
  older: z.string().max(64 * 1024),
  newer: z.string().max(64 * 1024),
  detail: z.string().max(500),
});
export type LedgerAlarmMeta = z.infer<typeof LedgerAlarmMetaSchema>;
