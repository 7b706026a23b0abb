import { describe, expect, it } from 'vitest';
import { PixelDataEndCheck, nativePixelDataProblem, pixelDataEndProblem } from '../../../../electron/intake/dicom/pixel-data-end';

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

describe('native Pixel Data against the image it describes (QA12 D6; PS3.5 8.1.1, PS3.3 C.7.6.3)', () => {
  const image = { rows: 256, columns: 256, samplesPerPixel: 1, bitsAllocated: 16, photometricInterpretation: 'MONOCHROME2' };
  it('needs Rows × Columns × Samples × Frames × Bits Allocated / 8 bytes; more is not an error', () => {
    expect(nativePixelDataProblem({ ...image, length: 60_000 })).toBe('Pixel Data (7FE0,0010) holds 60,000 bytes, but 256 × 256 pixels × 1 sample × 16 bits × 1 frame need 131,072: the image is incomplete (a damaged file or a faulty sender).');
    expect(nativePixelDataProblem({ ...image, length: 131_072 })).toBeNull();
    expect(nativePixelDataProblem({ ...image, length: 131_074 })).toBeNull();
    expect(nativePixelDataProblem({ ...image, numberOfFrames: 3, length: 131_072 * 2 })).toMatch(/× 3 frames need 393,216:/);
    expect(nativePixelDataProblem({ ...image, samplesPerPixel: 3, bitsAllocated: 8, photometricInterpretation: 'RGB', length: 196_607 })).toMatch(/× 3 samples × 8 bits × 1 frame need 196,608:/);
  });
  it('bits allocated 1 are packed and rounded up to whole bytes; the even padding byte may be missing', () => {
    // 3 × 3 × 1 bit = 9 bits → 2 bytes.
    const bitmap = { rows: 3, columns: 3, samplesPerPixel: 1, bitsAllocated: 1, photometricInterpretation: 'MONOCHROME2' };
    expect(nativePixelDataProblem({ ...bitmap, length: 2 })).toBeNull();
    expect(nativePixelDataProblem({ ...bitmap, length: 1 })).toMatch(/holds 1 bytes?, but .* need 2:/);
    // 5 × 5 × 8 bits = 25 bytes, padded to 26: 25 has every pixel.
    expect(nativePixelDataProblem({ rows: 5, columns: 5, samplesPerPixel: 1, bitsAllocated: 8, length: 25 })).toBeNull();
  });
  it('YBR_FULL_422 holds two samples a pixel, not three', () => {
    const ybr = { rows: 4, columns: 4, samplesPerPixel: 3, bitsAllocated: 8, photometricInterpretation: 'YBR_FULL_422' };
    expect(nativePixelDataProblem({ ...ybr, length: 32 })).toBeNull();
    expect(nativePixelDataProblem({ ...ybr, length: 30 })).toMatch(/need 32:/);
  });
  it('says nothing when the image is not described (no rows, columns or bits allocated, a frame count that is not a number)', () => {
    expect(nativePixelDataProblem({ columns: 256, samplesPerPixel: 1, bitsAllocated: 16, length: 2 })).toBeNull();
    expect(nativePixelDataProblem({ rows: 256, columns: 256, samplesPerPixel: 1, length: 2 })).toBeNull();
    expect(nativePixelDataProblem({ ...image, numberOfFrames: 0, length: 2 })).toBeNull();
  });
});
