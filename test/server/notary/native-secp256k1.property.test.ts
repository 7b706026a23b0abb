import fc from 'fast-check';
import { Signature, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { nativeEntrySignatureCheck } from '../../../server/notary/native-secp256k1';
import { verifyEntrySignature } from '../../../shared/network/notary';

/**
 * The notary's libsecp256k1 check must accept exactly what verifyEntrySignature (the nodes',
 * auditors' and log:verify's check) accepts: valid signatures, and not one of their mutations —
 * any hex digit changed, v flipped, the high-s twin, another key, another digest.
 */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const wallets = Array.from({ length: 3 }, () => new Wallet(Wallet.createRandom().privateKey));
const keyOf = (wallet: Wallet): Uint8Array => new Uint8Array(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'));
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `0x${Buffer.from(bytes).toString('hex')}`);

describe('libsecp256k1 entry check', () => {
  it('loads on this machine (linux-x64 has a prebuilt addon)', () => {
    expect(nativeEntrySignatureCheck).not.toBeNull();
  });

  it('gives verifyEntrySignature\'s answer for valid signatures and every mutation of them', () => {
    const native = nativeEntrySignatureCheck!;
    fc.assert(
      fc.property(hex32, fc.nat(2), fc.nat(2), fc.nat(129), fc.nat(15), fc.nat(5), (digest, signerIndex, keyIndex, position, digit, mutation) => {
        const signer = wallets[signerIndex]!;
        const key = keyOf(wallets[keyIndex]!);
        const valid = Signature.from(signer.signingKey.sign(digest)).serialized.toLowerCase();
        const s = BigInt(`0x${valid.slice(66, 130)}`);
        const variants: Record<number, [string, string]> = {
          0: [digest, valid],
          1: [digest, `${valid.slice(0, 2 + position)}${digit.toString(16)}${valid.slice(3 + position)}`],
          2: [digest, `${valid.slice(0, 130)}${valid.endsWith('1b') ? '1c' : '1b'}`],
          3: [digest, `${valid.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${valid.endsWith('1b') ? '1c' : '1b'}`],
          4: [`${digest.slice(0, 2 + (position % 64))}${digit.toString(16)}${digest.slice(3 + (position % 64))}`, valid],
          5: [digest, `${valid.slice(0, 130)}1d`],
        };
        const [d, sig] = variants[mutation]!;
        const expected = verifyEntrySignature(d, sig, key);
        expect(native(d, sig, key)).toBe(expected);
        if (mutation === 0) expect(expected).toBe(signerIndex === keyIndex);
      }),
      { numRuns: 600 },
    );
  });

  it('refuses malformed input as verifyEntrySignature does, without throwing', () => {
    const native = nativeEntrySignatureCheck!;
    const key = keyOf(wallets[0]!);
    const digest = `0x${'11'.repeat(32)}`;
    const valid = Signature.from(wallets[0]!.signingKey.sign(digest)).serialized.toLowerCase();
    for (const [d, sig, k] of [
      [digest, valid.toUpperCase(), key],
      [digest, valid.slice(0, 100), key],
      ['0x12', valid, key],
      [digest, valid, key.subarray(1)],
      [digest, `0x${'00'.repeat(32)}${valid.slice(66)}`, key],
      [digest, valid, new Uint8Array(65)],
    ] as const) {
      expect(native(d, sig, k)).toBe(false);
      expect(verifyEntrySignature(d, sig, k)).toBe(false);
    }
  });
});
