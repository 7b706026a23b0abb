import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * secp256k1 ECDSA verification through OpenSSL (node:crypto): about 7× faster than recovering the
 * signer's address with ethers, which is what lets the server check every request (and, later, every
 * ledger entry) with the public key it stored when the member joined.
 */
export function secp256k1PublicKey(uncompressed: Uint8Array): KeyObject {
  if (uncompressed.length !== 65 || uncompressed[0] !== 0x04) throw new RangeError('a secp256k1 public key here is 65 bytes, uncompressed (0x04 ‖ X ‖ Y)');
  const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64url(uncompressed.subarray(1, 33)), y: b64url(uncompressed.subarray(33)) }, format: 'jwk' });
}

/** Verifies r ‖ s (64 bytes) over SHA-256(message). */
export function verifySecp256k1Sha256(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** A small cache of parsed keys (parsing costs a little; members sign many requests). */
export class PublicKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly capacity = 4096) {}

  get(uncompressed: Uint8Array): KeyObject {
    const id = Buffer.from(uncompressed).toString('hex');
    let key = this.keys.get(id);
    if (key !== undefined) {
      this.keys.delete(id);
      this.keys.set(id, key);
      return key;
    }
    key = secp256k1PublicKey(uncompressed);
    this.keys.set(id, key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
    return key;
  }
}
