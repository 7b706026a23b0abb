import { TypedDataEncoder, verifyTypedData, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AddressSchema, Bytes32Schema } from '../ledger/ledger-schema';
import type { TypedDataSigner } from '../network/membership';
import { networkDomain, uint64 } from '../network/network-domain';
import { MAX_KEEPERS, MIN_KEEPERS, type EncryptedKeyShare } from './package/key-split';
import { PurchaseIdSchema, SignedPurchaseRequestSchema, verifyPurchaseRequest, type SignedPurchaseRequest } from './purchase-request';

/**
 * The key keepers' messages (issue 15 item 6; the keeper is `npm run keeper`, server/keeper/). All
 * travel as relay payloads (UTF-8 JSON inside the relay's end-to-end encryption and sender signature,
 * shared/network/relay.ts), each one object with a `type`:
 *
 *   key-share-deposit    clinic → keeper   the keeper's share of a package key (splitPackageKey's
 *                                          EncryptedKeyShare for this keeper: recipientId = the
 *                                          keeper's address, sealed to its message key), naming
 *                                          the purchase it is for
 *   key-share-stored     keeper → clinic   kept (sealed as it came) until a release is asked
 *   key-share-refused    keeper → clinic   not kept, and why in one word
 *   key-release-request  buyer → keeper    a KeyReleaseRequest signed (EIP-712, the network's
 *                                          domain) by the researcher, with the signed purchase request
 *   key-release          keeper → buyer    the share resealed to the buyer (resealKeyShare: recipient
 *                                          id = the researcher's address, sealed to the purchase
 *                                          request's answerKey) and the keeper's KEY_RELEASE receipt
 *   key-release-refused  keeper → buyer    not released, why in one word and one sentence
 *
 * What the keeper checks before releasing (server/keeper/keeper-service.ts): the request is signed by
 * the researcher of the purchase request it carries, and names this keeper; it holds a share of that
 * purchase from that request's clinic; the clinic's PURCHASE_ACCEPTED entry (subject: the purchase
 * request's EIP-712 hash) and DATA_DELIVERY entry (subject: purchaseIdInput(purchase id); inputs: the
 * ciphertext SHA-256 and the key commitment, 0x-prefixed, in that order, which must be the share's)
 * are in the log under a checkpoint with the map's witness quorum; the escrow holds the deposit
 * under the purchase id (as bytes32: purchaseIdInput) from the purchase request's paymentAddress, at
 * least the network's confirmations deep, of at least the request's total; neither the purchase
 * request nor the escrow deadline has passed; and the notary lets it consume
 * `key-release:<keeper>:<purchase id>` (once).
 */

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** An EncryptedKeyShare (shared/research/package/key-split.ts) as it travels, strictly. */
export const EncryptedKeyShareSchema = z.strictObject({
  v: z.literal(1),
  type: z.literal('hdms.key-share'),
  purchaseId: PurchaseIdSchema,
  recipientId: AddressSchema,
  threshold: z.number().int().min(2).max(MAX_KEEPERS),
  total: z.number().int().min(MIN_KEEPERS).max(MAX_KEEPERS),
  ciphertextSha256: Hex64,
  commitment: Hex64,
  epk: z.string().regex(/^04[0-9a-f]{128}$/),
  iv: z.string().regex(/^[0-9a-f]{24}$/),
  ct: z.string().regex(/^[0-9a-f]{98}$/),
}) satisfies z.ZodType<EncryptedKeyShare>;

export const KeyShareDepositPayloadSchema = z.strictObject({
  type: z.literal('key-share-deposit'),
  /** The purchase the share is for: the keeper opens the share only as bound to this one. */
  purchaseId: PurchaseIdSchema,
  share: EncryptedKeyShareSchema,
});
export type KeyShareDepositPayload = z.infer<typeof KeyShareDepositPayloadSchema>;

export const KeyShareStoredPayloadSchema = z.strictObject({ type: z.literal('key-share-stored'), purchaseId: PurchaseIdSchema });
export type KeyShareStoredPayload = z.infer<typeof KeyShareStoredPayloadSchema>;

