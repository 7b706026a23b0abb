import { describe, expect, it } from 'vitest';
import { buildGrayLut, grayToRgba, rgbToRgba, type GrayView } from '../../../../../../renderer/features/imaging/viewer/pixels/gray-render';
import { lookupLut, lutFromDescriptor } from '../../../../../../renderer/features/imaging/viewer/pixels/lut-data';
import { IDENTITY_MODALITY, modalityRange, modalityValue } from '../../../../../../renderer/features/imaging/viewer/pixels/modality-lut';
import { paletteToRgb } from '../../../../../../renderer/features/imaging/viewer/pixels/palette';
import { planarToInterleaved, samplesTo8Bit, ybrFull422ToRgb, ybrFullPixelToRgb, ybrFullToRgb } from '../../../../../../renderer/features/imaging/viewer/pixels/photometric';
import { clampToBitsStored, storedValue, toStoredValues, valueRange } from '../../../../../../renderer/features/imaging/viewer/pixels/stored-values';
import { voiLutValue, windowForRange, windowValue } from '../../../../../../renderer/features/imaging/viewer/pixels/voi-lut';

describe('stored values (PS3.5 8.1.1)', () => {
  it('masks to Bits Stored below High Bit and sign-extends two’s complement', () => {
    expect(storedValue(0xf830, 12, 11, true)).toBe(-2000);
    expect(storedValue(0xf830, 12, 11, false)).toBe(0x830);
    expect(storedValue(0x07ff, 12, 11, true)).toBe(2047);
    expect(storedValue(0x0800, 12, 11, true)).toBe(-2048);
    expect(storedValue(0xffff, 16, 15, true)).toBe(-1);
    // High Bit above Bits Stored − 1: the value sits higher in the container.
    expect(storedValue(0b1010_0000, 4, 7, false)).toBe(0b1010);
    expect(storedValue(0xff, 8, 7, true)).toBe(-1);
  });

  it('converts whole frames into a typed array of the right signedness', () => {
    const out = toStoredValues(Uint16Array.from([0x0000, 0x07ff, 0x0800, 0xf830, 0xffff]), 12, 11, true);
    expect(out).toBeInstanceOf(Int16Array);
    expect(Array.from(out)).toEqual([0, 2047, -2048, -2000, -1]);
    const unsigned = toStoredValues(Uint16Array.from([0xf001, 0x0fff]), 12, 11, false);
    expect(unsigned).toBeInstanceOf(Uint16Array);
    expect(Array.from(unsigned)).toEqual([1, 4095]);
    expect(toStoredValues(Uint8Array.from([200]), 8, 7, true)).toBeInstanceOf(Int8Array);
    expect(valueRange(Int16Array.from([5, -3, 9]))).toEqual({ min: -3, max: 9 });
  });

  it('clamps a wider codestream\'s values into Bits Stored instead of letting the mask wrap them', () => {
    // 16-bit signed samples of a 12-bit signed image: −2057 and 2051 are a lossy codec's overshoot.
    const wide = Uint16Array.from([-2057, -2048, -5, 0, 2047, 2051, -32768].map((value) => value & 0xffff));
    const clamped = clampToBitsStored(wide, 16, 12, true);
    expect(Array.from(toStoredValues(clamped, 12, 11, true))).toEqual([-2048, -2048, -5, 0, 2047, 2047, -2048]);
    // Unsigned: 12-bit samples of an image with Bits Stored 10.
    expect(Array.from(clampToBitsStored(Uint16Array.from([0, 1023, 1024, 4095]), 12, 10, false))).toEqual([0, 1023, 1023, 1023]);
    // 8-bit two's complement bytes of a 7-bit signed image.
    expect(Array.from(toStoredValues(clampToBitsStored(Uint8Array.from([0x80, 0xc0, 0x3f, 0x7f]), 8, 7, true), 7, 6, true))).toEqual([-64, -64, 63, 63]);
    // A codestream no wider than Bits Stored is passed through untouched (the same array).
    const same = Uint16Array.from([0xf830]);
    expect(clampToBitsStored(same, 12, 12, true)).toBe(same);
  });
});

