import fc from 'fast-check';
import { getBytes, sha256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, decodeDigestHex, fromBase64, fromHex, fromUtf8, hasControlCharacter, toBase64, toHex, utf8 } from '../../../shared/transparency/bytes';

describe('base64', () => {
  it('base64 round-trips and refuses non-canonical spellings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64(bytes);
        expect(fromBase64(text)).toEqual(bytes);
        expect(text).toBe(btoa(String.fromCharCode(...bytes)));
      }),
    );
    expect(fromBase64('QQ==')).toEqual(new Uint8Array([65]));
    for (const bad of ['QR==', 'QUI=x', 'QUJ=', 'QQ', 'Q===', 'QQ=A', 'QU I=', 'QUI\n', '====']) expect(fromBase64(bad), bad).toBeNull();
  });
});

describe('hex', () => {
  it('round-trips, with or without 0x, either case, and refuses the rest', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromHex(`0x${toHex(bytes).toUpperCase()}`)).toEqual(bytes);
      }),
    );
    for (const bad of ['abc', 'zz', '0xg0', 'ab cd', '€€']) expect(() => fromHex(bad), bad).toThrow(RangeError);
  });

  it('decodes ethers digests in place', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(8), (data, offset) => {
        const out = new Uint8Array(40);
        decodeDigestHex(sha256(data), out, offset);
        expect(out.subarray(offset, offset + 32)).toEqual(getBytes(sha256(data)));
      }),
    );
  });
});

describe('text and bytes', () => {
  it('decodes strict UTF-8 only', () => {
    expect(fromUtf8(utf8('grüß — 𝄞'))).toBe('grüß — 𝄞');
    expect(fromUtf8(new Uint8Array([0xc3]))).toBeNull();
    expect(fromUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBeNull(); // An encoded surrogate.
  });

  it('finds control characters, newline allowed or not', () => {
    expect(hasControlCharacter('a\nb', true)).toBe(false);
    expect(hasControlCharacter('a\nb', false)).toBe(true);
    expect(hasControlCharacter('a\u0000b', true)).toBe(true);
    expect(hasControlCharacter('a\u007fb', true)).toBe(false); // DEL is not below U+0020.
  });

  it('compares and concatenates', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
  });
});
