import { z } from 'zod';
import { DATA_TYPES } from './cohort-answer';
import { SignedKeywordQuerySchema } from './search-api';

/**
 * What travels between a researcher and the clinics through the relay (issue 14 items 2, 3 and 5),
 * inside the relay's end-to-end encryption (shared/network/relay-payload.ts lists them):
 *
 *   keyword-query    researcher → every clinic (a broadcast by role): the signed query
 *   query-answer     clinic → researcher: the count bucket, the KEY list and the offer
 *   query-declined   clinic → researcher: no answer, and why in one word
 *
 * The answer is sealed to the `answerKey` the researcher signed into its query. Nothing here names
 * a patient: the KEY list carries one-time random keys and generalized attributes only
 * (cohort-answer.ts), and the offer is what the purchase (issue 15) consumes by its id.
 */

const Bytes32Schema = z.string().regex(/^0x[0-9a-f]{64}$/);

/**
 * The most KEY-list entries one answer carries. The answer must fit the network's default 1 MiB
 * message and, with the tags the clinic keeps beside it, one 1 MiB journal record
 * (test/shared/research/research-meta.test.ts checks the worst case: every data type on every entry).
 */
export const MAX_KEY_LIST = 2_000;

export const KeyListEntrySchema = z.strictObject({
  key: z.string().regex(/^[0-9a-f]{32}$/),
  ageBand: z.string().regex(/^(\d{1,3}–\d{1,3}|90\+)$/).nullable(),
  sex: z.enum(['F', 'M', 'other or unknown']).nullable(),
  dataTypes: z.array(z.enum(DATA_TYPES)).max(DATA_TYPES.length),
  years: z.string().regex(/^\d{4}–\d{4}$/).nullable(),
});

export const CountBucketSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fewer'), than: z.number().int().min(5).max(1000) }),
  z.strictObject({ kind: z.literal('count'), roundedUp: z.number().int().min(10).multipleOf(10) }),
]);

/** The de-identification a clinic promises for a sale (the purchase issue applies and verifies it). */
/** How an offer's records will be released: the clinic's research policy when it answered (shared/research/consent.ts releaseProfileOf). */
export const DEID_PROFILES = ['hipaa-safe-harbor-k', 'hipaa-longitudinal-k'] as const;
export const DEID_PROFILE_WORDS: Readonly<Record<(typeof DEID_PROFILES)[number], string>> = {
  'hipaa-safe-harbor-k': 'HIPAA Safe Harbor, then k-anonymity',
  'hipaa-longitudinal-k': 'HIPAA identifiers removed, dates shifted per patient (longitudinal), then k-anonymity',
};

/** A decimal amount of PHD tokens: up to 9 whole digits and 6 decimals ("12.5"). */
export const PhdAmountSchema = z.string().regex(/^(0|[1-9]\d{0,8})(\.\d{1,6})?$/, 'must be an amount of PHD such as 12.5');

export const OfferSchema = z.strictObject({
  /** 32 random bytes: the purchase names it, and the clinic's acceptance consumes it once at the notary. */
  offerId: Bytes32Schema,
  currency: z.literal('PHD'),
  pricePerRecord: PhdAmountSchema,
  profile: z.enum(DEID_PROFILES),
  /** The k of k-anonymity the delivered dataset will have. */
  k: z.number().int().min(2).max(1000),
  /** How many records (KEY-list entries) the offer covers. */
  records: z.number().int().min(1),
  validUntil: z.iso.datetime(),
});
export type Offer = z.infer<typeof OfferSchema>;

export const KeywordQueryPayloadSchema = z.strictObject({ type: z.literal('keyword-query'), signed: SignedKeywordQuerySchema });
export type KeywordQueryPayload = z.infer<typeof KeywordQueryPayloadSchema>;

export const QueryAnswerPayloadSchema = z.strictObject({
  type: z.literal('query-answer'),
  queryId: Bytes32Schema,
  bucket: CountBucketSchema,
  keyList: z.array(KeyListEntrySchema).max(MAX_KEY_LIST),
  /** True when the cohort had more patients than one answer lists (the list is a random MAX_KEY_LIST of them). */
  keyListTruncated: z.boolean(),
  /** Null when there is nothing to offer (a cohort under the minimum cell size). */
  offer: OfferSchema.nullable(),
  /** Served from an earlier answer to the same (or nearly the same) query: the same count and keys. */
  repeat: z.boolean(),
  answeredAt: z.iso.datetime(),
});
export type QueryAnswerPayload = z.infer<typeof QueryAnswerPayloadSchema>;

export const DECLINE_REASONS = ['declined', 'locked-out', 'purpose-not-offered'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];
export const DECLINE_WORDS: Readonly<Record<DeclineReason, string>> = {
  declined: 'declined by the clinic',
  'locked-out': 'too many queries: locked out for a while',
  'purpose-not-offered': 'the clinic does not answer queries for this purpose',
};

export const QueryDeclinedPayloadSchema = z.strictObject({ type: z.literal('query-declined'), queryId: Bytes32Schema, reason: z.enum(DECLINE_REASONS) });
export type QueryDeclinedPayload = z.infer<typeof QueryDeclinedPayloadSchema>;
