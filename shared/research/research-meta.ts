import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { OfferSchema, QueryAnswerPayloadSchema, DECLINE_REASONS, MAX_KEY_LIST } from './query-answer';
import { SignedKeywordQuerySchema } from './search-api';
import { DatasetDeliveredPayloadSchema, DELIVERED_PACKAGE_FIELDS, MAX_PURCHASE_KEYS, MAX_PURCHASE_OFFERS, PURCHASE_DECLINE_REASONS, PurchaseAcceptedPayloadSchema, PurchaseIdSchema, SignedPurchaseRequestSchema } from './purchase-request';
import { QUERY_PURPOSES } from './keyword-query';
import { PACKED_RELEASED_PATIENT } from './deid/released-patients';

/**
 * The research search's mind events (issue 14), sealed in the journal like every mind event; the
 * research projector (renderer/vault/views/projectors/research-projector.ts) folds them into views.
 */

const Bytes32Schema = z.string().regex(/^0x[0-9a-f]{64}$/);

/** `query.posted` (research node): the query as signed, and the clinics it was sent to. */
export const QueryPostedMetaSchema = z.strictObject({
  v: z.literal(1),
  signed: SignedKeywordQuerySchema,
  /** Its EIP-712 hash under the network's domain (what clinics' QUERY_ANSWERED entries name). */
  queryHash: Bytes32Schema,
  clinics: z.array(AddressSchema).max(10_000),
  postedAt: z.iso.datetime(),
});
export type QueryPostedMeta = z.infer<typeof QueryPostedMetaSchema>;

/** `query.received` (clinic): a query taken from the Data Search Service rather than the relay. */
export const QueryReceivedMetaSchema = z.strictObject({ v: z.literal(1), signed: SignedKeywordQuerySchema, receivedAt: z.iso.datetime() });
export type QueryReceivedMeta = z.infer<typeof QueryReceivedMetaSchema>;

/** How many cohort tags an answer keeps for the guard's near-repeat check (larger cohorts keep none). */
export const MAX_GUARD_COHORT = 10_000;

/** `query.answered` (clinic): what it answered, and what its guard needs to know of it later. */
export const QueryAnsweredMetaSchema = z.strictObject({
  v: z.literal(1),
  queryId: Bytes32Schema,
  researcher: AddressSchema,
  queryHash: Bytes32Schema,
  /** shared/research/keyword-query.ts queryFingerprint. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * Short tags of the matching patients (the first 48 bits of a keyed hash of their view ids, so the
   * journal holds no id a view could be joined on), for the near-repeat check; empty for a cohort
   * over MAX_GUARD_COHORT. Sealed like the rest: it never leaves the node.
   */
  cohortTags: z.array(z.string().regex(/^[0-9a-f]{12}$/)).max(MAX_GUARD_COHORT),
  /** How many patients matched (exact; only the bucket left the node). */
  matched: z.number().int().min(0),
  /**
   * The tag of each KEY-list entry's patient, in the answer's order: a repeat served later leaves
   * out the entries of patients whose consent no longer allows the purpose (or who were erased).
   */
  keyTags: z.array(z.string().regex(/^[0-9a-f]{12}$/)).max(MAX_KEY_LIST),
  /** A new answer, or an earlier one served again. */
  decision: z.enum(['answer', 'repeat']),
  answer: QueryAnswerPayloadSchema,
  /** The relay message that carried it. */
  messageId: z.string().regex(/^[0-9a-f]{32}$/),
});
export type QueryAnsweredMeta = z.infer<typeof QueryAnsweredMetaSchema>;

/** `query.declined` (clinic): declined by an administrator, or by the guard (a lockout until `lockedUntil`). */
export const QueryDeclinedMetaSchema = z.strictObject({
  v: z.literal(1),
  queryId: Bytes32Schema,
  researcher: AddressSchema,
  reason: z.enum(DECLINE_REASONS),
  lockedUntil: z.iso.datetime().nullable(),
  lockReason: z.enum(['budget', 'repeats']).nullable(),
});
export type QueryDeclinedMeta = z.infer<typeof QueryDeclinedMetaSchema>;

/** One clinic's part of the basket: the offer and the KEY-list keys selected from it. */
export const BasketItemSchema = z.strictObject({
  queryId: Bytes32Schema,
  clinic: AddressSchema,
  offer: OfferSchema,
  keys: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1).max(MAX_KEY_LIST),
});
export type BasketItem = z.infer<typeof BasketItemSchema>;

/** The most keys a basket holds across its offers: the whole basket is one journal record of at most 1 MiB. */
export const MAX_BASKET_KEYS = 15_000;

