import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpener, createSealer, envelopeRangeReader } from '../../../../../../shared/crypto/envelope';
import { encapsulatedFrameBytes, parseInstance } from '../../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { openRangedInstance, type PlaintextRanges } from '../../../../../../renderer/features/imaging/viewer/decode/ranged-instance';
import { encodeRleFrame } from '../../../../../../renderer/features/imaging/viewer/decode/rle';
import { REPO_ROOT } from '../../../../../support/repo-paths';
import { nodeCodecs } from '../node-codecs';
import { CT_EXTRA, ctPhantomHu, encapsulate, imageElements, part10, storedOfHu, TS } from '../viewer-fixtures';

/**
 * Instances too large to hold whole are read in ranges (ranged-instance.ts). Every frame read
 * that way must equal the frame the whole-instance path decodes, for native and encapsulated pixel
 * data with and without offset tables, and only the bytes of the frame asked for may be read.
 */
const SIZE = 32;
const FRAMES = 7;

function le16(values: Int16Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function ctFrames(): Int16Array[] {
  return Array.from({ length: FRAMES }, (_, i) => storedOfHu(ctPhantomHu(SIZE, i * 3)));
}

function multiFrame(pixelData: Buffer, transferSyntax: string, extra: ReturnType<typeof imageElements> = []): Uint8Array {
  const elements = imageElements({
    sopInstanceUid: '2.25.424242',
    rows: SIZE,
    columns: SIZE,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 1,
    frames: FRAMES,
    pixelData,
    pixelVr: transferSyntax === TS.rle || transferSyntax.startsWith('1.2.840.10008.1.2.4') ? 'OB' : 'OW',
    extra: [...CT_EXTRA, ...extra],
  });
  // Pixel Data last, as Part 10 orders elements (part10 writes them in the order given).
  const pixels = elements.filter((element) => element[0] === 0x7fe00010);
  return new Uint8Array(part10([...elements.filter((element) => element[0] !== 0x7fe00010).sort((a, b) => a[0] - b[0]), ...pixels], transferSyntax));
}

/** Items with a Basic Offset Table; each frame may be cut into several fragments. */
function encapsulateWithTable(frames: readonly Uint8Array[], fragmentsPerFrame: number, table: boolean): Buffer {
  const item = (bytes: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(bytes.length, 4);
    return Buffer.concat([head, Buffer.from(bytes)]);
  };
  const offsets: number[] = [];
  const items: Buffer[] = [];
  let at = 0;
  for (const frame of frames) {
    offsets.push(at);
    const step = Math.ceil(frame.length / fragmentsPerFrame / 2) * 2;
    for (let start = 0; start < frame.length; start += step) {
      const piece = item(frame.subarray(start, Math.min(frame.length, start + step)));
      items.push(piece);
      at += piece.length;
    }
  }
  const bot = Buffer.alloc(table ? offsets.length * 4 : 0);
  if (table) offsets.forEach((offset, i) => bot.writeUInt32LE(offset, i * 4));
  return Buffer.concat([item(bot), ...items, Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0])]);
}

function rangesOver(bytes: Uint8Array): PlaintextRanges & { read: PlaintextRanges['read']; readBytes: number } {
  const ranges = {
    size: bytes.length,
    readBytes: 0,
    read(offset: number, length: number) {
      const piece = bytes.slice(offset, Math.min(bytes.length, offset + length));
      ranges.readBytes += piece.length;
      return Promise.resolve(piece);
    },
  };
  return ranges;
}

async function expectSameFrames(bytes: Uint8Array, ranges: PlaintextRanges = rangesOver(bytes), frames = FRAMES): Promise<void> {
  const codecs = nodeCodecs();
  const whole = new InstanceDecoder(codecs);
  const ranged = new InstanceDecoder(codecs);
  const a = await whole.open('whole', bytes, true);
  const b = await ranged.openRanged('ranged', ranges, true);
  expect(b.kind).toBe('image');
  expect(b.firstError).toBeNull();
  expect(b.image).toEqual(a.image);
  expect(b.first).toEqual(a.first);
  for (let frame = frames - 1; frame >= 0; frame--) expect(await ranged.frame('ranged', frame)).toEqual(await whole.frame('whole', frame));
  await expect(ranged.frame('ranged', frames)).rejects.toThrow(/No frame/);
}

