import type { PurchaseDeliveredMeta } from '../../shared/research/research-meta';
import { decryptMany } from '../vault/vault-crypto';
import type { VaultDb } from '../vault/views/vault-db';
import { PURCHASE_META_PREFIX, type PurchaseMetaValue, type PurchaseRowDetail } from '../vault/views/research-rows';

/**
 * A purchase's rows (renderer/vault/views/research-rows.ts: one immutable row per journal record),
 * decrypted and in journal order. The clinic's and the researcher's purchase features both read a
 * purchase's state by folding these.
 */
export interface FoldedPurchase {
  readonly purchaseId: string;
  readonly rows: readonly { readonly value: PurchaseMetaValue; readonly detail: PurchaseRowDetail }[];
}

/** Every purchase's rows, decrypted, grouped by purchase id in journal order. */
export async function foldPurchaseRows(db: VaultDb, viewKey: CryptoKey): Promise<FoldedPurchase[]> {
  const rows = await db.meta.where('key').startsWith(PURCHASE_META_PREFIX).toArray();
  const values = rows.map((row) => row.value as PurchaseMetaValue);
  const details = await decryptMany<PurchaseRowDetail>(
    viewKey,
    rows.map((row, i) => ({ table: 'meta', id: row.key, stored: values[i]!.enc })),
  );
  const byId = new Map<string, { value: PurchaseMetaValue; detail: PurchaseRowDetail }[]>();
  values.forEach((value, i) => {
    const list = byId.get(value.purchaseId) ?? [];
    list.push({ value, detail: details[i]! });
    byId.set(value.purchaseId, list);
  });
  return [...byId].map(([purchaseId, list]) => ({ purchaseId, rows: list.sort((a, b) => a.value.seq - b.value.seq) }));
}

/** The clinic's delivery of a purchase, from its `purchase.delivered` row. */
export function deliveredOf(folded: FoldedPurchase): PurchaseDeliveredMeta | null {
  const detail = folded.rows.find((row) => row.detail.kind === 'delivered')?.detail;
  if (detail?.kind !== 'delivered') return null;
  const { kind: _kind, ...meta } = detail;
  return meta;
}
