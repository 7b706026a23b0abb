import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../../renderer/features/imaging/viewer/decode/dicom-image';
import { decodeFrame } from '../../../renderer/features/imaging/viewer/decode/frame-decoder';
import { InstanceDecoder } from '../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { DecodedFrame } from '../../../renderer/features/imaging/viewer/pixels/pixel-module';
import { DatasetThumbnails, dicomFileSeries, dicomThumbnail, encodePng, reducedFrame, thumbnailPixels, type ThumbnailDecoder } from '../../../renderer/research/dataset-thumbnails';
import { nodeCodecs } from '../features/imaging/viewer/node-codecs';
import { ctSlice, imageElements, part10, TS } from '../features/imaging/viewer/viewer-fixtures';

/**
 * The dataset page's DICOM thumbnails: made by the viewer's own decoder (InstanceDecoder, the
 * decode worker's state, with the same codec builds under Node) and presentation (frameToRgba),
 * reduced to at most 128 px and written as PNG; which files of a streaming package get one.
 */

const codecs = nodeCodecs();

/** A PNG's pixels back (8-bit grayscale or RGB, filter 0 on every line, as encodePng writes them). */
function readPng(bytes: Uint8Array): { width: number; height: number; channels: number; pixels: Uint8Array } {
  const buffer = Buffer.from(bytes);
  expect([...buffer.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const data: Buffer[] = [];
  while (at < buffer.length) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('latin1', at + 4, at + 8);
    const body = buffer.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8);
      colourType = body[9]!;
    }
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const channels = colourType === 0 ? 1 : 3;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * channels + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (width * channels + 1) + 1, (y + 1) * (width * channels + 1)), y * width * channels);
  }
  return { width, height, channels, pixels };
}

