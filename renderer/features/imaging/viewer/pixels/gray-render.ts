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

/** Writes a grayscale frame into RGBA through a table from buildGrayLut (opaque). */
export function grayToRgba(pixels: StoredPixels, min: number, lut: Uint8Array, out: Uint8ClampedArray): void {
  const last = lut.length - 1;
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
