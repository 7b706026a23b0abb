import { fromHex } from '../../shared/crypto/bytes';

/** Deterministic pseudo-random bytes (an LCG): the same length and seed give the same bytes. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** Cuts `data` at the given offsets (taken modulo its length + 1, deduplicated): the pieces a stream might deliver. */
export function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, data.length]) {
    pieces.push(data.subarray(previous, point));
    previous = point;
  }
  return pieces;
}

/** A `random` option that hands out the recorded bytes of a test vector, in order. */
export function replay(hex: string): (length: number) => Uint8Array {
  const bytes = fromHex(hex);
  let offset = 0;
  return (length) => bytes.slice(offset, (offset += length));
}