const pngOf = (src: string) => readPng(new Uint8Array(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64')));

describe('a DICOM file’s thumbnail, through the viewer’s pipeline', () => {
  it('a 256×256 CT slice becomes a 128×128 grayscale PNG in the image’s own window (the padding black, soft tissue mid-gray)', async () => {
    const bytes = new Uint8Array(ctSlice({ size: 256, transferSyntax: TS.explicitLittle, sopInstanceUid: '2.25.1' }));
    const thumbnail = await dicomThumbnail(new InstanceDecoder(codecs), 'k', bytes.slice());
    expect(thumbnail).toMatchObject({ width: 128, height: 128 });
    expect(thumbnail!.src).toMatch(/^data:image\/png;base64,/);
    const png = pngOf(thumbnail!.src);
    expect(png).toMatchObject({ width: 128, height: 128, channels: 1 });
    // Exactly what the viewer's presentation gives for the reduced frame.
    const parsed = await parseInstance(bytes);
    const frame = await decodeFrame(parsed.dataSet, parsed.image!, 0, codecs);
    const expected = thumbnailPixels(parsed.image!, frame, 128);
    expect([...png.pixels]).toEqual([...expected.rgba].filter((_, i) => i % 4 === 0));
    // Window 40/400: the corner (−3024 HU) is black; the body (40 HU ± 5) is about mid-gray.
    expect(png.pixels[0]).toBe(0);
    const centre = png.pixels[64 * 128 + 64]!;
    expect(centre).toBeGreaterThan(110);
    expect(centre).toBeLessThan(145);
  });

  it('decodes the transfer syntaxes the viewer does (RLE, big endian) to the same thumbnail', async () => {
    const of = async (transferSyntax: string) => (await dicomThumbnail(new InstanceDecoder(codecs), 'k', new Uint8Array(ctSlice({ size: 64, transferSyntax, sopInstanceUid: '2.25.2' }))))!.src;
    const native = await of(TS.explicitLittle);
    expect(await of(TS.rle)).toBe(native);
    expect(await of(TS.explicitBig)).toBe(native);
    expect(pngOf(native)).toMatchObject({ width: 64, height: 64 });
  });

  it('keeps colour (an RGB PNG), never enlarges a small image, and keeps a non-square one’s shape', async () => {
    const elements = imageElements({ sopInstanceUid: '2.25.3', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', modality: 'OT', rows: 1, columns: 2, samplesPerPixel: 3, photometric: 'RGB', bitsAllocated: 8, pixelData: Buffer.from([255, 0, 0, 0, 0, 255]) });
    const thumbnail = await dicomThumbnail(new InstanceDecoder(codecs), 'k', new Uint8Array(part10(elements, TS.explicitLittle)));
    const png = pngOf(thumbnail!.src);
    expect(png).toMatchObject({ width: 2, height: 1, channels: 3 });
    expect([...png.pixels]).toEqual([255, 0, 0, 0, 0, 255]);
    const wide = reducedFrame({ kind: 'gray', rows: 100, columns: 400, pixels: new Uint16Array(40_000), min: 0, max: 0 }, 128);
    expect([wide.columns, wide.rows]).toEqual([128, 32]);
  });

  it('presents an enhanced image’s frame with its own rescale and window (Per-frame Functional Groups, QA s32 D2)', async () => {
    const elements = imageElements({ sopInstanceUid: '2.25.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1', rows: 2, columns: 2, pixelData: Buffer.alloc(8) });
    const { image } = await parseInstance(new Uint8Array(part10(elements, TS.explicitLittle)));
    // Stored HU + 1024; the mean of the four is 1069, 45 HU: in W 80 / L 40 (LINEAR) that is 145.
    const values = { modality: { slope: 1, intercept: -1024, lut: null }, voi: { windows: [{ center: 40, width: 80, label: 'BRAIN' }], func: 'LINEAR' as const, luts: [] } };
    const frame: DecodedFrame = { kind: 'gray', rows: 2, columns: 2, pixels: Uint16Array.from([24, 2024, 1064, 1164]), min: 24, max: 2024, values };
    expect(thumbnailPixels(image!, frame, 1).rgba[0]).toBe(145);
  });

  it('reduces by the mean of the pixels each covers, keeping the frame’s range (so the presentation is the full frame’s)', () => {
    const frame: DecodedFrame = { kind: 'gray', rows: 2, columns: 4, pixels: Int16Array.from([0, 2, 10, 10, 4, 6, 20, 0]), min: -5, max: 30 };
    expect(reducedFrame(frame, 2)).toEqual({ kind: 'gray', rows: 1, columns: 2, pixels: Int16Array.from([3, 10]), min: -5, max: 30 });
    const rgb: DecodedFrame = { kind: 'rgb', rows: 1, columns: 2, pixels: Uint8Array.from([0, 100, 200, 10, 110, 210]) };
    expect(reducedFrame(rgb, 1)).toEqual({ kind: 'rgb', rows: 1, columns: 1, pixels: Uint8Array.from([5, 105, 205]) });
  });

  it('writes a PNG that reads back (gray when every pixel is)', async () => {
    const gray = Uint8ClampedArray.from([0, 0, 0, 255, 200, 200, 200, 255]);
    expect(readPng(await encodePng(2, 1, gray))).toMatchObject({ width: 2, height: 1, channels: 1, pixels: Uint8Array.from([0, 200]) });
  });

  it('gives none for an instance without pixel data, and refuses bytes that are not DICOM', async () => {
    const noImage = part10(
      imageElements({ sopInstanceUid: '2.25.4', rows: 1, columns: 1, pixelData: Buffer.alloc(2) }).filter((element) => element[0] !== 0x7fe00010),
      TS.explicitLittle,
    );
    expect(await dicomThumbnail(new InstanceDecoder(codecs), 'k', new Uint8Array(noImage))).toBeNull();
    await expect(dicomThumbnail(new InstanceDecoder(codecs), 'k', new TextEncoder().encode('not dicom'))).rejects.toThrow();
  });
});

/** A decoder that records what it was given and decodes with the viewer's InstanceDecoder. */
function recordingDecoder(failOn: string[] = []) {
  const inner = new InstanceDecoder(codecs);
  const opened: number[] = [];
  let closed = 0;
  let running = 0;
  let mostAtOnce = 0;
  const decoder: ThumbnailDecoder = {
    async open(key, bytes, decodeFirst) {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      try {
        opened.push(bytes.length);
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (failOn.includes(new TextDecoder().decode(bytes.subarray(0, 4)))) throw new Error('cannot decode');
        return await inner.open(key, bytes, decodeFirst);
      } finally {
        running--;
      }
    },
    close: () => closed++,
  };
  return { decoder, opened, closed: () => closed, mostAtOnce: () => mostAtOnce };
}

/** A file's bytes as the package hands them: in pieces, and whether they were read to the end. */
function streamed(bytes: Uint8Array, piece = 1000) {
  const state = { ended: false };
  const data: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (let at = 0; at < bytes.length; at += piece) yield bytes.slice(at, at + piece);
      state.ended = true;
    },
  };
  return { data, state };
}

describe('which files of a streaming package get a thumbnail', () => {
  const slice = (n: number) => new Uint8Array(ctSlice({ size: 16, slice: n, transferSyntax: TS.explicitLittle, sopInstanceUid: `2.25.${n}` }));

  it('a series’ first instance first: further instances fill the room, then give it to new series', async () => {
    const { decoder, opened, closed, mostAtOnce } = recordingDecoder();
    const thumbnails = new DatasetThumbnails(decoder, 4);
    const files = ['dicom/1/10/a.dcm', 'dicom/1/10/b.dcm', 'dicom/1/10/c.dcm', 'dicom/1/20/a.dcm', 'dicom/2/30/a.dcm', 'dicom/2/30/b.dcm', 'dicom/2/40/a.dcm'];
    const read: boolean[] = [];
    for (const [i, path] of files.entries()) {
      const { data, state } = streamed(slice(i));
      const consumed = await thumbnails.file(path, data);
      read.push(consumed);
      // Whatever it takes, it reads to the end (the package authenticates as it streams).
      expect(state.ended).toBe(consumed);
    }
    expect(read).toEqual([true, true, true, true, true, false, true]);
    const made = await thumbnails.finish();
    // 1/10/c then 1/10/b gave their places to series 30 and 40.
    expect([...made.keys()]).toEqual(['dicom/1/10/a.dcm', 'dicom/1/20/a.dcm', 'dicom/2/30/a.dcm', 'dicom/2/40/a.dcm']);
    for (const thumbnail of made.values()) expect(thumbnail).toMatchObject({ width: 16, height: 16 });
    expect(opened.length).toBeLessThanOrEqual(2 * 4);
    expect(mostAtOnce()).toBe(1);
    thumbnails.close();
    expect(closed()).toBe(1);
  });

  it('leaves other files to the caller, reads a file over the size limit to its end without keeping it, and skips one it cannot decode', async () => {
    const { decoder, opened } = recordingDecoder(['BAD!']);
    const thumbnails = new DatasetThumbnails(decoder, 24, 2000);
    const csv = streamed(new TextEncoder().encode('a,b\n'));
    expect(await thumbnails.file('csv/Patient.csv', csv.data)).toBe(false);
    expect(csv.state.ended).toBe(false);
    const big = streamed(new Uint8Array(5000));
    expect(await thumbnails.file('dicom/1/10/big.dcm', big.data)).toBe(true);
    expect(big.state.ended).toBe(true);
    const bad = new Uint8Array(200);
    bad.set(new TextEncoder().encode('BAD!'));
    expect(await thumbnails.file('dicom/1/20/bad.dcm', streamed(bad).data)).toBe(true);
    expect(await thumbnails.file('dicom/1/30/good.dcm', streamed(slice(1)).data)).toBe(true);
    expect([...(await thumbnails.finish()).keys()]).toEqual(['dicom/1/30/good.dcm']);
    expect(opened).toEqual([200, slice(1).length]);
  });

  it('a decoder that never answers (a worker that did not start) holds the page no longer than the timeout, and is asked no more', async () => {
    let asked = 0;
    const silent: ThumbnailDecoder = { open: () => (asked++, new Promise(() => undefined)), close: () => undefined };
    const thumbnails = new DatasetThumbnails(silent, 24, 1024 * 1024, 128, 20);
    for (const [i, path] of ['dicom/1/10/a.dcm', 'dicom/1/20/a.dcm', 'dicom/1/30/a.dcm'].entries()) expect(await thumbnails.file(path, streamed(slice(i)).data)).toBe(true);
    expect((await thumbnails.finish()).size).toBe(0);
    expect(asked).toBe(1);
  });

  it('without a decoder (no worker here), makes none and leaves every file to the caller', async () => {
    const thumbnails = new DatasetThumbnails(null);
    expect(await thumbnails.file('dicom/1/10/a.dcm', streamed(slice(1)).data)).toBe(false);
    expect((await thumbnails.finish()).size).toBe(0);
    thumbnails.close();
  });

  it('knows a DICOM file by its path', () => {
    expect(dicomFileSeries('dicom/2.25.1/2.25.2/2.25.3.dcm')).toEqual({ study: '2.25.1', series: '2.25.2' });
    expect(dicomFileSeries('dicom/2.25.1/2.25.3.dcm')).toBeNull();
    expect(dicomFileSeries('fhir/ImagingStudy.ndjson')).toBeNull();
  });
});
