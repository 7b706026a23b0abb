import { describe, expect, it } from 'vitest';
import { PixelDataEndCheck, pixelDataEndProblem } from '../../../../electron/intake/dicom/pixel-data-end';

/** Encapsulated Pixel Data's value: an empty offset table, fragments, then the sequence delimiter (unless `open`). */
function fragments(sizes: readonly number[], { littleEndian = true, open = false } = {}): Buffer {
  const header = (element: number, length: number) => {
    const bytes = Buffer.alloc(8);
    if (littleEndian) {
      bytes.writeUInt16LE(0xfffe, 0);
      bytes.writeUInt16LE(element, 2);
      bytes.writeUInt32LE(length, 4);
    } else {
      bytes.writeUInt16BE(0xfffe, 0);
      bytes.writeUInt16BE(element, 2);
      bytes.writeUInt32BE(length, 4);
    }
    return bytes;
  };
  const parts = [header(0xe000, 0)];
  for (const size of sizes) parts.push(header(0xe000, size), Buffer.alloc(size, 0xab));
  if (!open) parts.push(header(0xe0dd, 0));
  return Buffer.concat(parts);
}

describe('whether a data set reaches the end of its Pixel Data', () => {
  it('defined length: complete passes; cut short says how many of how many bytes arrived', () => {
    const bytes = Buffer.concat([Buffer.alloc(100), Buffer.alloc(2000)]);
    expect(pixelDataEndProblem(bytes, { valueOffset: 100, length: 2000, littleEndian: true })).toBeNull();
    const cut = bytes.subarray(0, 1100);
    expect(pixelDataEndProblem(cut, { valueOffset: 100, length: 2000, littleEndian: true })).toBe(
      'The data set ends inside Pixel Data (7FE0,0010): 1,000 of 2,000 bytes arrived. The instance was cut short (an interrupted send or a damaged file).',
    );
    // Cut right at the element header: nothing of the value.
    expect(pixelDataEndProblem(bytes.subarray(0, 100), { valueOffset: 100, length: 2000, littleEndian: true })).toMatch(/: 0 of 2,000 bytes/);
  });

  it('encapsulated: walks the item headers to the sequence delimiter, in both byte orders', () => {
    for (const littleEndian of [true, false]) {
      const value = fragments([1000, 30, 4096], { littleEndian });
      const bytes = Buffer.concat([Buffer.alloc(64), value]);
      expect(pixelDataEndProblem(bytes, { valueOffset: 64, length: null, littleEndian }), String(littleEndian)).toBeNull();
    }
  });

  it('encapsulated: a fragment cut short, a missing delimiter and a cut item header are each a problem', () => {
    const bytes = Buffer.concat([Buffer.alloc(64), fragments([1000, 3000])]);
    const extent = { valueOffset: 64, length: null, littleEndian: true } as const;
    // 64 + offset table (8) + item 1 (8 + 1000) + item 2 header (8) + 500 bytes of fragment 2.
    expect(pixelDataEndProblem(bytes.subarray(0, 64 + 8 + 1008 + 8 + 500), extent)).toMatch(/^The data set ends inside Pixel Data \(7FE0,0010\): fragment 2 has 500 of 3,000 bytes\./);
    expect(pixelDataEndProblem(bytes.subarray(0, bytes.length - 8), extent)).toMatch(/2 complete fragments and no end marker/);
    expect(pixelDataEndProblem(bytes.subarray(0, bytes.length - 5), extent)).toMatch(/no end marker/);
    expect(pixelDataEndProblem(bytes.subarray(0, 64 + 3), extent)).toMatch(/0 complete fragments and no end marker/);
    expect(pixelDataEndProblem(bytes.subarray(0, 64 + 8 + 8 + 10), extent)).toMatch(/fragment 1 has 10 of 1,000 bytes/);
  });

  it('encapsulated: a value that is not items is malformed, not silently accepted', () => {
    const bytes = Buffer.concat([Buffer.alloc(64), Buffer.alloc(32, 0x11)]);
    expect(pixelDataEndProblem(bytes, { valueOffset: 64, length: null, littleEndian: true })).toMatch(/does not start with an item header/);
  });

  it('fed piece by piece (headers crossing pieces, pieces of one byte), it decides as on the whole', () => {
    const whole = Buffer.concat([Buffer.alloc(64), fragments([7, 1000, 2, 513])]);
    const extent = { valueOffset: 64, length: null, littleEndian: true } as const;
    for (const [end, size] of [[whole.length, 1], [whole.length, 5], [whole.length, 333], [whole.length - 300, 7], [whole.length - 4, 3]] as const) {
      const check = new PixelDataEndCheck(extent);
      for (let at = 0; at < end; at += size) check.feed(whole.subarray(at, Math.min(end, at + size)), at);
      expect(check.problem(end), `${end}/${size}`).toBe(pixelDataEndProblem(whole.subarray(0, end), extent));
    }
    expect(pixelDataEndProblem(whole, extent)).toBeNull();
  });
});
