import { TypedDataEncoder, verifyTypedData, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import type { TypedDataSigner } from '../network/membership';
import { networkDomain, UncompressedPointSchema, type PinnedNetwork } from '../network/network-domain';
import { QUERY_PURPOSES } from './keyword-query';
import { MAX_KEEPERS } from './package/key-split';
import { PhdAmountSchema } from './query-answer';

/**
 * A researcher's purchase request (issue 15 item 1): from the basket, one request per clinic, naming
 * the offers of that clinic's answers and the KEY-list keys selected from them, the price, the
 * purpose, where the buyer pays from, the key to answer to, and an expiry. EIP-712 under the
 * network's domain, signed by the researcher node's identity key, so the clinic checks who asks
 * without trusting the relay or the server. The clinic's acceptance is a PURCHASE_ACCEPTED ledger
 * entry that consumes each offer id at the notary (shared/network/notary.ts CONSUMING_KINDS), so an
 * offer is sold once.
 *
 * Relay payloads (inside the relay's end-to-end encryption, shared/network/relay-payload.ts):
 *
 *   purchase-request    researcher → clinic: the signed request
 *   purchase-accepted   clinic → researcher: accepted, with the notary's receipt of the acceptance
 *   purchase-declined   clinic → researcher: not accepted, and why in one word ("offer-sold": the
 *                       notary refused the acceptance because the offer was consumed already)
 *
 * Nothing here names a patient: the keys are the one-time random keys of the clinic's KEY list.
 */

/** The longest a purchase request stays open. */
export const MAX_PURCHASE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * The most offers one request names (one clinic's answers in one basket): each becomes an input of
 * the clinic's PURCHASE_ACCEPTED entry, which holds at most MAX_ENTRY_INPUTS (64; a test holds them equal).
 */
export const MAX_PURCHASE_OFFERS = 64;
/** The most keys one request names: what a basket holds (research-meta.ts MAX_BASKET_KEYS; a test holds them equal). */
export const MAX_PURCHASE_KEYS = 15_000;
/** The most characters of the stated purpose. */
export const MAX_PURPOSE_TEXT = 2_000;

const Bytes32Schema = z.string().regex(/^0x[0-9a-f]{64}$/);
/** 16 random bytes as 0x + 32 lowercase hex digits. */
export const PurchaseIdSchema = z.string().regex(/^0x[0-9a-f]{32}$/, 'must be 0x and 32 lowercase hex digits');
const KeySchema = z.string().regex(/^[0-9a-f]{32}$/);

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

export const PurchaseRequestSchema = z
  .strictObject({
    purchaseId: PurchaseIdSchema,
    /** The researcher node's address: the signer. */
    researcher: AddressSchema,
    /** The clinic the request is for. */
    clinic: AddressSchema,
    /** The offer ids of that clinic's answers, each once. */
    offerIds: z.array(Bytes32Schema).min(1).max(MAX_PURCHASE_OFFERS).refine(unique, 'names an offer twice'),
    /** The KEY-list keys selected from those answers, each once. */
    keys: z.array(KeySchema).min(1).max(MAX_PURCHASE_KEYS).refine(unique, 'names a key twice'),
    currency: z.literal('PHD'),
    pricePerRecord: PhdAmountSchema,
    /** pricePerRecord × keys, exactly. */
    total: z.string().regex(/^(0|[1-9]\d{0,14})(\.\d{1,6})?$/, 'must be an amount of PHD such as 12.5'),
    /** The consent purpose the patients' consent must allow. */
    purpose: z.enum(QUERY_PURPOSES),
    /** What the data is for, in the researcher's words (the clinic's administrator reads it). */
    purposeText: z.string().trim().min(1).max(MAX_PURPOSE_TEXT),
    /** The EVM address the buyer deposits the price from (the escrow's buyer). */
    paymentAddress: AddressSchema,
    /** The researcher's P-256 message key: the clinic answers (and later delivers) to it. */
    answerKey: UncompressedPointSchema,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .refine((request) => Date.parse(request.expiresAt) > Date.parse(request.createdAt), { message: 'expires before it was made', path: ['expiresAt'] })
  .refine((request) => Date.parse(request.expiresAt) - Date.parse(request.createdAt) <= MAX_PURCHASE_LIFETIME_MS, { message: 'may stay open 7 days at most', path: ['expiresAt'] })
  .refine((request) => phdTimes(request.pricePerRecord, request.keys.length) === request.total, { message: 'is not the price per record times the keys', path: ['total'] });
export type PurchaseRequest = z.infer<typeof PurchaseRequestSchema>;

export const SignedPurchaseRequestSchema = z.strictObject({ request: PurchaseRequestSchema, signature: z.string().regex(/^0x[0-9a-f]{130}$/) });
export type SignedPurchaseRequest = z.infer<typeof SignedPurchaseRequestSchema>;

// ——— PHD amounts: decimal strings with up to 6 decimals, computed in millionths ———

const PHD_SCALE = 1_000_000n;

/** An amount of PHD in millionths. */
export function phdUnits(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole!) * PHD_SCALE + BigInt(fraction.padEnd(6, '0'));
}

/** Millionths of PHD as the canonical decimal string (no trailing zeros: "12.5", "3"). */
export function phdString(units: bigint): string {
  const whole = units / PHD_SCALE;
  const fraction = (units % PHD_SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/** price × count, exactly, as the canonical decimal string. */
export function phdTimes(price: string, count: number): string {
  return phdString(phdUnits(price) * BigInt(count));
}

// ——— EIP-712 ———

const PURCHASE_REQUEST_FIELDS: readonly TypedDataField[] = [
  { name: 'purchaseId', type: 'bytes16' },
  { name: 'researcher', type: 'address' },
  { name: 'clinic', type: 'address' },
  { name: 'offerIds', type: 'bytes32[]' },
  { name: 'keys', type: 'bytes16[]' },
  { name: 'currency', type: 'string' },
  { name: 'pricePerRecord', type: 'string' },
  { name: 'total', type: 'string' },
  { name: 'purpose', type: 'string' },
  { name: 'purposeText', type: 'string' },
  { name: 'paymentAddress', type: 'address' },
  { name: 'answerKey', type: 'bytes' },
  { name: 'createdAt', type: 'string' },
  { name: 'expiresAt', type: 'string' },
];
const purchaseRequestTypes = (): Record<string, TypedDataField[]> => ({ PurchaseRequest: PURCHASE_REQUEST_FIELDS.map((field) => ({ ...field })) });

function typedValue(request: PurchaseRequest): Record<string, unknown> {
  return { ...request, offerIds: [...request.offerIds], keys: request.keys.map((key) => `0x${key}`) };
}

/** The request's EIP-712 hash under the network's domain: the subject of the clinic's PURCHASE_ACCEPTED entry. */
export function purchaseRequestHash(chainId: number, request: PurchaseRequest): string {
  return TypedDataEncoder.hash({ ...networkDomain(chainId) }, purchaseRequestTypes(), typedValue(request));
}

export async function signPurchaseRequest(signer: TypedDataSigner, chainId: number, request: PurchaseRequest): Promise<SignedPurchaseRequest> {
  const parsed = PurchaseRequestSchema.parse(request);
  if (parsed.researcher !== signer.address) throw new Error('The purchase request names another researcher than its signer.');
  const signature = await signer.signTypedData({ ...networkDomain(chainId) }, purchaseRequestTypes(), typedValue(parsed));
  return { request: parsed, signature: signature.toLowerCase() };
}

export type PurchaseRequestProblem = 'schema' | 'signature' | 'expired';

export type VerifiedPurchaseRequest =
  | { readonly ok: true; readonly signed: SignedPurchaseRequest; readonly hash: string }
  | { readonly ok: false; readonly problem: PurchaseRequestProblem; readonly message: string };

/**
 * The signed request, checked: strict schema and limits (keys, offers, lifetime, total), a signature
 * by the researcher it names for this network, and not expired at `now`.
 */
export function verifyPurchaseRequest(network: Pick<PinnedNetwork, 'chainId'>, value: unknown, now: number): VerifiedPurchaseRequest {
  const parsed = SignedPurchaseRequestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: 'schema', message: `The purchase request is malformed${issue === undefined ? '' : ` (${issue.path.map(String).join('.') || 'request'}: ${issue.message})`}.` };
  }
  const { request, signature } = parsed.data;
  let signer: string;
  try {
    signer = verifyTypedData({ ...networkDomain(network.chainId) }, purchaseRequestTypes(), typedValue(request), signature);
  } catch {
    signer = '';
  }
  if (signer !== request.researcher) return { ok: false, problem: 'signature', message: 'The purchase request’s signature is not the researcher’s for this network.' };
  if (Date.parse(request.expiresAt) <= now) return { ok: false, problem: 'expired', message: 'The purchase request has expired.' };
  return { ok: true, signed: parsed.data, hash: purchaseRequestHash(network.chainId, request) };
}

// ——— Relay payloads ———

export const PurchaseRequestPayloadSchema = z.strictObject({ type: z.literal('purchase-request'), signed: SignedPurchaseRequestSchema });
export type PurchaseRequestPayload = z.infer<typeof PurchaseRequestPayloadSchema>;

/** Where the clinic's acceptance is in the network's log: the researcher can fetch and check its inclusion. */
export const AcceptanceReceiptSchema = z.strictObject({
  /** The clinic's PURCHASE_ACCEPTED entry: its seq and EIP-712 digest. */
  seq: z.number().int().min(1),
  entryDigest: Bytes32Schema,
  leafIndex: z.number().int().min(0),
  integratedAt: z.number().int().min(0),
});

export const PurchaseAcceptedPayloadSchema = z.strictObject({
  type: z.literal('purchase-accepted'),
  purchaseId: PurchaseIdSchema,
  /** The request's EIP-712 hash (the entry's subject). */
  requestHash: Bytes32Schema,
  records: z.number().int().min(1).max(MAX_PURCHASE_KEYS),
  total: z.string().regex(/^(0|[1-9]\d{0,14})(\.\d{1,6})?$/),
  receipt: AcceptanceReceiptSchema,
  acceptedAt: z.iso.datetime(),
  /**
   * The key keepers the clinic will split the package key among (shared/research/
   * purchase-settlement.ts chooseKeepers), which the buyer's escrow deposit pays; empty when the
   * network has too few. Absent in acceptances sent before settlement existed.
   */
  keepers: z.array(AddressSchema).max(MAX_KEEPERS).optional(),
});
export type PurchaseAcceptedPayload = z.infer<typeof PurchaseAcceptedPayloadSchema>;

/**
 * `dataset-delivered`, clinic → researcher: the purchase's dataset is in the network's delivery
 * store for the researcher and its key is with the keepers; the clinic's DATA_DELIVERY entry is
 * notarized (`delivery`: its seq, digest and leaf, what a key-release request names). Hex without 0x.
 */
/** What a delivered package is, as the clinic journals it and the researcher is told it. */
export const DELIVERED_PACKAGE_FIELDS = {
  purchaseId: PurchaseIdSchema,
  deliveryId: z.string().regex(/^[0-9a-f]{32}$/),
  size: z.number().int().min(1),
  ciphertextSha256: z.string().regex(/^[0-9a-f]{64}$/),
  commitment: z.string().regex(/^[0-9a-f]{64}$/),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  reportSha256: z.string().regex(/^[0-9a-f]{64}$/),
  released: z.number().int().min(0),
  k: z.number().int().min(2),
  l: z.number().int().min(1),
  keepers: z.array(AddressSchema).min(3).max(MAX_KEEPERS),
  threshold: z.number().int().min(2).max(MAX_KEEPERS),
};

export const DatasetDeliveredPayloadSchema = z.strictObject({
  type: z.literal('dataset-delivered'),
  ...DELIVERED_PACKAGE_FIELDS,
  delivery: AcceptanceReceiptSchema,
});
export type DatasetDeliveredPayload = z.infer<typeof DatasetDeliveredPayloadSchema>;

export const PURCHASE_DECLINE_REASONS = ['declined', 'offer-sold', 'expired', 'invalid', 'unknown-offer', 'keys-not-offered', 'price-mismatch', 'not-a-researcher', 'purpose-not-offered'] as const;
export type PurchaseDeclineReason = (typeof PURCHASE_DECLINE_REASONS)[number];
export const PURCHASE_DECLINE_WORDS: Readonly<Record<PurchaseDeclineReason, string>> = {
  declined: 'declined by the clinic',
  'offer-sold': 'offer already sold',
  expired: 'the request or the offer expired',
  invalid: 'the request’s signature or shape is not valid',
  'unknown-offer': 'the clinic made no such offer to this researcher',
  'keys-not-offered': 'some keys are not from the clinic’s answer',
  'price-mismatch': 'the price is not the offer’s',
  'not-a-researcher': 'the requester is not a research member with that key',
  'purpose-not-offered': 'the clinic does not sell data for this purpose',
};

export const PurchaseDeclinedPayloadSchema = z.strictObject({ type: z.literal('purchase-declined'), purchaseId: PurchaseIdSchema, reason: z.enum(PURCHASE_DECLINE_REASONS) });
export type PurchaseDeclinedPayload = z.infer<typeof PurchaseDeclinedPayloadSchema>;
