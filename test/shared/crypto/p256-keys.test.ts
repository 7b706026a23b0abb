import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/crypto/bytes';
import {
  P256_ORDER,
  generateP256KeyPair,
  importP256PrivateScalar,
  importP256PublicKey,
  isValidP256Scalar,
  p256SharedSecret,
} from '../../../shared/crypto/p256-keys';

const G = '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5';
const TWO_G = '047cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc4766997807775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1';

describe('P-256 keys from a private scalar (PKCS#8 without the public key)', () => {
  it('d = 1 gives the generator, d = 2 gives 2G: the platform computed the public point', async () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(toHex((await importP256PrivateScalar(one)).publicKeyRaw)).toBe(G);
    const two = new Uint8Array(32);
    two[31] = 2;
    expect(toHex((await importP256PrivateScalar(two)).publicKeyRaw)).toBe(TWO_G);
  });

  it('the derived pair does ECDH with a generated pair, both ways', async () => {
    const mine = await importP256PrivateScalar(fromHex('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721'));
    const theirs = await generateP256KeyPair();
    const a = await p256SharedSecret(mine.privateKey, theirs.publicKey);
    const b = await p256SharedSecret(theirs.privateKey, await importP256PublicKey(mine.publicKeyRaw));
    expect(toHex(a)).toBe(toHex(b));
    expect(mine.privateKey.extractable).toBe(false);
  });

  it('accepts exactly the scalars in [1, n − 1]', async () => {
    const nMinus1 = P256_ORDER.slice();
    nMinus1[31]! -= 1;
    expect(isValidP256Scalar(nMinus1)).toBe(true);
    expect(isValidP256Scalar(P256_ORDER)).toBe(false);
    expect(isValidP256Scalar(new Uint8Array(32))).toBe(false);
    expect(isValidP256Scalar(new Uint8Array(32).fill(0xff))).toBe(false);
    expect(isValidP256Scalar(new Uint8Array(31).fill(1))).toBe(false);
    await expect(importP256PrivateScalar(P256_ORDER)).rejects.toThrow(RangeError);
    await importP256PrivateScalar(nMinus1); // n − 1 = −1: the point −G
  });

  it('rejects public keys that are not uncompressed points on the curve', async () => {
    await expect(importP256PublicKey(new Uint8Array(65))).rejects.toThrow();
    const offCurve = fromHex(G);
    offCurve[64]! ^= 1;
    await expect(importP256PublicKey(offCurve)).rejects.toThrow();
    await expect(importP256PublicKey(fromHex(G).subarray(0, 33))).rejects.toThrow(RangeError);
  });
});
