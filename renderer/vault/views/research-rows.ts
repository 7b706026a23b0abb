import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import type { KeywordQueryPayload, QueryAnswerPayload, QueryDeclinedPayload } from '../../../shared/research/query-answer';
import type { SignedKeywordQuery } from '../../../shared/research/search-api';
import type { PurchaseAcknowledgedMeta, PurchaseKeysRequestedMeta, PurchaseOpenedMeta } from '../../../shared/research/dataset-meta';
import type { PurchaseAcceptedMeta, PurchaseDeclinedMeta, PurchaseDeliveredMeta, PurchaseDeliveryNotifiedMeta, PurchaseNotifiedMeta, PurchaseRequestedMeta, QueryAnsweredMeta, QueryDeclinedMeta, QueryPostedMeta } from '../../../shared/research/research-meta';
import type { KeyReleasePayload, KeyReleaseRefusedPayload, KeyShareRefusedPayload, KeyShareStoredPayload } from '../../../shared/research/key-release';
import type { DatasetDeliveredPayload, PurchaseAcceptedPayload, PurchaseDeclinedPayload, SignedPurchaseRequest } from '../../../shared/research/purchase-request';
import { encryptMany } from '../vault-crypto';
import type { IncomingQueryRowStored, MyQueryRowStored, QueryAnswerRowStored, QueryOutcomeRowStored, VaultDb } from './vault-db';

/**
 * The research search's rows (issue 14; tables in vault-db.ts version 14). The relay projector
 * hands research payloads here (a query a clinic received, an answer a researcher received); the
 * research projector the `query.*` events. Rows are immutable: an outcome is a row of its own, and
 * a query's state is read by joining them (research features), so pages need no read-modify-write.
 */

/** What an incoming query row's `enc` holds. */
export interface IncomingQueryDetail {
  readonly signed: SignedKeywordQuery;
  /** Who delivered it: the relay (from the researcher, signature checked) or the Data Search Service. */
  readonly via: 'relay' | 'search-service';
  readonly receivedAt: number;
}

/** What an outcome row's `enc` holds. */
export type QueryOutcomeDetail = ({ readonly kind: 'answered' } & QueryAnsweredMeta) | ({ readonly kind: 'declined' } & QueryDeclinedMeta);

/** What an answer row's `enc` holds. */
export interface QueryAnswerDetail {
  readonly clinic: string;
  readonly receivedAt: number;
  readonly payload: QueryAnswerPayload | QueryDeclinedPayload;
}

export async function incomingQueryRow(viewKey: CryptoKey, record: JournalRecord, detail: IncomingQueryDetail): Promise<IncomingQueryRowStored> {
  const { query } = detail.signed;
  const [enc] = await encryptMany(viewKey, [{ table: 'incomingQueries', id: query.queryId, value: detail }]);
  return { queryId: query.queryId, seq: record.seq, at: detail.receivedAt, researcher: query.researcher, expiresAt: Date.parse(query.expiresAt), enc: enc! };
}

export async function queryOutcomeRow(viewKey: CryptoKey, record: JournalRecord, detail: QueryOutcomeDetail): Promise<QueryOutcomeRowStored> {
  const [enc] = await encryptMany(viewKey, [{ table: 'queryOutcomes', id: String(record.seq), value: detail }]);
  return { seq: record.seq, queryId: detail.queryId, researcher: detail.researcher, at: Date.parse(record.at), kind: detail.kind, enc: enc! };
}

export async function myQueryRow(viewKey: CryptoKey, record: JournalRecord, meta: QueryPostedMeta): Promise<MyQueryRowStored> {
  const [enc] = await encryptMany(viewKey, [{ table: 'myQueries', id: meta.signed.query.queryId, value: meta }]);
  return { queryId: meta.signed.query.queryId, seq: record.seq, at: Date.parse(meta.postedAt), enc: enc! };
}

