import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asBytes,
  bytesEqual,
  concatBytes,
  constantTimeEqual,
  encodeStringList,
  fromBase64Url,
  fromHex,
  isBase64Url,
  randomBytes,
  toBase64Url,
  toBase64UrlPortable,
  toHex,
  utf8Decode,
  utf8Encode,
} from '../../../shared/crypto/bytes';

describe('byte helpers', () => {
  it('base64url matches Node for any bytes and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const text = toBase64Url(data);
        expect(text).toBe(Buffer.from(data).toString('base64url'));
        expect(bytesEqual(fromBase64Url(text), data)).toBe(true);
      }),
    );
  });

  it('base64url: the portable loop, Node\'s Buffer and a subarray view agree (the page encodes natively, the body with Buffer)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (data, cut) => {
        expect(toBase64UrlPortable(data)).toBe(Buffer.from(data).toString('base64url'));
        // A view into a larger buffer encodes its own bytes only.
        const view = data.subarray(Math.min(cut, data.length));
        expect(toBase64Url(view)).toBe(toBase64UrlPortable(view));
      }),
    );
  });

  it('base64url uses Uint8Array.prototype.toBase64 where the runtime has it, asking for base64url without padding', () => {
    const data = new Uint8Array([0xfb, 0xff, 0x01]);
    const seen: unknown[] = [];
    Object.defineProperty(data, 'toBase64', { value: (options: unknown) => (seen.push(options), 'native') });
    expect(toBase64Url(data)).toBe('native');
    expect(seen).toEqual([{ alphabet: 'base64url', omitPadding: true }]);
  });

  it('base64url decoding is strict: alphabet, length, padding, canonical last character', () => {
    expect(() => fromBase64Url('ab+c')).toThrow(RangeError);
    expect(() => fromBase64Url('abc=')).toThrow(RangeError);
    expect(() => fromBase64Url('a')).toThrow(/impossible length/);
    expect(() => fromBase64Url('AB')).toThrow(/non-canonical/); // "AA" is the only encoding of [0]
    expect(isBase64Url('AA', 1)).toBe(true);
    expect(isBase64Url('AA', 2)).toBe(false);
    expect(isBase64Url('A A')).toBe(false);
  });

  it('base64url decoding refuses exactly what a bit-by-bit reference refuses, with the same message', () => {
    // The earlier bit-at-a-time decoder, kept here as the reference for the table-driven one.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const reference = (text: string): Uint8Array => {
      if (text.length % 4 === 1) throw new RangeError('Invalid base64url: impossible length.');
      const out = new Uint8Array(Math.floor((text.length * 3) / 4));
      let buffer = 0;
      let bits = 0;
      let offset = 0;
      for (let i = 0; i < text.length; i++) {
        const value = alphabet.indexOf(text[i]!);
        if (value < 0) throw new RangeError(`Invalid base64url: character ${i + 1} is outside the alphabet.`);
        buffer = (buffer << 6) | value;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[offset++] = (buffer >>> bits) & 0xff;
        }
        buffer &= (1 << bits) - 1;
      }
      if (buffer !== 0) throw new RangeError('Invalid base64url: non-canonical final character.');
      return out;
    };
    const outcome = (decode: (text: string) => Uint8Array, text: string): string => {
      try {
        return `ok ${Buffer.from(decode(text)).toString('hex')}`;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    const near = fc.string({ unit: fc.constantFrom(...alphabet, '+', '/', '=', ' ', 'é', '\u{1F600}'), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 12 })), (text) => {
        expect(outcome(fromBase64Url, text)).toBe(outcome(reference, text));
      }),
      { numRuns: 5000 },
    );
  });

  it('hex round trip, strict', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff');
    expect(Array.from(fromHex('000fFF'))).toEqual([0, 15, 255]);
    expect(() => fromHex('abc')).toThrow(RangeError);
    expect(() => fromHex('zz')).toThrow(RangeError);
  });

  it('utf8 is strict on decode', () => {
    expect(utf8Decode(utf8Encode('Müller 日本'))).toBe('Müller 日本');
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(TypeError);
  });

  it('constant-time and plain equality, concatenation', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
    expect(Array.from(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])))).toEqual([1, 2, 3]);
  });

  it('string lists encode unambiguously', () => {
    expect(bytesEqual(encodeStringList(['ab', 'c']), encodeStringList(['a', 'bc']))).toBe(false);
    expect(toHex(encodeStringList(['a', '']))).toBe('000000016100000000');
  });

  it('random bytes beyond the 64 KiB getRandomValues limit', () => {
    const big = randomBytes(200_000);
    expect(big.length).toBe(200_000);
    expect(big.subarray(150_000).some((byte) => byte !== 0)).toBe(true);
  });

  it('asBytes copies shared memory for WebCrypto and passes plain buffers through', () => {
    const plain = new Uint8Array(4);
    expect(asBytes(plain)).toBe(plain);
    const shared = new Uint8Array(new SharedArrayBuffer(4));
    expect(asBytes(shared).buffer).toBeInstanceOf(ArrayBuffer);
  });
});