export const KEY_SHARE_REFUSALS = ['malformed', 'not-a-clinic', 'wrong-purchase', 'wrong-keeper', 'undecryptable', 'conflict'] as const;
export type KeyShareRefusal = (typeof KEY_SHARE_REFUSALS)[number];
export const KeyShareRefusedPayloadSchema = z.strictObject({ type: z.literal('key-share-refused'), purchaseId: PurchaseIdSchema.nullable(), reason: z.enum(KEY_SHARE_REFUSALS) });
export type KeyShareRefusedPayload = z.infer<typeof KeyShareRefusedPayloadSchema>;

// ——— The release request ———

export const KeyReleaseRequestSchema = z.strictObject({
  purchaseId: PurchaseIdSchema,
  /** The keeper asked (one request per keeper). */
  keeper: AddressSchema,
  /** The researcher: the signer, the purchase request's researcher. */
  buyer: AddressSchema,
  /** The clinic that sold and delivered. */
  clinic: AddressSchema,
  /** The purchase request's EIP-712 hash (the PURCHASE_ACCEPTED entry's subject). */
  purchaseRequestHash: Bytes32Schema,
  /** The clinic's PURCHASE_ACCEPTED and DATA_DELIVERY entries, by their seq in its ledger. */
  acceptanceSeq: uint64.min(1),
  deliverySeq: uint64.min(1),
  /** A witnessed checkpoint's tree size to prove them against; 0 for the newest. */
  checkpointSize: uint64,
  /** Unix ms. */
  createdAt: uint64,
});
export type KeyReleaseRequest = z.infer<typeof KeyReleaseRequestSchema>;

const KEY_RELEASE_REQUEST_FIELDS: readonly TypedDataField[] = [
  { name: 'purchaseId', type: 'bytes16' },
  { name: 'keeper', type: 'address' },
  { name: 'buyer', type: 'address' },
  { name: 'clinic', type: 'address' },
  { name: 'purchaseRequestHash', type: 'bytes32' },
  { name: 'acceptanceSeq', type: 'uint64' },
  { name: 'deliverySeq', type: 'uint64' },
  { name: 'checkpointSize', type: 'uint64' },
  { name: 'createdAt', type: 'uint64' },
];
const keyReleaseTypes = (): Record<string, TypedDataField[]> => ({ KeyReleaseRequest: KEY_RELEASE_REQUEST_FIELDS.map((field) => ({ ...field })) });

export const KeyReleaseRequestPayloadSchema = z.strictObject({
  type: z.literal('key-release-request'),
  request: KeyReleaseRequestSchema,
  signature: z.string().regex(/^0x[0-9a-f]{130}$/),
  /** The signed purchase request the release is for (its expiry, payer, clinic, answer key, hash). */
  purchase: SignedPurchaseRequestSchema,
});
export type KeyReleaseRequestPayload = z.infer<typeof KeyReleaseRequestPayloadSchema>;

export function keyReleaseRequestHash(chainId: number, request: KeyReleaseRequest): string {
  return TypedDataEncoder.hash({ ...networkDomain(chainId) }, keyReleaseTypes(), { ...request });
}

/** The buyer's side: signs a release request with its identity key (the researcher it names). */
export async function signKeyReleaseRequest(signer: TypedDataSigner, chainId: number, request: KeyReleaseRequest, purchase: SignedPurchaseRequest): Promise<KeyReleaseRequestPayload> {
  const parsed = KeyReleaseRequestSchema.parse(request);
  if (parsed.buyer !== signer.address) throw new Error('The release request names another buyer than its signer.');
  const signature = (await signer.signTypedData({ ...networkDomain(chainId) }, keyReleaseTypes(), { ...parsed })).toLowerCase();
  return { type: 'key-release-request', request: parsed, signature, purchase };
}

export type ReleaseRequestCheck = { readonly ok: true; readonly request: KeyReleaseRequest; readonly purchase: SignedPurchaseRequest } | { readonly ok: false; readonly reason: 'invalid' | 'expired'; readonly message: string };

/**
 * The keeper's first look at a release request: signed by the buyer it names, who is the purchase
 * request's researcher; the purchase request verifies (its signature, for this network) and has not
 * expired at `now`; both name the same purchase, clinic and hash; and the request names `keeper`.
 */