describe('instances read in ranges', () => {
  it('native little and big endian, explicit and implicit: every frame as the whole-instance path decodes it', async () => {
    const frames = ctFrames();
    await expectSameFrames(multiFrame(Buffer.concat(frames.map(le16)), TS.explicitLittle));
    await expectSameFrames(multiFrame(Buffer.concat(frames.map(le16)), TS.implicitLittle));
    const big = Buffer.concat(frames.map(le16));
    big.swap16();
    await expectSameFrames(multiFrame(big, TS.explicitBig));
  });

  it('reads the data set before the pixel data and the frame asked for, not the rest', async () => {
    const bytes = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.explicitLittle);
    const ranges = rangesOver(bytes);
    const decoder = new InstanceDecoder(nodeCodecs());
    // A first read of 256 bytes: the head is read again, doubling, until Pixel Data is reached.
    const ranged = await openRangedInstance(ranges, 256);
    const head = ranges.readBytes;
    expect(head).toBeLessThan(4 * 1024);
    expect(ranged.parsed.image?.frames).toBe(FRAMES);
    await ranged.frameBytes(5);
    expect(ranges.readBytes - head).toBe(SIZE * SIZE * 2);
    await expect(decoder.openRanged('x', rangesOver(bytes.subarray(0, bytes.length - 100)), false)).resolves.toMatchObject({ kind: 'image' });
    await expect(openRangedInstance(rangesOver(bytes.subarray(0, bytes.length - 100))).then((instance) => instance.frameBytes(FRAMES - 1))).rejects.toThrow(/beyond the end/);
  });

  it('RLE with one fragment per frame and no offset table', async () => {
    const pixelData = encapsulate(ctFrames().map((frame) => encodeRleFrame(new Uint8Array(le16(frame)), 1, 16)));
    await expectSameFrames(multiFrame(pixelData, TS.rle));
  });

  it('RLE with a Basic Offset Table and three fragments per frame', async () => {
    const frames = ctFrames().map((frame) => encodeRleFrame(new Uint8Array(le16(frame)), 1, 16));
    const bytes = multiFrame(encapsulateWithTable(frames, 3, true), TS.rle);
    await expectSameFrames(bytes);
    // The table gives the frame's place: reading frame 2 reads its items, not every fragment before it.
    const ranges = rangesOver(bytes);
    const ranged = await openRangedInstance(ranges, 4096);
    const before = ranges.readBytes;
    expect(await ranged.frameBytes(2)).toEqual(frames[2]);
    expect(ranges.readBytes - before).toBeLessThan(frames[2]!.length + 64);
  });

  it('the Extended Offset Table when present', async () => {
    const frames = ctFrames().map((frame) => encodeRleFrame(new Uint8Array(le16(frame)), 1, 16));
    const offsets = Buffer.alloc(FRAMES * 8);
    const lengths = Buffer.alloc(FRAMES * 8);
    let at = 0;
    frames.forEach((frame, i) => {
      offsets.writeBigUInt64LE(BigInt(at), i * 8);
      lengths.writeBigUInt64LE(BigInt(frame.length), i * 8);
      at += 8 + frame.length;
    });
    const bytes = multiFrame(encapsulate(frames), TS.rle, [
      [0x7fe00001, 'OV', offsets],
      [0x7fe00002, 'OV', lengths],
    ]);
    const ranged = await openRangedInstance(rangesOver(bytes));
    for (let i = 0; i < FRAMES; i++) expect(await ranged.frameBytes(i)).toEqual(frames[i]);
    // dicom-parser reads OV as OB (shared/dicom/long-vrs.ts); the tag browser shows the real VR.
    const decoder = new InstanceDecoder(nodeCodecs());
    await decoder.openRanged('eot', rangesOver(bytes), false);
    expect(decoder.tags('eot').filter((row) => row.tag.toUpperCase().startsWith('(7FE0')).map((row) => [row.tag.toUpperCase(), row.vr, row.value])).toEqual([
      ['(7FE0,0001)', 'OV', expect.any(String)],
      ['(7FE0,0002)', 'OV', expect.any(String)],
      ['(7FE0,0010)', 'OB', 'compressed fragments (read frame by frame)'],
    ]);
  });

  it('JPEG frames in two fragments each, no offset table: told apart by their End Of Image marker', async () => {
    const fixture = await parseInstance(new Uint8Array(readFileSync(path.join(REPO_ROOT, 'test/fixtures/dicom-viewer/mono8-jpeg-baseline.dcm'))));
    const jpeg = encapsulatedFrameBytes(fixture.dataSet, fixture.image!, 0);
    const info = fixture.image!.pixel;
    const elements = imageElements({ sopInstanceUid: '2.25.4243', rows: info.rows, columns: info.columns, bitsAllocated: 8, frames: 3, pixelData: encapsulateWithTable([jpeg, jpeg, jpeg], 2, false), pixelVr: 'OB' });
    const pixels = elements.filter((element) => element[0] === 0x7fe00010);
    const bytes = new Uint8Array(part10([...elements.filter((element) => element[0] !== 0x7fe00010).sort((a, b) => a[0] - b[0]), ...pixels], '1.2.840.10008.1.2.4.50'));
    await expectSameFrames(bytes, rangesOver(bytes), 3);
  });

  it('an envelope read chunk by chunk opens as the plain bytes do', async () => {
    const bytes = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.explicitLittle);
    const intake = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const envelope = await (await createSealer(intake.publicKey, { chunkSize: 1024 })).seal('object', bytes);
    const dataKey = await createOpener(intake.privateKey).unwrapDataKey(envelope);
    const reader = envelopeRangeReader(envelope, envelope.length, dataKey, (offset, length) => Promise.resolve(envelope.slice(offset, offset + length)));
    await expectSameFrames(bytes, { size: reader.plaintextLength, read: (offset, length) => reader.read(offset, length) });
  });

  it('opens a deflated data set whole when its source allows a whole read (under 64 MiB), and refuses it in parts otherwise', async () => {
    const deflated = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.deflated);
    const codecs = nodeCodecs();
    const reference = new InstanceDecoder(codecs);
    const whole = await reference.open('whole', deflated, true);
    // T1 F1: an instance of a few MiB is handed out in ranges; a deflated one must still show.
    const decoder = new InstanceDecoder(codecs);
    const ranges = rangesOver(deflated);
    const opened = await decoder.openRanged('deflated', ranges, true, { readWholeUpTo: 64 * 1024 * 1024 });
    expect(opened.kind).toBe('image');
    expect(opened.firstError).toBeNull();
    expect(opened.first).toEqual(whole.first);
    // The head tried in parts, then the whole instance once.
    expect(ranges.readBytes).toBeLessThanOrEqual(2 * deflated.length);
    expect(await decoder.frame('deflated', FRAMES - 1)).toEqual(await reference.frame('whole', FRAMES - 1));
    // Over the allowance (an instance over 64 MiB): the refusal stands, with its reason.
    await expect(new InstanceDecoder(codecs).openRanged('big', rangesOver(deflated), true, { readWholeUpTo: deflated.length - 1 })).rejects.toThrow(/deflated/);
    await expect(new InstanceDecoder(codecs).openRanged('none', rangesOver(deflated), true)).rejects.toThrow(/deflated/);
  });

  it('a 10 MiB multi-frame: its first frame after reading the data set and that frame only', async () => {
    // 20 frames of 512×512, 16-bit (512 KiB each): 10 MiB.
    const size = 512;
    const frames = 20;
    const pixels = Buffer.alloc(frames * size * size * 2);
    for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE(((i >>> 1) + (i >>> 19)) % 4096, i);
    const bytes = new Uint8Array(part10(imageElements({ sopInstanceUid: '2.25.424243', rows: size, columns: size, bitsAllocated: 16, bitsStored: 12, frames, pixelData: pixels }), TS.explicitLittle));
    expect(bytes.length).toBeGreaterThan(10 * 1024 * 1024);
    const intake = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const envelope = await (await createSealer(intake.publicKey)).seal('object', bytes);
    const dataKey = await createOpener(intake.privateKey).unwrapDataKey(envelope);
    let sealedRead = 0;
    const reader = envelopeRangeReader(envelope.subarray(0, 4096), envelope.length, dataKey, (offset, length) => {
      sealedRead += Math.min(length, envelope.length - offset);
      return Promise.resolve(envelope.slice(offset, offset + length));
    });
    const opened = await new InstanceDecoder(nodeCodecs()).openRanged('ten', { size: reader.plaintextLength, read: (offset, length) => reader.read(offset, length) }, true, { readWholeUpTo: 64 * 1024 * 1024 });
    expect(opened.firstError).toBeNull();
    expect(opened.first?.pixels.length).toBe(size * size);
    // The first MiB (the data set) and the first frame (512 KiB), in whole chunks: not the 10 MiB.
    expect(sealedRead).toBeLessThan(2 * 1024 * 1024);
  });

  it('refuses a deflated data set, and reports pixel data that is not what its transfer syntax says', async () => {
    const deflated = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.deflated);
    await expect(openRangedInstance(rangesOver(deflated))).rejects.toThrow(/deflated/);
    const notEncapsulated = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.explicitLittle);
    // The same bytes claimed as RLE: its pixel data has a defined length, so it is not encapsulated.
    const text = Buffer.from(notEncapsulated);
    const at = text.indexOf(TS.explicitLittle, 132);
    expect(at).toBeGreaterThan(0);
    const relabelled = multiFrame(Buffer.concat(ctFrames().map(le16)), TS.explicitLittle);
    relabelled.set(Buffer.from(`${TS.rle}\0`.padEnd(TS.explicitLittle.length + 1, '\0')).subarray(0, TS.explicitLittle.length + 1), at);
    await expect(openRangedInstance(rangesOver(relabelled))).rejects.toThrow();
  });

  it('an instance without pixel data is read whole (it is all data set) and has no frames', async () => {
    const elements = imageElements({ sopInstanceUid: '2.25.4244', rows: 2, columns: 2, pixelData: Buffer.alloc(8) }).filter((element) => element[0] !== 0x7fe00010);
    const bytes = new Uint8Array(part10(elements, TS.explicitLittle));
    const ranged = await openRangedInstance(rangesOver(bytes), 64);
    expect(ranged.parsed.image).toBeNull();
    await expect(ranged.frameBytes(0)).rejects.toThrow(/no image/);
  });

  it('garbage and cuts are refused with an error, never a hang, and reads stay within the instance', async () => {
    const rle = ctFrames().map((frame) => encodeRleFrame(new Uint8Array(le16(frame)), 1, 16));
    const seeds = [multiFrame(Buffer.concat(ctFrames().map(le16)), TS.explicitLittle), multiFrame(encapsulateWithTable(rle, 2, true), TS.rle), multiFrame(encapsulate(rle), TS.rle)];
    let state = 99;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (const seed of seeds) {
      for (let round = 0; round < 60; round++) {
        const bytes = seed.slice(0, round % 5 === 0 ? next() % seed.length : seed.length);
        for (let i = 0; i < 12; i++) bytes[next() % bytes.length] = next() >>> 24;
        const ranges = rangesOver(bytes);
        try {
          const ranged = await openRangedInstance(ranges, 512);
          for (let frame = 0; frame < FRAMES; frame++) await ranged.frameBytes(frame).catch((error: unknown) => expect(error).toBeInstanceOf(Error));
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
        // Re-reading the head while it doubles, and item windows, but nothing unbounded.
        expect(ranges.readBytes).toBeLessThan(8 * seed.length + 4 * 1024 * 1024);
      }
    }
  });

  it('an offset table pointing frames far apart is refused before anything that large is read', async () => {
    const frames = ctFrames().map((frame) => encodeRleFrame(new Uint8Array(le16(frame)), 1, 16));
    const bytes = multiFrame(encapsulateWithTable(frames, 1, true), TS.rle);
    const table = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The Basic Offset Table's second entry (frame 2's offset) made huge.
    const at = table.indexOf(Buffer.from([0xfe, 0xff, 0x00, 0xe0, FRAMES * 4, 0, 0, 0]));
    expect(at).toBeGreaterThan(0);
    table.writeUInt32LE(0x7fff0000, at + 8 + 4);
    const ranges = rangesOver(new Uint8Array(table));
    const ranged = await openRangedInstance(ranges);
    const before = ranges.readBytes;
    await expect(ranged.frameBytes(0)).rejects.toThrow(/larger than its image can be/);
    expect(ranges.readBytes - before).toBeLessThan(1024 * 1024);
  });
});
