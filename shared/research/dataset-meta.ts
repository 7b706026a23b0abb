import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { PurchaseIdSchema } from './purchase-request';

/**
 * The researcher's mind events after a delivery (issue 15 item 7), sealed in the journal like every
 * mind event; the research projector files each as a purchase row.
 */

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** `purchase.paid`: the price deposited into the network's escrow under the purchase id, from this node's account. */
export const PurchasePaidMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  clinic: AddressSchema,
  chainId: z.number().int().min(1),
  escrow: AddressSchema,
  txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  block: z.number().int().min(0),
  /** In the token's smallest unit, as a decimal string. */
  amount: z.string().regex(/^\d{1,78}$/),
});
export type PurchasePaidMeta = z.infer<typeof PurchasePaidMetaSchema>;

/** `purchase.keysRequested`: a signed key-release request was sent to each of these keepers. */
export const PurchaseKeysRequestedMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  keepers: z.array(AddressSchema).min(1).max(10),
  /** The relay message ids, per keeper in the same order. */
  messageIds: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1).max(10),
  requestedAt: z.number().int().min(0),
});
export type PurchaseKeysRequestedMeta = z.infer<typeof PurchaseKeysRequestedMetaSchema>;

/**
 * `purchase.opened`: the keepers' shares combined into the package key, which matched the notarized
 * commitment; the sealed package (kept by the body, still sealed) hashed to the notarized ciphertext
 * SHA-256 and its manifest and release report checked. The key is kept here, in the sealed journal,
 * so the dataset opens again without the keepers.
 */
export const PurchaseOpenedMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  clinic: AddressSchema,
  deliveryId: z.string().regex(/^[0-9a-f]{32}$/),
  ciphertextSha256: Hex64,
  manifestSha256: Hex64,
  reportSha256: Hex64,
  /** The package key (AES-256, hex). */
  key: Hex64,
  /** The keepers whose shares were combined. */
  keepers: z.array(AddressSchema).min(2).max(10),
  /** Resources per type and DICOM instances, as the manifest counts them. */
  counts: z.record(z.string().min(1).max(64), z.number().int().nonnegative()),
  files: z.number().int().nonnegative(),
  openedAt: z.number().int().min(0),
});
export type PurchaseOpenedMeta = z.infer<typeof PurchaseOpenedMetaSchema>;

/**
 * `purchase.acknowledged`: the researcher acknowledges the delivery. The ledger signs it as
 * DELIVERY_ACK (subject: the purchase id as bytes32; inputs: the ciphertext SHA-256 and the manifest
 * SHA-256 it received); then the escrow's acknowledge() pays the clinic and the keepers.
 */
export const PurchaseAcknowledgedMetaSchema = z.strictObject({
  v: z.literal(1),
  purchaseId: PurchaseIdSchema,
  clinic: AddressSchema,
  ciphertextSha256: Hex64,
  manifestSha256: Hex64,
  acknowledgedAt: z.number().int().min(0),
});
export type PurchaseAcknowledgedMeta = z.infer<typeof PurchaseAcknowledgedMetaSchema>;
