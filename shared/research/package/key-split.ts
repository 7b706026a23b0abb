import { combine, split } from 'shamir-secret-sharing';
import { asBytes, fromHex, toHex, utf8Encode, type Bytes } from '../../crypto/bytes';
import { importP256PublicKey } from '../../crypto/p256-keys';
import { PACKAGE_KEY_LENGTH, checkKeyCommitment } from './package-seal';

/**
 * The package key for the key keepers (issue 15 items 6 and 7): split t of n with
 * `shamir-secret-sharing` (t = ⌊n/2⌋ + 1, n = 3…10 keepers), each share encrypted to one
 * recipient's P-256 key; and the buyer's combination, checked against the key commitment.
 *
 * SHARE ENCRYPTION (a sealed box, the relay's construction without its signature and routing):
 *   shared = ECDH(ephemeral private, recipient public key)        fresh ephemeral key per share
 *   key    = HKDF-SHA-256(shared, salt = epk, info = "hdms/package/v1/key-share") → AES-256-GCM
 *   AAD    = "hdms/package/v1/key-share" \n purchase id \n recipient id \n t \n n \n
 *            ciphertext SHA-256 \n key commitment
 *   ct     = AES-GCM(key, iv (12 random bytes), AAD, the share (33 bytes: 32 + its x coordinate))
 * The opener rebuilds the AAD from the purchase and the recipient IT expects (its own id, the
 * purchase it is acting on), never from the share's fields: a share sealed for purchase A or for
 * keeper K does not open as purchase B's or for keeper L, even with the fields rewritten. The relay's
 * sealMessage was not reused: it needs a signer and binds relay routing (from, to, message id), not
 * a purchase; the share travels inside such a relay message anyway, which adds the sender's
 * signature.
 *
 * A keeper releasing its share to the buyer reseals it (resealKeyShare) to the buyer's key, with
 * the buyer as recipient id: the same box, the same binding.
 *
 * COMBINING. The library returns some 32 bytes for ANY set of well-formed shares: fewer than t, or
 * one wrong share, give a wrong key silently. combineShares therefore checks the result against the
 * commitment (package-seal.ts) and the notarized ciphertext hash before handing it out.
 */

export const MIN_KEEPERS = 3;
export const MAX_KEEPERS = 10;
export const SHARE_DOMAIN = 'hdms/package/v1/key-share';
const SHARE_LENGTH = PACKAGE_KEY_LENGTH + 1;
const IV_LENGTH = 12;

/** t for n keepers: a strict majority. */
export function thresholdFor(keepers: number): number {
  if (!Number.isInteger(keepers) || keepers < MIN_KEEPERS || keepers > MAX_KEEPERS) throw new RangeError(`A package key is split among ${MIN_KEEPERS} to ${MAX_KEEPERS} keepers.`);
  return Math.floor(keepers / 2) + 1;
}

export type KeySplitErrorCode =
  | 'malformed-share' // not a share this format writes
  | 'wrong-recipient' // sealed for another recipient or purchase (by its fields)
  | 'undecryptable' // does not open with this key and binding: another recipient's key, another purchase, or altered
  | 'too-few-shares' // fewer than the threshold
  | 'mismatched-shares' // shares of different splits (threshold, count, package)
  | 'duplicate-share' // the same share twice
  | 'commitment-mismatch'; // the combined key is not the committed one: a wrong share, or too few

export class KeySplitError extends Error {
  constructor(
    readonly code: KeySplitErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeySplitError';
  }
}

/** What the shares of one package are bound to. */
export interface ShareBinding {
  readonly purchaseId: string;
  /** SHA-256 of the sealed package (hex): the DATA_DELIVERY entry's. */
  readonly ciphertextSha256: string;
  /** The key commitment (hex): the DATA_DELIVERY entry's. */
  readonly commitment: string;
}

/** A share in the clear (in a keeper's memory after opening, or the buyer's before combining). */
export interface KeyShare extends ShareBinding {
  readonly threshold: number;
  readonly total: number;
  /** The library's share: 32 bytes and the x coordinate. */
  readonly share: Uint8Array;
}

export interface EncryptedKeyShare extends ShareBinding {
  readonly v: 1;
  readonly type: 'hdms.key-share';
  /** The keeper (or, once released, the buyer) this copy is sealed to: an opaque id (an address). */
  readonly recipientId: string;
  readonly threshold: number;
  readonly total: number;
  /** Hex: the ephemeral P-256 public key (65 bytes), the nonce (12), the ciphertext with its tag (33 + 16). */
  readonly epk: string;
  readonly iv: string;
  readonly ct: string;
}

