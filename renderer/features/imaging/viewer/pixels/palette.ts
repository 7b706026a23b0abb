import { lookupLut } from './lut-data';
import type { LutData, PaletteData } from './pixel-module';

/** A palette entry as 8 bits: 16-bit entries keep their high byte (PS3.3 C.7.6.3.1.5). */
function entryTo8Bit(lut: LutData, value: number): number {
  return lut.bits > 8 ? value >>> (lut.bits - 8) : value & 0xff;
}

/** PALETTE COLOR: each stored index looked up in the red, green and blue LUTs, as interleaved 8-bit RGB. */
export function paletteToRgb(indices: ArrayLike<number>, palette: PaletteData): Uint8Array {
  const out = new Uint8Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    out[i * 3] = entryTo8Bit(palette.red, lookupLut(palette.red, index));
    out[i * 3 + 1] = entryTo8Bit(palette.green, lookupLut(palette.green, index));
    out[i * 3 + 2] = entryTo8Bit(palette.blue, lookupLut(palette.blue, index));
  }
  return out;
}
