import { getBytes, sha256 } from 'ethers';

/**
 * An independent, deliberately naive transcription of RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF)
 * over an array of leaf data: slices and recursion straight from the definitions, hashing with
 * ethers directly. The code under test shares nothing with it but SHA-256.
 */

const h = (...parts: Uint8Array[]): Uint8Array => {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return getBytes(sha256(joined));
};

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

export function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return h();
  if (d.length === 1) return h(new Uint8Array([0]), d[0]!);
  const split = k(d.length);
  return h(new Uint8Array([1]), mth(d.slice(0, split)), mth(d.slice(split)));
}

export function path(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const split = k(d.length);
  return m < split ? [...path(m, d.slice(0, split)), mth(d.slice(split))] : [...path(m - split, d.slice(split)), mth(d.slice(0, split))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  const split = k(n);
  return m <= split
    ? [...subproof(m, d.slice(0, split), b), mth(d.slice(split))]
    : [...subproof(m - split, d.slice(split), false), mth(d.slice(0, split))];
}

export function proof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (m === 0 || m === d.length) return [];
  return subproof(m, d, true);
}
