import type { StoredPixels } from './pixel-module';

/**
 * Stored values (PS3.5 8.1.1): of each Bits Allocated container only Bits Stored bits, ending at
 * High Bit, are the value; the rest may hold anything (overlays, garbage). Pixel Representation 1
 * makes the value two's complement in Bits Stored bits.
 */

/** One container's value: masked to Bits Stored below High Bit, sign-extended when signed. */
export function storedValue(container: number, bitsStored: number, highBit: number, signed: boolean): number {
  const shift = highBit + 1 - bitsStored;
  let value = bitsStored >= 32 ? container >>> shift : (container >>> shift) & ((2 ** bitsStored) - 1);
  if (signed && bitsStored < 32 && value >= 2 ** (bitsStored - 1)) value -= 2 ** bitsStored;
  if (signed && bitsStored >= 32) value = value | 0;
  return value;
}

/** The typed array that holds a frame's stored values without loss. */
export function storedArrayFor(bitsStored: number, signed: boolean, length: number): StoredPixels {
  if (bitsStored <= 8) return signed ? new Int8Array(length) : new Uint8Array(length);
  if (bitsStored <= 16) return signed ? new Int16Array(length) : new Uint16Array(length);
  return signed ? new Int32Array(length) : new Uint32Array(length);
}

/**
 * Turns raw containers (as read from the pixel data, unsigned, any width) into stored values.
 * When the containers need no masking (Bits Stored fills them, or High Bit is Bits Stored − 1 and
 * the spare bits are zero) the copy is still made, so the result owns its buffer.
 */
export function toStoredValues(containers: ArrayLike<number>, bitsStored: number, highBit: number, signed: boolean): StoredPixels {
  const out = storedArrayFor(bitsStored, signed, containers.length);
  const shift = highBit + 1 - bitsStored;
  if (bitsStored >= 32) {
    for (let i = 0; i < containers.length; i++) out[i] = containers[i]! >>> shift;
    return out;
  }
  const mask = 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  const range = 2 ** bitsStored;
  for (let i = 0; i < containers.length; i++) {
    const value = (containers[i]! >>> shift) & mask;
    out[i] = signed && value >= signBit ? value - range : value;
  }
  return out;
}

/** The smallest and largest value (for the LUT's input range and a default window). */
export function valueRange(pixels: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return pixels.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/**
 * Decoded samples of a codestream more precise than Bits Stored (gdcm, for one, codes JPEG 2000 at
 * Bits Allocated): each is read at the codestream's precision (two's complement when signed) and
 * clamped into Bits Stored's range, so a lossy over- or undershoot saturates, as a decoder does at
 * its own precision, instead of wrapping round when the container is later masked to Bits Stored.
 * Returns the samples as they are when the precision is not wider.
 */
export function clampToBitsStored<T extends Uint8Array | Uint16Array>(samples: T, precision: number, bitsStored: number, signed: boolean): T {
  const containerBits = samples instanceof Uint8Array ? 8 : 16;
  if (precision <= bitsStored || precision > containerBits) return samples;
  const out = samples.slice() as T;
  const range = 2 ** precision;
  const low = signed ? -(2 ** (bitsStored - 1)) : 0;
  const high = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const containerMask = 2 ** containerBits - 1;
  for (let i = 0; i < out.length; i++) {
    let value = out[i]! & (range - 1);
    if (signed && value >= range / 2) value -= range;
    // The container keeps the two's complement bits; toStoredValues reads Bits Stored of them.
    out[i] = (value < low ? low : value > high ? high : value) & containerMask;
  }
  return out;
}