export function checkKeyReleaseRequest(chainId: number, payload: KeyReleaseRequestPayload, keeper: string, now: number): ReleaseRequestCheck {
  const { request, signature } = payload;
  let signer = '';
  try {
    signer = verifyTypedData({ ...networkDomain(chainId) }, keyReleaseTypes(), { ...request }, signature);
  } catch {
    signer = '';
  }
  if (signer !== request.buyer) return { ok: false, reason: 'invalid', message: 'The release request is not signed by the buyer it names.' };
  if (request.keeper !== keeper) return { ok: false, reason: 'invalid', message: 'The release request is for another keeper.' };
  const purchase = verifyPurchaseRequest({ chainId }, payload.purchase, now);
  if (!purchase.ok) return purchase.problem === 'expired' ? { ok: false, reason: 'expired', message: 'The purchase request has expired.' } : { ok: false, reason: 'invalid', message: purchase.message };
  const p = purchase.signed.request;
  if (p.purchaseId !== request.purchaseId || p.researcher !== request.buyer || p.clinic !== request.clinic || purchase.hash !== request.purchaseRequestHash) {
    return { ok: false, reason: 'invalid', message: 'The release request and the purchase request name different purchases, buyers, clinics or hashes.' };
  }
  return { ok: true, request, purchase: purchase.signed };
}

// ——— Answers to the buyer ———

export const KeyReleasePayloadSchema = z.strictObject({
  type: z.literal('key-release'),
  purchaseId: PurchaseIdSchema,
  /** Sealed to the buyer: recipientId = the researcher's address, key = the purchase request's answerKey. */
  share: EncryptedKeyShareSchema,
  /** The keeper's KEY_RELEASE entry at the notary. */
  receipt: z.strictObject({ seq: uint64.min(1), entryDigest: Bytes32Schema, leafIndex: uint64 }),
});
export type KeyReleasePayload = z.infer<typeof KeyReleasePayloadSchema>;

export const KEY_RELEASE_REFUSALS = ['invalid', 'no-share', 'not-notarized', 'share-mismatch', 'no-payment', 'wrong-payer', 'confirmations', 'expired', 'already-released', 'unavailable'] as const;
export type KeyReleaseRefusal = (typeof KEY_RELEASE_REFUSALS)[number];
export const KEY_RELEASE_REFUSAL_WORDS: Readonly<Record<KeyReleaseRefusal, string>> = {
  invalid: 'the request is not valid (signature, keeper, or purchase request)',
  'no-share': 'this keeper holds no share of that purchase from its clinic',
  'not-notarized': 'the purchase acceptance or the delivery is not in the log under a witnessed checkpoint',
  'share-mismatch': 'the share is not for the package the delivery names',
  'no-payment': 'no deposit in escrow for this purchase (or less than its total)',
  'wrong-payer': 'the deposit was not made from the purchase request’s payment address',
  confirmations: 'the deposit is not yet deep enough in the chain: ask again later',
  expired: 'the purchase request or the escrow deadline has passed',
  'already-released': 'this keeper released its share of this purchase before',
  unavailable: 'the chain or the notary could not be reached: ask again later',
};
export const KeyReleaseRefusedPayloadSchema = z.strictObject({
  type: z.literal('key-release-refused'),
  purchaseId: PurchaseIdSchema.nullable(),
  reason: z.enum(KEY_RELEASE_REFUSALS),
  message: z.string().max(500),
});
export type KeyReleaseRefusedPayload = z.infer<typeof KeyReleaseRefusedPayloadSchema>;

/** Everything a keeper sends or receives. */
export const KeeperPayloadSchema = z.discriminatedUnion('type', [
  KeyShareDepositPayloadSchema,
  KeyShareStoredPayloadSchema,
  KeyShareRefusedPayloadSchema,
  KeyReleaseRequestPayloadSchema,
  KeyReleasePayloadSchema,
  KeyReleaseRefusedPayloadSchema,
]);
export type KeeperPayload = z.infer<typeof KeeperPayloadSchema>;

export function encodeKeeperPayload(payload: KeeperPayload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(KeeperPayloadSchema.parse(payload)));
}

/** The payload, or null when the bytes are not one of the keepers' messages. */
export function decodeKeeperPayload(bytes: Uint8Array): KeeperPayload | null {
  try {
    const parsed = KeeperPayloadSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