export async function queryAnswerRow(viewKey: CryptoKey, record: JournalRecord, detail: QueryAnswerDetail): Promise<QueryAnswerRowStored> {
  const key = `${detail.payload.queryId}:${detail.clinic}`;
  const [enc] = await encryptMany(viewKey, [{ table: 'queryAnswers', id: key, value: detail }]);
  return { key, queryId: detail.payload.queryId, clinic: detail.clinic, seq: record.seq, at: detail.receivedAt, enc: enc! };
}

// ——— Purchases (issue 15 item 1) ———

/**
 * The purchase's rows live in the views' `meta` table, one immutable row per journal record,
 * `purchase:<purchase id>:<journal seq, 12 digits>` → { purchaseId, seq, at, enc }, so no table of
 * their own (no schema version) is needed; renderer/research/purchases.ts folds a purchase's rows.
 * `enc` holds a PurchaseRowDetail encrypted with the view key (the request's keys are random
 * one-time keys, but the views keep research documents encrypted all the same).
 */
export const PURCHASE_META_PREFIX = 'purchase:';

export type PurchaseRowDetail =
  /** Clinic: a request the relay brought (the sender checked: it is the request's researcher). */
  | { readonly kind: 'request-in'; readonly signed: SignedPurchaseRequest; readonly receivedAt: number }
  /** Research node: the clinic's answer the relay brought. */
  | { readonly kind: 'answer-in'; readonly clinic: string; readonly payload: PurchaseAcceptedPayload | PurchaseDeclinedPayload; readonly receivedAt: number }
  | ({ readonly kind: 'requested' } & PurchaseRequestedMeta)
  | ({ readonly kind: 'accepted' } & PurchaseAcceptedMeta)
  | ({ readonly kind: 'declined' } & PurchaseDeclinedMeta)
  | ({ readonly kind: 'notified' } & PurchaseNotifiedMeta)
  | ({ readonly kind: 'delivered' } & PurchaseDeliveredMeta)
  | ({ readonly kind: 'delivery-notified' } & PurchaseDeliveryNotifiedMeta)
  /** Research node: the clinic's delivery the relay brought. */
  | { readonly kind: 'delivery-in'; readonly clinic: string; readonly payload: DatasetDeliveredPayload; readonly receivedAt: number }
  /** A key keeper's answer the relay brought: to the clinic (share stored or refused), to the researcher (share released or refused). */
  | { readonly kind: 'keeper-in'; readonly keeper: string; readonly payload: KeeperAnswer; readonly receivedAt: number }
  | ({ readonly kind: 'keys-requested' } & PurchaseKeysRequestedMeta)
  | ({ readonly kind: 'opened' } & PurchaseOpenedMeta)
  | ({ readonly kind: 'acknowledged' } & PurchaseAcknowledgedMeta);

/** A keeper's answer about one purchase. */
export type KeeperAnswer = KeyShareStoredPayload | (KeyShareRefusedPayload & { readonly purchaseId: string }) | KeyReleasePayload | (KeyReleaseRefusedPayload & { readonly purchaseId: string });

export interface PurchaseMetaValue {
  readonly purchaseId: string;
  readonly seq: number;
  readonly at: number;
  readonly enc: Uint8Array;
}

export function purchaseMetaKey(purchaseId: string, seq: number): string {
  return `${PURCHASE_META_PREFIX}${purchaseId}:${String(seq).padStart(12, '0')}`;
}

export async function purchaseRow(viewKey: CryptoKey, record: JournalRecord, purchaseId: string, detail: PurchaseRowDetail): Promise<{ readonly key: string; readonly value: PurchaseMetaValue }> {
  const key = purchaseMetaKey(purchaseId, record.seq);
  const [enc] = await encryptMany(viewKey, [{ table: 'meta', id: key, value: detail }]);
  return { key, value: { purchaseId, seq: record.seq, at: Date.parse(record.at), enc: enc! } };
}

/** A page's research rows, and how they are written (the first arrival of a query or an answer wins). */
export class ResearchRowsPage {
  readonly incoming = new Map<string, IncomingQueryRowStored>();
  readonly outcomes: QueryOutcomeRowStored[] = [];
  readonly mine = new Map<string, MyQueryRowStored>();
  readonly answers = new Map<string, QueryAnswerRowStored>();
  readonly purchases = new Map<string, PurchaseMetaValue>();

