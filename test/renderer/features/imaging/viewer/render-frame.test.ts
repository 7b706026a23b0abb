import { describe, expect, it } from 'vitest';
import type { ImageInfo } from '../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { lutFromDescriptor } from '../../../../../renderer/features/imaging/viewer/pixels/lut-data';
import type { DecodedFrame } from '../../../../../renderer/features/imaging/viewer/pixels/pixel-module';
import { defaultWindow, frameToRgba, grayViewFor, windowDragRange } from '../../../../../renderer/features/imaging/viewer/render-frame';
import { stackOf } from '../../../../../renderer/features/imaging/viewer/stack';
import { dragWindow, INITIAL_VIEW } from '../../../../../renderer/features/imaging/viewer/viewport-state';

const ct = (overrides: Partial<ImageInfo> = {}): ImageInfo => ({
  pixel: { rows: 1, columns: 4, samplesPerPixel: 1, photometric: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1, planarConfiguration: 0 },
  encoding: 'native',
  frames: 1,
  modality: { slope: 1, intercept: -1024, lut: null },
  voi: { windows: [{ center: 40, width: 400, label: 'SOFT' }], func: 'LINEAR', luts: [] },
  palette: null,
  pixelSpacing: [0.5, 0.5],
  spacingSource: 'patient',
  frameTimeMs: null,
  ...overrides,
});
const frame: DecodedFrame = { kind: 'gray', rows: 1, columns: 4, pixels: Int16Array.from([24, 1024, 1064, 2024]), min: 24, max: 2024 };

describe('presenting a frame', () => {
  it('opens with the data set’s first window; without one, the frame’s whole modality range', () => {
    expect(defaultWindow(ct(), frame)).toEqual({ center: 40, width: 400 });
    expect(defaultWindow(ct({ voi: { windows: [], func: 'LINEAR', luts: [] } }), frame)).toEqual({ center: -1000 + 1000, width: 2000 });
  });

  it('uses a VOI LUT when the data set has no window, and the user’s window over both', () => {
    const lut = lutFromDescriptor([2, 0, 8], [0, 255], false);
    const image = ct({ voi: { windows: [], func: 'LINEAR', luts: [lut] } });
    expect(defaultWindow(image, frame)).toBeNull();
    expect(grayViewFor(image, frame as DecodedFrame & { kind: 'gray' }, INITIAL_VIEW).voi).toEqual({ kind: 'lut', lut });
    expect(grayViewFor(image, frame as DecodedFrame & { kind: 'gray' }, { ...INITIAL_VIEW, window: { center: 0, width: 100 } }).voi).toMatchObject({ kind: 'window', center: 0, width: 100 });
  });

  it('draws RGBA: air black, bone white in a soft-tissue window; MONOCHROME1 and invert flip it', () => {
    const out = new Uint8ClampedArray(16);
    frameToRgba(ct(), frame, INITIAL_VIEW, out);
    expect([out[0], out[4], out[8], out[12]]).toEqual([0, 102, 128, 255]);
    frameToRgba(ct({ pixel: { ...ct().pixel, photometric: 'MONOCHROME1' } }), frame, INITIAL_VIEW, out);
    expect([out[0], out[4], out[8], out[12]]).toEqual([255, 153, 127, 0]);
    frameToRgba(ct(), frame, { ...INITIAL_VIEW, invert: true }, out);
    expect([out[0], out[12]]).toEqual([255, 0]);
    const rgb: DecodedFrame = { kind: 'rgb', rows: 1, columns: 1, pixels: Uint8Array.from([1, 2, 3]) };
    frameToRgba(ct(), rgb, INITIAL_VIEW, out);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 2, 3, 255]);
  });

  // QA s33 D2: the drag's range was the frame's stored range while the window is in rescaled units.
  it('a window drag spans the frame’s rescaled value range: slope 0.001, slope 0.5, a negative slope, a frame’s own rescale', () => {
    const stored = (min: number, max: number): DecodedFrame & { kind: 'gray' } => ({ kind: 'gray', rows: 1, columns: 2, pixels: Uint16Array.from([min, max]), min, max });
    const fine = ct({ modality: { slope: 0.001, intercept: 0, lut: null }, voi: { windows: [{ center: 2, width: 4, label: '' }], func: 'LINEAR', luts: [] } });
    expect(windowDragRange(fine, stored(0, 4095))).toBeCloseTo(4.095, 10);
    // An early tester's drags: 5 px right took W from 4 to 44, 1 px down L from 2 to 10. Since 5faea8f
    // (tester T1 S35 F8) a pixel moves 1/128 of the window's width, the range setting only the floor.
    const dragged = dragWindow({ center: 2, width: 4 }, 5, 1, windowDragRange(fine, stored(0, 4095)));
    expect(dragged.width).toBeCloseTo(4 + 5 * (4 / 128), 10);
    expect(dragged.center).toBeCloseTo(2 + 4 / 128, 10);
    // From the narrowest window, a drag across 512 px widens it fourfold (512 / 128 of its width), not by the range.
    expect(dragWindow({ center: 2, width: 1 }, 512, 0, windowDragRange(fine, stored(0, 4095))).width).toBeCloseTo(1 + 4, 10);
    // A window of no width still moves, by the floor: 1/16384 of the frame's rescaled range a pixel.
    expect(dragWindow({ center: 2, width: 0 }, 0, 100, windowDragRange(fine, stored(0, 4095))).center).toBeCloseTo(2 + 100 * (4.095 / 16384), 10);
    expect(windowDragRange(ct({ modality: { slope: 0.5, intercept: -1024, lut: null } }), stored(0, 4095))).toBe(2047.5);
    expect(windowDragRange(ct({ modality: { slope: -0.5, intercept: 100, lut: null } }), stored(0, 2000))).toBe(1000);
    const ownRescale: DecodedFrame & { kind: 'gray' } = { ...stored(0, 1000), values: { modality: { slope: 2, intercept: 0, lut: null } } };
    expect(windowDragRange(ct(), ownRescale)).toBe(2000);
  });

  it('makes a stack of every frame of every instance, in order', () => {
    const instance = (id: string, frames: number | null) => ({ instanceId: id, objectId: 'o', sopInstanceUid: id, sopClassUid: '', transferSyntaxUid: '', number: null, rows: null, columns: null, frames, source: 'import' as const, callingAeTitle: '', copy: 1, earlierCopies: [] });
    const stack = stackOf({ seriesId: 's', seriesInstanceUid: '1', modality: 'US', number: 1, description: '', bodyPart: '', instances: [instance('a', null), instance('b', 3)] });
    expect(stack.map((entry) => `${entry.instanceId}${entry.frame}/${entry.frames}#${entry.instanceOrdinal}`)).toEqual(['a0/1#1', 'b0/3#2', 'b1/3#2', 'b2/3#2']);
  });
});