/** `basket.changed` (research node): the whole basket as it now is (the latest event wins). */
export const BasketMetaSchema = z
  .strictObject({ v: z.literal(1), items: z.array(BasketItemSchema).max(100) })
  .refine((basket) => basket.items.reduce((sum, item) => sum + item.keys.length, 0) <= MAX_BASKET_KEYS, { message: `a basket holds at most ${MAX_BASKET_KEYS} keys`, path: ['items'] });
export type BasketMeta = z.infer<typeof BasketMetaSchema>;

// ——— The purchase (issue 15 item 1: shared/research/purchase-request.ts) ———

/** `purchase.requested` (research node): the request as signed and sent to its clinic. */
export const PurchaseRequestedMetaSchema = z.strictObject({
  v: z.literal(1),
  signed: SignedPurchaseRequestSchema,
  /** Its EIP-712 hash under the network's domain (the clinic's PURCHASE_ACCEPTED entry names it). */
  requestHash: Bytes32Schema,
  messageId: z.string().regex(/^[0-9a-f]{32}$/),
});
export type PurchaseRequestedMeta = z.infer<typeof PurchaseRequestedMetaSchema>;

/**
 * `purchase.accepted` (clinic): accepted, its offers claimed at the notary for this request. The
 * ledger signs it as PURCHASE_ACCEPTED with the offer ids as inputs (consumed at the notary); once
 * notarized, the researcher is told (`purchase.notified`).
 */
export const PurchaseAcceptedMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  researcher: AddressSchema,
  requestHash: Bytes32Schema,
  offerIds: z.array(Bytes32Schema).min(1).max(MAX_PURCHASE_OFFERS),
  records: z.number().int().min(1),
  total: z.string().regex(/^(0|[1-9]\d{0,14})(\.\d{1,6})?$/),
  how: z.enum(['manual', 'automatic']),
});
export type PurchaseAcceptedMeta = z.infer<typeof PurchaseAcceptedMetaSchema>;

/** `purchase.declined` (clinic): declined, and why ("offer-sold": the notary had it consumed or claimed). */
export const PurchaseDeclinedMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  researcher: AddressSchema,
  requestHash: Bytes32Schema.nullable(),
  reason: z.enum(PURCHASE_DECLINE_REASONS),
});
export type PurchaseDeclinedMeta = z.infer<typeof PurchaseDeclinedMetaSchema>;

/**
 * `purchase.delivered` (clinic): the purchase's de-identified dataset was sealed and uploaded to the
 * network's delivery store for the researcher, and its key split among the keepers. The ledger
 * signs it as DATA_DELIVERY: subject the purchase id as bytes32, inputs the ciphertext's SHA-256
 * and the key commitment (what a keeper checks a share against before releasing it).
 */
export const PurchaseDeliveredMetaSchema = z.strictObject({
  v: z.literal(1),
  ...DELIVERED_PACKAGE_FIELDS,
  researcher: AddressSchema,
  suppressed: z.number().int().min(0),
  // What left, the clinic's own record (issue 15 item 8). Optional: journals written before it
  // lack them. The ledger's DATA_DELIVERY entry picks its fields by name and never holds these.
  /** Each released patient's view id and release pseudonym, packed (deid/released-patients.ts). */
  patients: z.array(z.string().regex(PACKED_RELEASED_PATIENT)).max(MAX_PURCHASE_KEYS).optional(),
  /** The consent basis: the purpose every released patient's consent was checked for at release, under the policy's mode then. */
  purpose: z.enum(QUERY_PURPOSES).optional(),
  consentMode: z.enum(['opt-in', 'opt-out']).optional(),
  /** The de-identification profile of the release. */
  profile: z.enum(['safe-harbor', 'longitudinal']).optional(),
  /** DICOM instances in the package, and left out by the Annex E profile's exclusions. */
  dicom: z.strictObject({ instances: z.number().int().min(0), excluded: z.number().int().min(0) }).optional(),
});
export type PurchaseDeliveredMeta = z.infer<typeof PurchaseDeliveredMetaSchema>;

/** `purchase.deliveryNotified` (clinic): the notarized delivery sent to the researcher. */
export const PurchaseDeliveryNotifiedMetaSchema = z.strictObject({ v: z.literal(1), purchaseId: PurchaseIdSchema, payload: DatasetDeliveredPayloadSchema, messageId: z.string().regex(/^[0-9a-f]{32}$/) });
export type PurchaseDeliveryNotifiedMeta = z.infer<typeof PurchaseDeliveryNotifiedMetaSchema>;

/** `purchase.notified` (clinic): the notarized acceptance sent to the researcher. */
export const PurchaseNotifiedMetaSchema = z.strictObject({ v: z.literal(1), purchaseId: PurchaseIdSchema, payload: PurchaseAcceptedPayloadSchema, messageId: z.string().regex(/^[0-9a-f]{32}$/) });
export type PurchaseNotifiedMeta = z.infer<typeof PurchaseNotifiedMetaSchema>;
