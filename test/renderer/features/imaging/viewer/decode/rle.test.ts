import { describe, expect, it } from 'vitest';
import { decodeRleFrame, encodeRleFrame, packSegment, RleError, unpackSegment } from '../../../../../../renderer/features/imaging/viewer/decode/rle';

describe('RLE Lossless (PS3.5 Annex G)', () => {
  it('unpacks PackBits: literal runs, replicate runs and the −128 no-op', () => {
    // 02 a b c (3 literal) | FE x (3 × x) | 80 (no-op) | 00 y (1 literal)
    const data = Uint8Array.from([0x02, 1, 2, 3, 0xfe, 9, 0x80, 0x00, 7]);
    const out = new Uint8Array(7);
    expect(unpackSegment(data, 0, data.length, out, 0, 1, 7)).toBe(7);
    expect(Array.from(out)).toEqual([1, 2, 3, 9, 9, 9, 7]);
  });

  it('decodes a 16-bit frame by hand: two segments, most significant byte first, into little-endian containers', () => {
    const frame = new Uint8Array(64 + 4 + 4);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 2, true);
    view.setUint32(4, 64, true);
    view.setUint32(8, 68, true);
    // High bytes: 0x12, 0x12 (replicate 2, padded by a no-op); low bytes 0x34, 0x56 (literal 2).
    frame.set([0xff, 0x12, 0x80, 0x80], 64);
    frame.set([0x01, 0x34, 0x56, 0x80], 68);
    const raw = decodeRleFrame(frame, 1, 2, 1, 16);
    expect(Array.from(new Uint16Array(raw.buffer))).toEqual([0x1234, 0x1256]);
  });

  it('decodes 8-bit RGB as three planes into interleaved samples', () => {
    const rgb = Uint8Array.from([10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33]);
    const decoded = decodeRleFrame(encodeRleFrame(rgb, 3, 8), 2, 2, 3, 8);
    expect(Array.from(decoded)).toEqual(Array.from(rgb));
  });

  it('round-trips random 16-bit data and long runs through our encoder', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 65536;
    const values = Uint16Array.from({ length: 300 * 7 }, (_, i) => (i % 300 < 150 ? 0x0400 : random()));
    const raw = new Uint8Array(values.buffer);
    expect(Array.from(decodeRleFrame(encodeRleFrame(raw, 1, 16), 7, 300, 1, 16))).toEqual(Array.from(raw));
    expect(packSegment(new Uint8Array(200)).length).toBeLessThan(8);
  });

  it('refuses a header whose segment count does not fit the image, or offsets outside the frame', () => {
    const frame = encodeRleFrame(new Uint8Array(8), 1, 16);
    expect(() => decodeRleFrame(frame, 2, 2, 3, 16)).toThrow(RleError);
    const broken = frame.slice();
    new DataView(broken.buffer).setUint32(8, 10_000, true);
    expect(() => decodeRleFrame(broken, 2, 2, 1, 16)).toThrow(/outside the frame/);
    expect(() => decodeRleFrame(new Uint8Array(10), 1, 1, 1, 8)).toThrow(/64-byte header/);
  });
});