export interface ShareRecipient {
  readonly recipientId: string;
  /** P-256 public key: the uncompressed point, raw or as the network map writes it ("0x04…"). */
  readonly publicKey: Uint8Array | string;
}

function pointOf(key: Uint8Array | string): Bytes {
  if (typeof key !== 'string') return asBytes(key);
  const hex = key.startsWith('0x') ? key.slice(2).toLowerCase() : key.toLowerCase();
  if (!/^04[0-9a-f]{128}$/.test(hex)) throw new KeySplitError('malformed-share', 'A recipient key is an uncompressed P-256 point.');
  return fromHex(hex);
}

function checkBinding(binding: ShareBinding): void {
  if (typeof binding.purchaseId !== 'string' || binding.purchaseId.length === 0 || binding.purchaseId.length > 200 || binding.purchaseId.includes('\n')) throw new RangeError('A purchase id is 1 to 200 characters, no newline.');
  if (!/^[0-9a-f]{64}$/.test(binding.ciphertextSha256) || !/^[0-9a-f]{64}$/.test(binding.commitment)) throw new RangeError('The ciphertext hash and the commitment are 64 lowercase hex digits.');
}

function aadOf(binding: ShareBinding, recipientId: string, threshold: number, total: number): Bytes {
  return utf8Encode([SHARE_DOMAIN, binding.purchaseId, recipientId, threshold, total, binding.ciphertextSha256, binding.commitment].join('\n'));
}

async function boxKey(shared: ArrayBuffer, epk: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  const ikm = await globalThis.crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return globalThis.crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: asBytes(epk), info: utf8Encode(SHARE_DOMAIN) }, ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

async function sealShare(share: KeyShare, recipient: ShareRecipient): Promise<EncryptedKeyShare> {
  if (recipient.recipientId.length === 0 || recipient.recipientId.length > 200 || recipient.recipientId.includes('\n')) throw new RangeError('A recipient id is 1 to 200 characters, no newline.');
  const peer = await importP256PublicKey(pointOf(recipient.publicKey));
  const ephemeral = (await globalThis.crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
  const epk = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', ephemeral.publicKey));
  const shared = await globalThis.crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, ephemeral.privateKey, 256);
  const key = await boxKey(shared, epk, 'encrypt');
  new Uint8Array(shared).fill(0);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const ct = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(share, recipient.recipientId, share.threshold, share.total) }, key, asBytes(share.share)));
  return {
    v: 1,
    type: 'hdms.key-share',
    purchaseId: share.purchaseId,
    recipientId: recipient.recipientId,
    threshold: share.threshold,
    total: share.total,
    ciphertextSha256: share.ciphertextSha256,
    commitment: share.commitment,
    epk: toHex(epk),
    iv: toHex(iv),
    ct: toHex(ct),
  };
}

/**
 * Splits the package key among `keepers` (3…10, t = ⌊n/2⌋ + 1) and seals share i to keeper i.
 * Refuses a key that does not match the commitment (a split of the wrong key would be useless).
 */
export async function splitPackageKey(key: Uint8Array, keepers: readonly ShareRecipient[], binding: ShareBinding): Promise<EncryptedKeyShare[]> {
  checkBinding(binding);
  const total = keepers.length;
  const threshold = thresholdFor(total);
  if (new Set(keepers.map((k) => k.recipientId)).size !== total) throw new RangeError('Each keeper holds one share: keeper ids repeat.');
  if (!(await checkKeyCommitment(key, binding.ciphertextSha256, binding.commitment))) throw new KeySplitError('commitment-mismatch', 'The key does not match the commitment it is to be split under.');
  const shares = await split(asBytes(key), total, threshold);
  try {
    return await Promise.all(keepers.map((keeper, i) => sealShare({ ...binding, threshold, total, share: shares[i]! }, keeper)));
  } finally {
    for (const share of shares) share.fill(0);
  }
}

/**
 * Opens a share sealed to `expected.recipientId` for `expected.purchaseId` with the recipient's
 * ECDH P-256 private key. The binding is taken from `expected`, not from the share.
 */
