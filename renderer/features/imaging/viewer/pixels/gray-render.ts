import { modalityValue } from './modality-lut';
import type { LutData, ModalityTransform, StoredPixels, VoiFunction } from './pixel-module';
import { voiLutValue, windowValue } from './voi-lut';

/** How one grayscale frame is shown: the VOI (a window, or a VOI LUT) and whether it is inverted. */
export interface GrayView {
  readonly modality: ModalityTransform;
  readonly voi: { readonly kind: 'window'; readonly center: number; readonly width: number; readonly func: VoiFunction } | { readonly kind: 'lut'; readonly lut: LutData };
  /** MONOCHROME1: the lowest value is white (PS3.3 C.7.6.3.1.2). */
  readonly monochrome1: boolean;
  /** The user's invert, on top of MONOCHROME1. */
  readonly invert: boolean;
}

/**
 * Modality LUT → VOI → presentation, for every stored value in [min, max], as one 8-bit table
 * (the stages are per value, so a table of the stored range computes each value once; a 512×512
 * CT has far more pixels than distinct values).
 */
export function buildGrayLut(min: number, max: number, view: GrayView): Uint8Array {
  const size = Math.max(0, max - min + 1);
  const lut = new Uint8Array(size);
  const flip = view.monochrome1 !== view.invert;
  for (let i = 0; i < size; i++) {
    const x = modalityValue(min + i, view.modality);
    const y = view.voi.kind === 'window' ? windowValue(x, view.voi.center, view.voi.width, view.voi.func, 255) : voiLutValue(x, view.voi.lut, 255);
    const byte = Math.round(Math.min(255, Math.max(0, y)));
    lut[i] = flip ? 255 - byte : byte;
  }
  return lut;
}

/** Whether this machine stores a Uint32 least significant byte first (every platform the app ships for). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes a grayscale frame into RGBA through a table from buildGrayLut (opaque). On a
 * little-endian machine each pixel is one 32-bit store of R = G = B = value, A = 255 (a quarter of
 * the stores of writing bytes: this runs on the page's thread for every slice scrolled to).
 */
export function grayToRgba(pixels: StoredPixels, min: number, lut: Uint8Array, out: Uint8ClampedArray): void {
  const last = lut.length - 1;
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const lut32 = new Uint32Array(lut.length);
    for (let i = 0; i < lut.length; i++) lut32[i] = (0xff000000 | (lut[i]! * 0x010101)) >>> 0;
    const words = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
    const count = Math.min(pixels.length, words.length);
    for (let i = 0; i < count; i++) {
      let index = pixels[i]! - min;
      if (index < 0) index = 0;
      else if (index > last) index = last;
      words[i] = lut32[index]!;
    }
    return;
  }
  for (let i = 0, o = 0; i < pixels.length; i++, o += 4) {
    let index = pixels[i]! - min;
    if (index < 0) index = 0;
    else if (index > last) index = last;
    const value = lut[index]!;
    out[o] = value;
    out[o + 1] = value;
    out[o + 2] = value;
    out[o + 3] = 255;
  }
}

/** Writes interleaved 8-bit RGB into RGBA, inverted on request. */
export function rgbToRgba(pixels: Uint8Array, invert: boolean, out: Uint8ClampedArray): void {
  for (let i = 0, o = 0; i < pixels.length; i += 3, o += 4) {
    out[o] = invert ? 255 - pixels[i]! : pixels[i]!;
    out[o + 1] = invert ? 255 - pixels[i + 1]! : pixels[i + 1]!;
    out[o + 2] = invert ? 255 - pixels[i + 2]! : pixels[i + 2]!;
    out[o + 3] = 255;
  }
}
