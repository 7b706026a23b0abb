import { concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8Encode, type Bytes } from './bytes';
import { isValidP256Scalar, P256_RAW_PUBLIC_KEY_LENGTH, P256_SCALAR_LENGTH } from './p256-keys';

/**
 * An operator's signing key (ECDSA P-256): how the mind proves to the body that an operator's
 * key slot was really opened. Each slot of format 2 holds a signing scalar next to the secret it
 * wraps, and names the matching public key in clear; the body, which holds no vault secret,
 * checks a signature over its own random challenge with that public key before it lets a
 * connection act as that operator (design §1: "the body checks who asks").
 *
 * Random per slot, never derived from the master secret: otherwise anyone holding the master
 * (every clinician) could sign as an administrator.
 */

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const PROOF_LABEL = 'hdms/session-proof/v1';
export const SESSION_CHALLENGE_LENGTH = 32;
/** IEEE P1363 r ‖ s, as WebCrypto produces it. */
export const SESSION_SIGNATURE_LENGTH = 64;

export interface OperatorSigningKey {
  /** The private scalar d (32 bytes). Zero it when done. */
  readonly scalar: Bytes;
  /** The uncompressed public point 0x04 ‖ X ‖ Y (65 bytes). */
  readonly publicKey: Bytes;
}

/** A fresh random signing key (its scalar is extractable: it goes into key slots). */
export async function generateOperatorSigningKey(): Promise<OperatorSigningKey> {
  const pair = await globalThis.crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const jwk = await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey);
  if (jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) throw new Error('This platform did not export an ECDSA key.');
  return { scalar: fromBase64Url(jwk.d), publicKey: concatBytes(new Uint8Array([0x04]), fromBase64Url(jwk.x), fromBase64Url(jwk.y)) };
}

/** What is signed: a label, the body's challenge and the slot's id, so a proof fits one attempt at one slot. */
export function sessionProofMessage(challenge: Uint8Array, slotId: string): Bytes {
  return concatBytes(utf8Encode(PROOF_LABEL), new Uint8Array([0]), challenge, new Uint8Array([0]), utf8Encode(slotId));
}

/** Signs the body's challenge with an opened slot's signing key (the mind's half). */
export async function signSessionProof(key: OperatorSigningKey, challenge: Uint8Array, slotId: string): Promise<Bytes> {
  if (!isValidP256Scalar(key.scalar) || key.publicKey.length !== P256_RAW_PUBLIC_KEY_LENGTH) throw new RangeError('Not a P-256 signing key.');
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    d: toBase64Url(key.scalar),
    x: toBase64Url(key.publicKey.subarray(1, 1 + P256_SCALAR_LENGTH)),
    y: toBase64Url(key.publicKey.subarray(1 + P256_SCALAR_LENGTH)),
  };
  const privateKey = await globalThis.crypto.subtle.importKey('jwk', jwk, ECDSA_P256, false, ['sign']);
  return new Uint8Array(await globalThis.crypto.subtle.sign(SIGN, privateKey, sessionProofMessage(challenge, slotId)));
}

/** A fresh challenge (the body's half). */
export function newSessionChallenge(): Bytes {
  return randomBytes(SESSION_CHALLENGE_LENGTH);
}