export async function openKeyShare(sealed: EncryptedKeyShare, privateKey: CryptoKey, expected: { readonly purchaseId: string; readonly recipientId: string }): Promise<KeyShare> {
  if (sealed?.v !== 1 || sealed.type !== 'hdms.key-share' || !/^04[0-9a-f]{128}$/.test(sealed.epk) || !/^[0-9a-f]{24}$/.test(sealed.iv) || !/^[0-9a-f]+$/.test(sealed.ct) || sealed.ct.length !== 2 * (SHARE_LENGTH + 16)) {
    throw new KeySplitError('malformed-share', 'Not a sealed key share of this format.');
  }
  if (!Number.isInteger(sealed.total) || sealed.total < MIN_KEEPERS || sealed.total > MAX_KEEPERS || sealed.threshold !== thresholdFor(sealed.total)) throw new KeySplitError('malformed-share', 'The share names an impossible threshold or keeper count.');
  try {
    checkBinding(sealed);
  } catch {
    throw new KeySplitError('malformed-share', 'The share names a malformed purchase, hash or commitment.');
  }
  if (sealed.purchaseId !== expected.purchaseId || sealed.recipientId !== expected.recipientId) {
    throw new KeySplitError('wrong-recipient', 'The share was sealed for another purchase or another recipient.');
  }
  const binding: ShareBinding = { purchaseId: expected.purchaseId, ciphertextSha256: sealed.ciphertextSha256, commitment: sealed.commitment };
  let share: Uint8Array;
  try {
    const epk = fromHex(sealed.epk);
    const peer = await importP256PublicKey(epk);
    const shared = await globalThis.crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
    const key = await boxKey(shared, epk, 'decrypt');
    new Uint8Array(shared).fill(0);
    share = new Uint8Array(await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromHex(sealed.iv), additionalData: aadOf(binding, expected.recipientId, sealed.threshold, sealed.total) }, key, fromHex(sealed.ct)));
  } catch {
    throw new KeySplitError('undecryptable', 'The share does not open: sealed to another key, bound to another purchase or recipient, or altered.');
  }
  return { ...binding, threshold: sealed.threshold, total: sealed.total, share };
}

/** A keeper's release: its opened share sealed to the buyer (the buyer's id bound in as recipient). */
export function resealKeyShare(share: KeyShare, buyer: ShareRecipient): Promise<EncryptedKeyShare> {
  checkBinding(share);
  return sealShare(share, buyer);
}

/**
 * Combines shares into the package key and checks it against the commitment of the notarized
 * delivery (`expected`, not the shares' own copy). Raw library shares (Uint8Array) are accepted
 * too; then only the commitment can tell too few shares from enough. Throws KeySplitError.
 */
export async function combineShares(shares: readonly (KeyShare | Uint8Array)[], expected: Pick<ShareBinding, 'commitment' | 'ciphertextSha256'>): Promise<Uint8Array> {
  const raw: Uint8Array[] = [];
  let threshold: number | undefined;
  for (const share of shares) {
    if (share instanceof Uint8Array) {
      raw.push(share);
      continue;
    }
    if (share.commitment !== expected.commitment || share.ciphertextSha256 !== expected.ciphertextSha256) throw new KeySplitError('mismatched-shares', 'A share belongs to another package (its commitment or hash differ from the delivery).');
    if (threshold !== undefined && share.threshold !== threshold) throw new KeySplitError('mismatched-shares', 'The shares come from different splits.');
    threshold = share.threshold;
    raw.push(share.share);
  }
  if (raw.some((share) => share.length !== SHARE_LENGTH)) throw new KeySplitError('malformed-share', `A share is ${SHARE_LENGTH} bytes.`);
  const xs = new Set(raw.map((share) => share[SHARE_LENGTH - 1]));
  if (xs.size !== raw.length) throw new KeySplitError('duplicate-share', 'The same share (x coordinate) appears twice.');
  if (raw.length < Math.max(2, threshold ?? 2)) throw new KeySplitError('too-few-shares', `${raw.length} share(s) given; ${threshold ?? 2} at least are needed.`);
  const key = await combine(raw.map((share) => asBytes(share)));
  if (!(await checkKeyCommitment(key, expected.ciphertextSha256, expected.commitment))) {
    key.fill(0);
    throw new KeySplitError('commitment-mismatch', 'The combined key does not match the package key commitment: a share is wrong or too few were given. Nothing was decrypted.');
  }
  return key;
}
