import { describe, expect, it } from 'vitest';
import { writeDataset, type Element } from '../../../../../electron/intake/dicom/dicom-test-support';
import type { InstanceOverview } from '../../../../../../renderer/features/imaging/viewer/decode/decode-protocol';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { DecodedFrame } from '../../../../../../renderer/features/imaging/viewer/pixels/pixel-module';
import { defaultWindow, frameImage, frameToRgba } from '../../../../../../renderer/features/imaging/viewer/render-frame';
import { measurementLabel } from '../../../../../../renderer/features/imaging/viewer/viewer-canvas';
import { INITIAL_VIEW } from '../../../../../../renderer/features/imaging/viewer/viewport-state';
import { nodeCodecs } from '../node-codecs';
import { imageElements, part10, TS } from '../viewer-fixtures';

/**
 * QA s32 D2: an enhanced multi-frame image (Enhanced CT Image Storage) keeps its pixel spacing,
 * rescale and window in the Shared (5200,9229) and Per-frame (5200,9230) Functional Groups
 * (PS3.3 C.7.6.16), not at the top level. The viewer read only the top level: raw stored values
 * in a window of their whole range, a Brain preset painting 40 HU white, lengths in pixels.
 */
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const codecs = nodeCodecs();

/** A sequence's value: its items, each a data set (explicit VR little endian, defined lengths). */
function sq(items: readonly (readonly Element[])[]): Buffer {
  return Buffer.concat(
    items.map((elements) => {
      const body = writeDataset(elements, TS.explicitLittle);
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0xfffe, 0);
      head.writeUInt16LE(0xe000, 2);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    }),
  );
}

const pixelMeasures = (spacing: string): Element => [0x00289110, 'SQ', sq([[[0x00280030, 'DS', spacing], [0x00180050, 'DS', '1']]])];
const pixelValueTransformation = (intercept: number, slope: number): Element => [0x00289145, 'SQ', sq([[[0x00281052, 'DS', String(intercept)], [0x00281053, 'DS', String(slope)], [0x00281054, 'LO', 'HU']]])];
const frameVoi = (center: number, width: number, label: string): Element => [0x00289132, 'SQ', sq([[[0x00281050, 'DS', String(center)], [0x00281051, 'DS', String(width)], [0x00281055, 'LO', label]]])];
const frameContent = (index: number): Element => [0x00209111, 'SQ', sq([[[0x00209157, 'UL', Buffer.from(Uint32Array.from([1, index + 1]).buffer)]]])];

/** HU −1000 (air), 0 (water), 40 (soft tissue), 1000 (bone) in each frame; stored = (HU − intercept) / slope. */
const HU = [-1000, 0, 40, 1000];
const storedOf = (intercept: number, slope: number) => HU.map((hu) => (hu - intercept) / slope);

function enhancedCt(frames: readonly (readonly number[])[], extra: readonly Element[]): Uint8Array {
  const elements = imageElements({
    sopInstanceUid: '1.2.826.0.1.3680043.10.998.77',
    sopClassUid: ENHANCED_CT,
    rows: 1,
    columns: 4,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    frames: frames.length,
    pixelData: Buffer.from(Uint16Array.from(frames.flat()).buffer),
    extra: [[0x00200013, 'IS', '1'], ...extra],
  });
  return new Uint8Array(part10(elements, TS.explicitLittle));
}

/** The byte each of the four pixels is drawn with (RGBA: red of each). */
function drawn(overview: InstanceOverview, frame: DecodedFrame, window: { center: number; width: number } | null = null): number[] {
  const out = new Uint8ClampedArray(16);
  frameToRgba(overview.image!, frame, { ...INITIAL_VIEW, window }, out);
  return [out[0]!, out[4]!, out[8]!, out[12]!];
}

const line100 = { a: { x: 0, y: 0 }, b: { x: 100, y: 0 } };