describe('modality LUT (PS3.3 C.11.1)', () => {
  it('rescales by slope and intercept (CT: stored − 1024 → HU)', () => {
    const ct = { slope: 1, intercept: -1024, lut: null };
    expect(modalityValue(0, ct)).toBe(-1024);
    expect(modalityValue(1064, ct)).toBe(40);
    expect(modalityValue(-2000, ct)).toBe(-3024);
    expect(modalityValue(100, { slope: 2.5, intercept: 10, lut: null })).toBe(260);
    expect(modalityRange(0, 4095, ct)).toEqual({ min: -1024, max: 3071 });
    expect(modalityRange(0, 10, { slope: -1, intercept: 0, lut: null })).toEqual({ min: -10, max: 0 });
  });

  it('a Modality LUT Sequence wins, clamping below the first mapped value and above the last', () => {
    const lut = lutFromDescriptor([4, 10, 16], [100, 200, 300, 400], false);
    const transform = { slope: 1, intercept: -1024, lut };
    expect(modalityValue(5, transform)).toBe(100);
    expect(modalityValue(11, transform)).toBe(200);
    expect(modalityValue(13, transform)).toBe(400);
    expect(modalityValue(99, transform)).toBe(400);
    // A descriptor's 0 entries means 65,536; a signed first mapped value is read as negative.
    expect(lutFromDescriptor([0, 0xfc00, 16], [], true)).toMatchObject({ entries: 65536, firstMapped: -1024 });
    expect(lookupLut(lutFromDescriptor([2, 0, 8], [7, 9], false), 1)).toBe(9);
  });
});

describe('VOI window (PS3.3 C.11.2.1.2)', () => {
  it('LINEAR: the standard’s formula with the half-step centre', () => {
    // c = 40, w = 400: x ≤ c − 0.5 − (w − 1)/2 = −160 → 0; x > c − 0.5 + (w − 1)/2 = 239 → 255.
    expect(windowValue(-160, 40, 400, 'LINEAR', 255)).toBe(0);
    expect(windowValue(-159, 40, 400, 'LINEAR', 255)).toBeCloseTo(((-159 - 39.5) / 399 + 0.5) * 255, 10);
    expect(windowValue(239, 40, 400, 'LINEAR', 255)).toBeCloseTo(255, 0);
    expect(windowValue(240, 40, 400, 'LINEAR', 255)).toBe(255);
    expect(windowValue(39.5, 40, 400, 'LINEAR', 255)).toBeCloseTo(127.5, 10);
    // Width 1: a threshold at the centre.
    expect(windowValue(0, 1, 1, 'LINEAR', 255)).toBe(0);
    expect(windowValue(1, 1, 1, 'LINEAR', 255)).toBe(255);
  });

  it('LINEAR_EXACT and SIGMOID', () => {
    expect(windowValue(-160, 40, 400, 'LINEAR_EXACT', 255)).toBe(0);
    expect(windowValue(40, 40, 400, 'LINEAR_EXACT', 255)).toBeCloseTo(127.5, 10);
    expect(windowValue(140, 40, 400, 'LINEAR_EXACT', 255)).toBeCloseTo(191.25, 10);
    expect(windowValue(240.1, 40, 400, 'LINEAR_EXACT', 255)).toBe(255);
    expect(windowValue(40, 40, 400, 'SIGMOID', 255)).toBeCloseTo(127.5, 10);
    expect(windowValue(140, 40, 400, 'SIGMOID', 255)).toBeCloseTo(255 / (1 + Math.exp(-1)), 10);
  });

  it('a VOI LUT scales its entries to the output range; a default window spans a range', () => {
    const lut = lutFromDescriptor([3, 0, 12], [0, 2048, 4095], false);
    expect(voiLutValue(1, lut, 255)).toBeCloseTo((2048 / 4095) * 255, 10);
    expect(windowForRange(-1024, 3071)).toEqual({ center: 1023.5, width: 4095 });
  });
});