  addIncoming(row: IncomingQueryRowStored): void {
    if (!this.incoming.has(row.queryId)) this.incoming.set(row.queryId, row);
  }

  addAnswer(row: QueryAnswerRowStored): void {
    if (!this.answers.has(row.key)) this.answers.set(row.key, row);
  }

  async write(db: VaultDb): Promise<void> {
    if (this.incoming.size > 0) {
      const existing = new Set((await db.incomingQueries.bulkGet([...this.incoming.keys()])).flatMap((row) => (row === undefined ? [] : [row.queryId])));
      await db.incomingQueries.bulkPut([...this.incoming.values()].filter((row) => !existing.has(row.queryId)));
    }
    if (this.answers.size > 0) {
      const existing = new Set((await db.queryAnswers.bulkGet([...this.answers.keys()])).flatMap((row) => (row === undefined ? [] : [row.key])));
      await db.queryAnswers.bulkPut([...this.answers.values()].filter((row) => !existing.has(row.key)));
    }
    if (this.outcomes.length > 0) await db.queryOutcomes.bulkPut(this.outcomes);
    if (this.mine.size > 0) await db.myQueries.bulkPut([...this.mine.values()]);
    if (this.purchases.size > 0) await db.meta.bulkPut([...this.purchases].map(([key, value]) => ({ key, value })));
  }
}

/** The purchase row a relay payload makes: a request from its own researcher (clinic), or a clinic's answer (research node). */
export async function purchaseRowOfPayload(
  viewKey: CryptoKey,
  record: JournalRecord,
  payload: { readonly type: 'purchase-request'; readonly signed: SignedPurchaseRequest } | PurchaseAcceptedPayload | PurchaseDeclinedPayload | DatasetDeliveredPayload | KeyShareStoredPayload | KeyShareRefusedPayload | KeyReleasePayload | KeyReleaseRefusedPayload,
  from: string,
  receivedAt: number,
): Promise<{ readonly key: string; readonly value: PurchaseMetaValue } | null> {
  if (payload.type === 'key-share-stored' || payload.type === 'key-share-refused' || payload.type === 'key-release' || payload.type === 'key-release-refused') {
    // A refusal of a message the keeper could not read names no purchase: nothing to file it under.
    if (payload.purchaseId === null) return null;
    return purchaseRow(viewKey, record, payload.purchaseId, { kind: 'keeper-in', keeper: from, payload: payload as KeeperAnswer, receivedAt });
  }
  if (payload.type === 'purchase-request') {
    // Only the researcher itself may bring its request (the relay checked the sender's signature).
    if (payload.signed.request.researcher !== from) return null;
    return purchaseRow(viewKey, record, payload.signed.request.purchaseId, { kind: 'request-in', signed: payload.signed, receivedAt });
  }
  if (payload.type === 'dataset-delivered') return purchaseRow(viewKey, record, payload.purchaseId, { kind: 'delivery-in', clinic: from, payload, receivedAt });
  return purchaseRow(viewKey, record, payload.purchaseId, { kind: 'answer-in', clinic: from, payload, receivedAt });
}

/** The incoming query or answer a relay payload makes, or null for a payload that is not the research search's. */
export async function researchRowOfPayload(
  viewKey: CryptoKey,
  record: JournalRecord,
  payload: KeywordQueryPayload | QueryAnswerPayload | QueryDeclinedPayload,
  from: string,
  receivedAt: number,
): Promise<{ readonly incoming: IncomingQueryRowStored } | { readonly answer: QueryAnswerRowStored } | null> {
  if (payload.type === 'keyword-query') {
    // Only the researcher itself may bring its query (the relay checked the sender's signature).
    if (payload.signed.query.researcher !== from) return null;
    return { incoming: await incomingQueryRow(viewKey, record, { signed: payload.signed, via: 'relay', receivedAt }) };
  }
  return { answer: await queryAnswerRow(viewKey, record, { clinic: from, receivedAt, payload }) };
}
