/**
 * Colour photometric interpretations (PS3.3 C.7.6.3.1.2) to interleaved 8-bit RGB. Inputs are
 * 8-bit samples as the pixel data holds them (after decompression); outputs are new arrays.
 */

const clampByte = (value: number): number => (value < 0 ? 0 : value > 255 ? 255 : Math.round(value));

/** YBR_FULL (ITU-R BT.601 full range, as C.7.6.3.1.2 gives it) to RGB for one pixel. */
export function ybrFullPixelToRgb(y: number, cb: number, cr: number): [number, number, number] {
  return [clampByte(y + 1.402 * (cr - 128)), clampByte(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128)), clampByte(y + 1.772 * (cb - 128))];
}

/** Colour-by-plane (Planar Configuration 1: RRR…GGG…BBB…) to colour-by-pixel. */
export function planarToInterleaved(planes: Uint8Array, pixelCount: number): Uint8Array {
  const out = new Uint8Array(pixelCount * 3);
  for (let i = 0; i < pixelCount; i++) {
    out[i * 3] = planes[i]!;
    out[i * 3 + 1] = planes[pixelCount + i]!;
    out[i * 3 + 2] = planes[2 * pixelCount + i]!;
  }
  return out;
}

/** Interleaved YBR_FULL to interleaved RGB. */
export function ybrFullToRgb(ybr: Uint8Array): Uint8Array {
  const out = new Uint8Array(ybr.length);
  for (let i = 0; i + 2 < ybr.length; i += 3) {
    const [r, g, b] = ybrFullPixelToRgb(ybr[i]!, ybr[i + 1]!, ybr[i + 2]!);
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
  }
  return out;
}

/**
 * YBR_FULL_422 as native pixel data holds it: per two horizontal pixels Y1 Y2 Cb Cr (C.7.6.3.1.2),
 * to interleaved RGB. An odd last column shares its pair's chroma.
 */
export function ybrFull422ToRgb(data: Uint8Array, columns: number, rows: number): Uint8Array {
  const out = new Uint8Array(columns * rows * 3);
  let src = 0;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < columns; col += 2) {
      const y1 = data[src]!;
      const y2 = data[src + 1]!;
      const cb = data[src + 2]!;
      const cr = data[src + 3]!;
      src += 4;
      const first = (row * columns + col) * 3;
      const [r1, g1, b1] = ybrFullPixelToRgb(y1, cb, cr);
      out[first] = r1;
      out[first + 1] = g1;
      out[first + 2] = b1;
      if (col + 1 < columns) {
        const [r2, g2, b2] = ybrFullPixelToRgb(y2, cb, cr);
        out[first + 3] = r2;
        out[first + 4] = g2;
        out[first + 5] = b2;
      }
    }
  }
  return out;
}

/** Scales samples wider than 8 bits (RGB with Bits Stored 16) down to 8 bits. */
export function samplesTo8Bit(samples: ArrayLike<number>, bitsStored: number): Uint8Array {
  const out = new Uint8Array(samples.length);
  const shift = Math.max(0, bitsStored - 8);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! >>> shift;
  return out;
}
