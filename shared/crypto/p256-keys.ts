import { asBytes, bytesEqual, concatBytes, fromBase64Url, type Bytes } from './bytes';

/**
 * P-256 (secp256r1) key helpers on top of WebCrypto, for ECDH. The only piece that needs care is
 * turning a private scalar we derived ourselves into a WebCrypto key pair: WebCrypto offers no
 * scalar multiplication, and a private JWK must carry the public x and y.
 *
 * The way through, with no elliptic-curve arithmetic of our own: wrap the scalar `d` in a PKCS#8
 * `PrivateKeyInfo` whose `ECPrivateKey` omits the optional public key (RFC 5915 §3 makes it
 * optional), import that, and export the key as a JWK. Both crypto libraries behind WebCrypto
 * compute the missing public point while parsing (OpenSSL's d2i_ECPrivateKey in Node, BoringSSL's
 * EC_KEY_parse_private_key in Chromium and Electron), so the export carries x and y. Checked in
 * Node 20 and Chromium by test/shared/crypto/p256-keys.test.ts (d = 1 must give the generator G)
 * and test/e2e/crypto-in-chromium.test.ts.
 */

/** The order n of the P-256 group, big-endian. A private scalar must be in [1, n − 1]. */
export const P256_ORDER = new Uint8Array([
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
]);

export const P256_SCALAR_LENGTH = 32;
export const P256_RAW_PUBLIC_KEY_LENGTH = 65;
const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** Whether 32 big-endian bytes are a valid private scalar: 0 < d < n. Not constant time. */
export function isValidP256Scalar(d: Uint8Array): boolean {
  if (d.length !== P256_SCALAR_LENGTH) return false;
  if (d.every((byte) => byte === 0)) return false;
  for (let i = 0; i < P256_SCALAR_LENGTH; i++) {
    if (d[i]! !== P256_ORDER[i]!) return d[i]! < P256_ORDER[i]!;
  }
  return false; // d = n
}

// SEQUENCE { INTEGER 0, SEQUENCE { OID id-ecPublicKey, OID prime256v1 },
//            OCTET STRING { SEQUENCE { INTEGER 1, OCTET STRING (32) d } } }
const PKCS8_P256_PREFIX = new Uint8Array([
  0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
  0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
]);

export interface P256KeyPair {
  /** ECDH private key, usable for `deriveBits`/`deriveKey`. */
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public key as an uncompressed point: 0x04 ‖ X ‖ Y (65 bytes). */
  readonly publicKeyRaw: Bytes;
}

/**
 * Imports a private scalar `d` (32 bytes, big-endian, 0 < d < n) as an ECDH P-256 key pair; the
 * platform computes the public point. The private key is not extractable unless asked.
 */
export async function importP256PrivateScalar(d: Uint8Array, options: { extractable?: boolean } = {}): Promise<P256KeyPair> {
  if (!isValidP256Scalar(d)) throw new RangeError('A P-256 private scalar must be 32 bytes and in [1, n − 1].');
  const pkcs8 = concatBytes(PKCS8_P256_PREFIX, d);
  let jwk: JsonWebKey;
  try {
    const transient = await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, ECDH_P256, true, ['deriveBits']);
    jwk = await globalThis.crypto.subtle.exportKey('jwk', transient);
  } finally {
    pkcs8.fill(0);
  }
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || jwk.d === undefined || !bytesEqual(fromBase64Url(jwk.d), d)) {
    // Would mean the platform did not compute the public point; never observed in Node or Chromium.
    throw new Error('This platform could not compute a P-256 public key from a private scalar.');
  }
  const publicJwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true };
  const privateKey = await globalThis.crypto.subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d },
    ECDH_P256,
    options.extractable ?? false,
    ['deriveBits', 'deriveKey'],
  );
  const publicKey = await globalThis.crypto.subtle.importKey('jwk', publicJwk, ECDH_P256, true, []);
  const publicKeyRaw = concatBytes(new Uint8Array([0x04]), fromBase64Url(jwk.x), fromBase64Url(jwk.y));
  return { privateKey, publicKey, publicKeyRaw };
}

/** Imports an uncompressed P-256 point (65 bytes); the platform rejects points not on the curve. */
export async function importP256PublicKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== P256_RAW_PUBLIC_KEY_LENGTH || raw[0] !== 0x04) {
    throw new RangeError('A P-256 public key must be an uncompressed point (65 bytes starting with 0x04).');
  }
  return globalThis.crypto.subtle.importKey('raw', asBytes(raw), ECDH_P256, true, []);
}

export async function exportP256PublicKeyRaw(publicKey: CryptoKey): Promise<Bytes> {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', publicKey));
}

/** A fresh random ECDH P-256 key pair; the private key never leaves WebCrypto. */
export async function generateP256KeyPair(): Promise<P256KeyPair> {
  const pair = await globalThis.crypto.subtle.generateKey(ECDH_P256, false, ['deriveBits', 'deriveKey']);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicKeyRaw: await exportP256PublicKeyRaw(pair.publicKey) };
}

/** The raw X coordinate of ECDH(privateKey, publicKey): 32 bytes. */
export async function p256SharedSecret(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Bytes> {
  return new Uint8Array(await globalThis.crypto.subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
}
