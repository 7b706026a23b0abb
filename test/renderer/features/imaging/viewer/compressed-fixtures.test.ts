import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encapsulatedFrameBytes, nativeFrameBytes, parseInstance } from '../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { decodeFrame } from '../../../../../renderer/features/imaging/viewer/decode/frame-decoder';
import { TRANSFER_SYNTAXES } from '../../../../../renderer/features/imaging/viewer/decode/transfer-syntax';
import type { DecodedFrame } from '../../../../../renderer/features/imaging/viewer/pixels/pixel-module';
import { REPO_ROOT } from '../../../../support/repo-paths';
import { seedCt16, seedMono12, seedMono8, seedRgb12, seedRgb8, seedSigned16, seedSigned8 } from '../../../../fixtures/dicom-viewer/write-seeds';
import { nodeCodecs } from './node-codecs';
import { TS } from './viewer-fixtures';

/**
 * The committed fixtures (test/fixtures/dicom-viewer/make-fixtures.sh: dcmtk and gdcm encoders,
 * independent of ours), decoded through the same path as the decode worker: lossless ones give
 * the seed's pixels exactly, lossy ones within a small error. HTJ2K fixtures: OpenJPH's ojph_compress.
 */
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/dicom-viewer');
const codecs = nodeCodecs();

async function decode(name: string): Promise<{ frame: DecodedFrame; transferSyntaxUid: string; photometric: string }> {
  const parsed = await parseInstance(new Uint8Array(readFileSync(path.join(FIXTURES, name))));
  expect(parsed.image).not.toBeNull();
  return { frame: await decodeFrame(parsed.dataSet, parsed.image!, 0, codecs), transferSyntaxUid: parsed.transferSyntaxUid, photometric: parsed.image!.pixel.photometric };
}

/** The 16-bit containers of a native (uncompressed) fixture's first frame, as dcmdjpeg wrote them. */
async function nativeContainers(name: string): Promise<Uint16Array> {
  const reference = await parseInstance(new Uint8Array(readFileSync(path.join(FIXTURES, name))));
  const raw = nativeFrameBytes(reference.dataSet, reference.image!, 0).slice();
  return new Uint16Array(raw.buffer, 0, raw.length >> 1);
}

/** A signed PGX (opj_decompress's output) of 64×64 16-bit samples, with its header checked. */
function signedPgx16(name: string, header: string): number[] {
  const pgx = readFileSync(path.join(FIXTURES, name));
  expect(pgx.subarray(0, pgx.length - 64 * 64 * 2).toString('latin1')).toBe(header);
  return Array.from({ length: 64 * 64 }, (_, i) => pgx.readInt16BE(pgx.length - 64 * 64 * 2 + i * 2));
}