describe('enhanced multi-frame images: spacing, rescale and window from the functional groups (QA s32 D2)', () => {
  it('reads the Shared Functional Groups: window 40/400 in HU, the Brain preset paints 40 HU mid-grey, a 100-pixel line is 50 mm', async () => {
    // As the tester's enh.dcm: five frames stored as HU + 1024, everything in the Shared Functional Groups.
    const shared: Element = [0x52009229, 'SQ', sq([[pixelMeasures('0.5\\0.5'), pixelValueTransformation(-1024, 1), frameVoi(40, 400, 'SOFT TISSUE')]])];
    const perFrame: Element = [0x52009230, 'SQ', sq([0, 1, 2, 3, 4].map((i) => [frameContent(i)]))];
    const bytes = enhancedCt([0, 1, 2, 3, 4].map(() => storedOf(-1024, 1)), [shared, perFrame]);
    const decoder = new InstanceDecoder(codecs);
    const overview = await decoder.open('enh', bytes, true);
    expect(overview.image!.frames).toBe(5);
    for (const index of [0, 4]) {
      const frame = index === 0 ? overview.first! : await decoder.frame('enh', index);
      expect(defaultWindow(overview.image!, frame)).toEqual({ center: 40, width: 400 });
      // The same bytes as a classic CT with Rescale Intercept −1024 and a soft-tissue window (render-frame.test.ts).
      expect(drawn(overview, frame)).toEqual([0, 102, 128, 255]);
      // Brain (W 80 / L 40): water black, soft tissue mid-grey, bone white.
      expect(drawn(overview, frame, { center: 40, width: 80 })).toEqual([0, 0, 129, 255]);
      expect(measurementLabel(line100, frameImage(overview.image!, frame).pixelSpacing)).toBe('50.0 mm');
    }
    expect(overview.image!.voi.windows).toEqual([{ center: 40, width: 400, label: 'SOFT TISSUE' }]);
    expect(overview.image!.pixelSpacing).toEqual([0.5, 0.5]);
    expect(overview.image!.spacingSource).toBe('patient');
  });

  it('a Per-frame Functional Groups item wins over the Shared ones, which win over the top level, frame by frame', async () => {
    // Top level (decoys an enhanced object should not carry): spacing 2 mm, no rescale, window 0/100.
    const top: Element[] = [
      [0x00280030, 'DS', '2\\2'],
      [0x00281050, 'DS', '0'],
      [0x00281051, 'DS', '100'],
    ];
    const shared: Element = [0x52009229, 'SQ', sq([[pixelMeasures('1\\1')]])];
    // Frames 0 and 1: stored = HU + 1024, soft tissue; frame 2: stored = (HU + 2048) / 2, a lung window, 0.25 mm pixels.
    const perFrame: Element = [
      0x52009230,
      'SQ',
      sq([
        [frameContent(0), pixelValueTransformation(-1024, 1), frameVoi(40, 400, 'SOFT')],
        [frameContent(1), pixelValueTransformation(-1024, 1), frameVoi(40, 400, 'SOFT')],
        [frameContent(2), pixelMeasures('0.25\\0.25'), pixelValueTransformation(-2048, 2), frameVoi(-600, 1500, 'LUNG')],
      ]),
    ];
    const bytes = enhancedCt([storedOf(-1024, 1), storedOf(-1024, 1), storedOf(-2048, 2)], [...top, shared, perFrame]);
    const decoder = new InstanceDecoder(codecs);
    const overview = await decoder.open('enh', bytes, true);
    const first = overview.first!;
    const third = await decoder.frame('enh', 2);
    expect(defaultWindow(overview.image!, first)).toEqual({ center: 40, width: 400 });
    expect(drawn(overview, first)).toEqual([0, 102, 128, 255]);
    expect(defaultWindow(overview.image!, third)).toEqual({ center: -600, width: 1500 });
    // LINEAR (C.11.2.1.2.1), centre −600, width 1500, on HU −1000, 0, 40, 1000 after slope 2, intercept −2048.
    expect(drawn(overview, third)).toEqual([60, 230, 236, 255]);
    // The user's window applies to every frame in HU: the third frame's rescale is its own.
    expect(drawn(overview, third, { center: 40, width: 400 })).toEqual([0, 102, 128, 255]);
    expect(measurementLabel(line100, frameImage(overview.image!, first).pixelSpacing)).toBe('100.0 mm');
    expect(measurementLabel(line100, frameImage(overview.image!, third).pixelSpacing)).toBe('25.0 mm');
    expect(frameImage(overview.image!, third).voi.windows).toEqual([{ center: -600, width: 1500, label: 'LUNG' }]);
  });

  it('reads a frame’s groups the same when the instance is read in ranges (too large to hold whole)', async () => {
    const perFrame: Element = [0x52009230, 'SQ', sq([[pixelValueTransformation(-1024, 1)], [pixelValueTransformation(-2048, 2), frameVoi(-600, 1500, 'LUNG')]])];
    const bytes = enhancedCt([storedOf(-1024, 1), storedOf(-2048, 2)], [[0x52009229, 'SQ', sq([[pixelMeasures('0.5\\0.5'), frameVoi(40, 400, 'SOFT')]])], perFrame]);
    const decoder = new InstanceDecoder(codecs);
    const overview = await decoder.openRanged('ranged', { size: bytes.length, read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)) }, true);
    expect(drawn(overview, overview.first!)).toEqual([0, 102, 128, 255]);
    const second = await decoder.frame('ranged', 1);
    expect(defaultWindow(overview.image!, second)).toEqual({ center: -600, width: 1500 });
    expect(drawn(overview, second)).toEqual([60, 230, 236, 255]);
    expect(measurementLabel(line100, frameImage(overview.image!, second).pixelSpacing)).toBe('50.0 mm');
  });
});
