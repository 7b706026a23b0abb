import fc from 'fast-check';
import { getBytes, sha256 as ethersSha256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, nodeHash, sha256 } from '../../../shared/transparency/hash';

const reference = (...parts: number[][]): Uint8Array => getBytes(ethersSha256(new Uint8Array(parts.flat())));

describe('RFC 9162 hashes', () => {
  it('prefix leaves with 0x00 and nodes with 0x01', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (data, left, right) => {
        expect(leafHash(data)).toEqual(reference([0], [...data]));
        expect(nodeHash(left, right)).toEqual(reference([1], [...left], [...right]));
        expect(sha256(data)).toEqual(reference([...data]));
      }),
    );
    expect(EMPTY_ROOT).toEqual(reference());
  });

  it('hashes leaves of any size right, whatever size came before (reused buffer)', () => {
    const sizes = [0, 5, 2000, 70_000, 3, 200_000, 64 * 1024 - 1, 1];
    for (const size of sizes) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 255);
      expect(leafHash(data), `${size} bytes`).toEqual(reference([0], [...data]));
    }
  });

  it('returns a fresh array each time, never a view of its scratch space', () => {
    const a = nodeHash(new Uint8Array(32), new Uint8Array(32));
    const b = nodeHash(new Uint8Array(32).fill(1), new Uint8Array(32));
    expect(a).not.toEqual(b);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.byteLength).toBe(32);
  });

  it('hashes a malformed node input as given (it then matches no root)', () => {
    expect(nodeHash(new Uint8Array(3), new Uint8Array(32))).toEqual(reference([1], [0, 0, 0], new Array<number>(32).fill(0)));
  });
});