function meanAbsoluteError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('compressed transfer syntaxes (fixtures made by dcmtk and gdcm)', () => {
  const ct = Array.from(seedCt16());
  for (const [name, uid] of [
    ['ct16-rle.dcm', '1.2.840.10008.1.2.5'],
    ['ct16-jpeg-lossless-sv1.dcm', '1.2.840.10008.1.2.4.70'],
    ['ct16-jpeg-lossless-p14.dcm', '1.2.840.10008.1.2.4.57'],
    ['ct16-jpegls.dcm', '1.2.840.10008.1.2.4.80'],
    ['ct16-j2k.dcm', '1.2.840.10008.1.2.4.90'],
  ] as const) {
    it(`${name}: signed 12-bit CT, lossless, exactly the seed's stored values`, async () => {
      const { frame, transferSyntaxUid } = await decode(name);
      expect(transferSyntaxUid).toBe(uid);
      expect(frame.kind).toBe('gray');
      if (frame.kind !== 'gray') return;
      expect(Array.from(frame.pixels)).toEqual(ct);
      expect(frame.min).toBe(Math.min(...ct));
    });
  }

  // Signed 8-bit (−128..127) and signed 16-bit with Bits Stored 16 (both ends of −32768..32767).
  for (const [bits, seed, type] of [
    [8, seedSigned8(), Int8Array],
    [16, seedSigned16(), Int16Array],
  ] as const) {
    for (const [syntax, uid] of [
      ['jpeg-lossless-sv1', '1.2.840.10008.1.2.4.70'],
      ['jpegls', '1.2.840.10008.1.2.4.80'],
      ['j2k', '1.2.840.10008.1.2.4.90'],
      ['htj2k', '1.2.840.10008.1.2.4.201'],
    ] as const) {
      const name = `signed${bits}-${syntax}.dcm`;
      it(`${name}: signed ${bits}-bit grey, lossless, exactly the seed's stored values`, async () => {
        const { frame, transferSyntaxUid } = await decode(name);
        expect(transferSyntaxUid).toBe(uid);
        expect(frame.kind).toBe('gray');
        if (frame.kind !== 'gray') return;
        expect(frame.pixels).toBeInstanceOf(type);
        expect(Array.from(frame.pixels)).toEqual(Array.from(seed));
      });
    }

    it(`signed${bits}-htj2k-opj.pgx: OpenJPEG decodes the signed ${bits}-bit HTJ2K fixture's codestream to the seed too`, () => {
      const pgx = readFileSync(path.join(FIXTURES, `signed${bits}-htj2k-opj.pgx`));
      const width = bits / 8;
      const header = pgx.subarray(0, pgx.length - seed.length * width);
      expect(header.toString('latin1')).toBe(`PG ML - ${bits} 64 64\n`);
      const samples = Array.from({ length: seed.length }, (_, i) => (width === 1 ? pgx.readInt8(header.length + i) : pgx.readInt16BE(header.length + i * 2)));
      expect(samples).toEqual(Array.from(seed));
    });
  }

  it('signed8-j2k-lossy.dcm: signed 8-bit grey, JPEG 2000 lossy (9/7), what opj_decompress decodes and near the seed, the ends clamped at −128 and 127', async () => {
    const { frame, transferSyntaxUid } = await decode('signed8-j2k-lossy.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.91');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    const pgx = readFileSync(path.join(FIXTURES, 'signed8-j2k-lossy-opj.pgx'));
    const header = pgx.subarray(0, pgx.length - 64 * 64);
    expect(header.toString('latin1')).toBe('PG ML - 8 64 64\n');
    expect(Array.from(frame.pixels)).toEqual(Array.from({ length: 64 * 64 }, (_, i) => pgx.readInt8(header.length + i)));
    expect(meanAbsoluteError(frame.pixels, seedSigned8())).toBeLessThan(12);
    expect([frame.min, frame.max]).toEqual([-128, 127]);
  });

  it('ct16-htj2k-lossy.dcm: signed 12-bit CT, HTJ2K lossy (9/7), within 1 of what OpenJPEG decodes and near the seed', async () => {
    const { frame, transferSyntaxUid } = await decode('ct16-htj2k-lossy.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.203');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    const reference = signedPgx16('ct16-htj2k-lossy-opj.pgx', 'PG ML - 12 64 64\n');
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(frame.pixels[i]! - reference[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    expect(meanAbsoluteError(frame.pixels, seedCt16())).toBeLessThan(4);
    expect(frame.min).toBeLessThan(-1990);
  });

  it('ct16-j2k-lossy.dcm: signed 12-bit CT in a 16-bit lossy JPEG 2000 codestream (gdcm codes Bits Allocated), what OpenJPEG decodes clamped to Bits Stored, not wrapped', async () => {
    const { frame, transferSyntaxUid } = await decode('ct16-j2k-lossy.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.91');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    // The 9/7 ringing overshoots −2048..2047 here; masked to 12 bits, −2057 would show as 2039.
    const reference = signedPgx16('ct16-j2k-lossy-opj.pgx', 'PG ML - 16 64 64\n');
    expect(Math.min(...reference)).toBeLessThan(-2048);
    expect(Math.max(...reference)).toBeGreaterThan(2047);
    expect(Array.from(frame.pixels)).toEqual(reference.map((value) => Math.min(2047, Math.max(-2048, value))));
  });

  it('ct16-jpegls-near.dcm: signed 12-bit CT, JPEG-LS near-lossless (gdcm, NEAR 2), exactly what dcmdjpls decodes and within 2 of the seed', async () => {
    const { frame, transferSyntaxUid } = await decode('ct16-jpegls-near.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.81');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    const reference = Array.from(await nativeContainers('ct16-jpegls-near-dcmdjpls.dcm'), (value) => (value & 0x800 ? (value & 0xfff) - 0x1000 : value & 0xfff));
    expect(Array.from(frame.pixels)).toEqual(reference);
    const seed = seedCt16();
    expect(Math.max(...Array.from(frame.pixels, (value, i) => Math.abs(value - seed[i]!)))).toBeLessThanOrEqual(2);
  });

  for (const [name, uid, tolerance] of [
    ['mono8-jpeg-baseline.dcm', '1.2.840.10008.1.2.4.50', 3],
    ['mono8-jpeg-extended.dcm', '1.2.840.10008.1.2.4.51', 3],
    ['mono8-jpegls-near.dcm', '1.2.840.10008.1.2.4.81', 2],
    ['mono8-j2k-lossy.dcm', '1.2.840.10008.1.2.4.91', 12],
  ] as const) {
    it(`${name}: 8-bit grey, lossy, within ${tolerance} of the seed on average`, async () => {
      const { frame, transferSyntaxUid } = await decode(name);
      expect(transferSyntaxUid).toBe(uid);
      expect(frame.kind).toBe('gray');
      if (frame.kind !== 'gray') return;
      const error = meanAbsoluteError(frame.pixels, seedMono8());
      expect(error).toBeLessThan(tolerance);
      // Not a blank or constant image: the gradient is there.
      expect(frame.max - frame.min).toBeGreaterThan(200);
    });
  }

  it('mono12-jpeg-extended.dcm: 12-bit grey, JPEG Extended process 4, exactly the pixels dcmdjpeg decodes and near the seed', async () => {
    const { frame, transferSyntaxUid } = await decode('mono12-jpeg-extended.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    // dcmdjpeg (IJG libjpeg 6b 12-bit, integer IDCT) decoded the same file when the fixture was made.
    const reference = await parseInstance(new Uint8Array(readFileSync(path.join(FIXTURES, 'mono12-jpeg-extended-dcmdjpeg.dcm'))));
    const raw = nativeFrameBytes(reference.dataSet, reference.image!, 0).slice();
    expect(Array.from(frame.pixels)).toEqual(Array.from(new Uint16Array(raw.buffer, 0, raw.length >> 1)));
    // Lossy, yet the 12 bits are there: a 0..4032 gradient, within a few values of the seed.
    expect(meanAbsoluteError(frame.pixels, seedMono12())).toBeLessThan(8);
    expect(frame.max).toBeGreaterThan(3900);
  });

  it('rgb12-jpeg-extended.dcm: 12-bit colour (YBR_FULL_422), JPEG Extended process 4, exactly the samples dcmdjpeg decodes, drawn as their top 8 bits', async () => {
    const parsed = await parseInstance(new Uint8Array(readFileSync(path.join(FIXTURES, 'rgb12-jpeg-extended.dcm'))));
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(parsed.image!.pixel).toMatchObject({ samplesPerPixel: 3, bitsAllocated: 16, bitsStored: 12, photometric: 'YBR_FULL_422' });
    // dcmdjpeg (IJG libjpeg 6b 12-bit, converting YCbCr to RGB) decoded the same file when the fixture was made.
    const reference = await nativeContainers('rgb12-jpeg-extended-dcmdjpeg.dcm');
    const output = await codecs.jpegBaseline(encapsulatedFrameBytes(parsed.dataSet, parsed.image!, 0));
    expect(output).toMatchObject({ width: 32, height: 32, components: 3, bitsPerSample: 12, convertedToRgb: true });
    expect(Array.from(output.samples)).toEqual(Array.from(reference));
    // Lossy, yet near the seed in 12 bits: the colour conversion and the 4:2:2 chroma are right.
    expect(meanAbsoluteError(reference, seedRgb12())).toBeLessThan(32);
    const frame = await decodeFrame(parsed.dataSet, parsed.image!, 0, codecs);
    expect(frame.kind).toBe('rgb');
    if (frame.kind !== 'rgb') return;
    expect(Array.from(frame.pixels)).toEqual(Array.from(reference, (value) => value >> 4));
  });

  it('ct16-jpeg-extended.dcm: signed 12-bit CT (Pixel Representation 1), JPEG Extended process 4, exactly dcmdjpeg\'s samples read as two\'s complement, near the seed', async () => {
    const { frame, transferSyntaxUid } = await decode('ct16-jpeg-extended.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    // dcmdjpeg writes the decoded 12-bit patterns with the bits above High Bit zero; bit 11 is the sign.
    const reference = Array.from(await nativeContainers('ct16-jpeg-extended-dcmdjpeg.dcm'), (value) => (value & 0x800 ? (value & 0xfff) - 0x1000 : value & 0xfff));
    expect(frame.pixels).toBeInstanceOf(Int16Array);
    expect(Array.from(frame.pixels)).toEqual(reference);
    // The air outside the body (-2000) stays negative: read unsigned it would be 2096.
    expect(meanAbsoluteError(frame.pixels, seedCt16())).toBeLessThan(4);
    expect(frame.min).toBeLessThan(-1990);
  });

  it('a broken 12-bit JPEG frame does not stop the next one from decoding', async () => {
    const broken = Uint8Array.from([0xff, 0xd8, 0xff, 0xc1, 0x00, 0x0b, 12, 0, 1, 0, 1, 1, 1, 0x11, 0, 0xff, 0xd9]);
    for (let i = 0; i < 50; i++) await expect(codecs.jpegBaseline(broken)).rejects.toThrow(/missing SOS marker/);
    const { frame } = await decode('mono12-jpeg-extended.dcm');
    expect(frame.kind === 'gray' && meanAbsoluteError(frame.pixels, seedMono12())).toBeLessThan(8);
  });

  for (const [name, uid] of [
    ['mono12-htj2k.dcm', '1.2.840.10008.1.2.4.201'],
    ['mono12-htj2k-rpcl.dcm', '1.2.840.10008.1.2.4.202'],
  ] as const) {
    it(`${name}: 12-bit grey, HTJ2K lossless (OpenJPH's encoder), exactly the seed`, async () => {
      const { frame, transferSyntaxUid } = await decode(name);
      expect(transferSyntaxUid).toBe(uid);
      expect(frame.kind).toBe('gray');
      if (frame.kind !== 'gray') return;
      expect(Array.from(frame.pixels)).toEqual(Array.from(seedMono12()));
    });
  }

  it('ct16-htj2k.dcm: signed 12-bit CT with negative values, HTJ2K lossless, exactly the seed and what OpenJPEG decodes', async () => {
    const { frame, transferSyntaxUid } = await decode('ct16-htj2k.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.201');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    const ct = Array.from(seedCt16());
    // opj_decompress (OpenJPEG, not OpenJPH) decoded the same codestream to a signed PGX: big-endian 16-bit samples.
    const pgx = readFileSync(path.join(FIXTURES, 'ct16-htj2k-opj.pgx'));
    const header = pgx.subarray(0, pgx.length - ct.length * 2);
    expect(header.toString('latin1')).toBe('PG ML - 12 64 64\n');
    expect(Array.from({ length: ct.length }, (_, i) => pgx.readInt16BE(header.length + i * 2))).toEqual(ct);
    expect(frame.pixels).toBeInstanceOf(Int16Array);
    expect(Array.from(frame.pixels)).toEqual(ct);
    expect(frame.min).toBe(-2000);
  });

  it('mono8-htj2k-lossy.dcm: 8-bit grey, HTJ2K lossy (9/7), within 1 of what ojph_expand decodes and near the seed', async () => {
    const { frame, transferSyntaxUid } = await decode('mono8-htj2k-lossy.dcm');
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.203');
    expect(frame.kind).toBe('gray');
    if (frame.kind !== 'gray') return;
    // A binary PGM of 64×64 8-bit samples: the header is the three lines before them.
    const pgm = readFileSync(path.join(FIXTURES, 'mono8-htj2k-lossy-ojph.pgm'));
    const expected = pgm.subarray(pgm.length - 64 * 64);
    expect(pgm.subarray(0, pgm.length - 64 * 64).toString('latin1')).toBe('P5\n64 64\n255\n');
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(frame.pixels[i]! - expected[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    expect(meanAbsoluteError(frame.pixels, seedMono8())).toBeLessThan(3);
    expect(frame.max - frame.min).toBeGreaterThan(200);
  });

  for (const [name, uid, photometric, tolerance] of [
    ['rgb8-rle.dcm', '1.2.840.10008.1.2.5', 'RGB', 0],
    ['rgb8-jpegls.dcm', '1.2.840.10008.1.2.4.80', 'RGB', 0],
    ['rgb8-j2k.dcm', '1.2.840.10008.1.2.4.90', 'RGB', 0],
    ['rgb8-htj2k.dcm', '1.2.840.10008.1.2.4.201', 'YBR_RCT', 0],
    ['rgb8-jpeg-baseline.dcm', '1.2.840.10008.1.2.4.50', 'YBR_FULL_422', 6],
  ] as const) {
    it(`${name}: ${photometric} colour to interleaved RGB${tolerance === 0 ? ', exactly' : `, within ${tolerance}`}`, async () => {
      const decoded = await decode(name);
      expect(decoded.transferSyntaxUid).toBe(uid);
      expect(decoded.photometric).toBe(photometric);
      expect(decoded.frame.kind).toBe('rgb');
      if (decoded.frame.kind !== 'rgb') return;
      if (tolerance === 0) expect(Array.from(decoded.frame.pixels)).toEqual(Array.from(seedRgb8()));
      else expect(meanAbsoluteError(decoded.frame.pixels, seedRgb8())).toBeLessThan(tolerance);
    });
  }

  it('every transfer syntax the viewer lists has a fixture here or is written by project code (transfer-syntaxes.test.ts)', async () => {
    const covered = new Set<string>(Object.values(TS));
    for (const name of readdirSync(FIXTURES).filter((file) => file.endsWith('.dcm'))) covered.add((await parseInstance(new Uint8Array(readFileSync(path.join(FIXTURES, name))))).transferSyntaxUid);
    expect(Object.keys(TRANSFER_SYNTAXES).filter((uid) => !covered.has(uid))).toEqual([]);
  });
});