describe('grayscale presentation (modality → VOI → MONOCHROME1 / invert)', () => {
  const ctView = (overrides: Partial<GrayView> = {}): GrayView => ({ modality: { slope: 1, intercept: -1024, lut: null }, voi: { kind: 'window', center: 40, width: 400, func: 'LINEAR' }, monochrome1: false, invert: false, ...overrides });

  it('maps CT stored values through HU and a soft-tissue window to expected bytes', () => {
    // Stored: air (−1000 HU), fat (−100), water (0), centre (40), bone (1000), outside (−3024).
    const stored = Int16Array.from([24, 924, 1024, 1064, 2024, -2000]);
    const lut = buildGrayLut(-2000, 2024, ctView());
    const rgba = new Uint8ClampedArray(stored.length * 4);
    grayToRgba(stored, -2000, lut, rgba);
    const grey = Array.from({ length: stored.length }, (_, i) => rgba[i * 4]!);
    const expectByte = (hu: number) => Math.round(Math.min(255, Math.max(0, windowValue(hu, 40, 400, 'LINEAR', 255))));
    expect(grey).toEqual([0, expectByte(-100), expectByte(0), expectByte(40), 255, 0]);
    // By hand: ((−100 − 39.5) / 399 + 0.5) × 255 = 38.35; water 102.26; the centre 127.8.
    expect(grey[1]).toBe(38);
    expect(grey[2]).toBe(102);
    expect(grey[3]).toBe(128);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([0, 0, 0, 255]);
  });

  it('MONOCHROME1 shows the lowest value white; invert flips again', () => {
    const stored = Uint16Array.from([0, 100, 200]);
    const view = { modality: IDENTITY_MODALITY, voi: { kind: 'window' as const, center: 100, width: 201, func: 'LINEAR' as const }, invert: false };
    const render = (monochrome1: boolean, invert: boolean) => {
      const rgba = new Uint8ClampedArray(12);
      grayToRgba(stored, 0, buildGrayLut(0, 200, { ...view, monochrome1, invert }), rgba);
      return [rgba[0], rgba[4], rgba[8]];
    };
    // ((0 − 99.5) / 200 + 0.5) × 255 = 0.64 → 1; 100 → 128.1; 200 is above 99.5 + 100 → 255.
    expect(render(false, false)).toEqual([1, 128, 255]);
    expect(render(true, false)).toEqual([254, 127, 0]);
    expect(render(true, true)).toEqual([1, 128, 255]);
    expect(render(false, true)).toEqual([254, 127, 0]);
  });

  it('a VOI LUT presentation', () => {
    const lut = lutFromDescriptor([4, 0, 8], [0, 85, 170, 255], false);
    const table = buildGrayLut(0, 3, { modality: IDENTITY_MODALITY, voi: { kind: 'lut', lut }, monochrome1: false, invert: false });
    expect(Array.from(table)).toEqual([0, 85, 170, 255]);
  });

  it('clamps values outside the table to its ends', () => {
    const rgba = new Uint8ClampedArray(8);
    grayToRgba(Int16Array.from([-5, 50]), 0, Uint8Array.from([10, 20, 30]), rgba);
    expect([rgba[0], rgba[4]]).toEqual([10, 30]);
  });
});

describe('colour photometric interpretations (PS3.3 C.7.6.3.1.2)', () => {
  it('YBR_FULL to RGB by the standard’s equations', () => {
    expect(ybrFullPixelToRgb(128, 128, 128)).toEqual([128, 128, 128]);
    expect(ybrFullPixelToRgb(76, 85, 255)).toEqual([254, 0, 0]);
    expect(ybrFullPixelToRgb(150, 44, 21)).toEqual([0, 255, 1]);
    // 29 + 1.772 × 127 = 254.04.
    expect(ybrFullPixelToRgb(29, 255, 107)).toEqual([0, 0, 254]);
    expect(Array.from(ybrFullToRgb(Uint8Array.from([128, 128, 128, 255, 128, 128])))).toEqual([128, 128, 128, 255, 255, 255]);
  });

  it('YBR_FULL_422: Y1 Y2 Cb Cr per pair of pixels, an odd last column sharing its chroma', () => {
    // 3 columns × 1 row: pairs (Y 10, 20 | Cb 128 Cr 128) and (Y 30, – | 128 128).
    const rgb = ybrFull422ToRgb(Uint8Array.from([10, 20, 128, 128, 30, 0, 128, 128]), 3, 1);
    expect(Array.from(rgb)).toEqual([10, 10, 10, 20, 20, 20, 30, 30, 30]);
  });

  it('planar to interleaved, wide samples to 8 bits, RGB to RGBA with invert', () => {
    expect(Array.from(planarToInterleaved(Uint8Array.from([1, 2, 10, 20, 100, 200]), 2))).toEqual([1, 10, 100, 2, 20, 200]);
    expect(Array.from(samplesTo8Bit(Uint16Array.from([0xffff, 0x0100]), 16))).toEqual([255, 1]);
    const rgba = new Uint8ClampedArray(4);
    rgbToRgba(Uint8Array.from([10, 20, 30]), true, rgba);
    expect(Array.from(rgba)).toEqual([245, 235, 225, 255]);
  });

  it('PALETTE COLOR: 16-bit entries keep their high byte; indices clamp to the table', () => {
    const palette = {
      red: lutFromDescriptor([3, 0, 16], [0x0000, 0x8000, 0xffff], false),
      green: lutFromDescriptor([3, 0, 16], [0xffff, 0x8000, 0x0000], false),
      blue: lutFromDescriptor([3, 0, 16], [0x1234, 0x1234, 0x1234], false),
    };
    expect(Array.from(paletteToRgb(Uint8Array.from([0, 1, 2, 9]), palette))).toEqual([0, 255, 0x12, 128, 128, 0x12, 255, 0, 0x12, 255, 0, 0x12]);
    const eight = { red: lutFromDescriptor([2, 10, 8], [5, 6], false), green: lutFromDescriptor([2, 10, 8], [7, 8], false), blue: lutFromDescriptor([2, 10, 8], [9, 10], false) };
    expect(Array.from(paletteToRgb(Uint16Array.from([10, 11, 3]), eight))).toEqual([5, 7, 9, 6, 8, 10, 5, 7, 9]);
  });
});
