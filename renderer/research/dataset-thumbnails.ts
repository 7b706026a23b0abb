import { concatBytes } from '../../shared/crypto/bytes';
import type { InstanceOverview } from '../features/imaging/viewer/decode/decode-protocol';
import type { ImageInfo } from '../features/imaging/viewer/decode/dicom-image';
import { DecodeClient } from '../features/imaging/viewer/decode-client';
import type { DecodedFrame, StoredPixels } from '../features/imaging/viewer/pixels/pixel-module';
import { frameImage, frameToRgba } from '../features/imaging/viewer/render-frame';
import { INITIAL_VIEW } from '../features/imaging/viewer/viewport-state';

/**
 * Thumbnails of a delivered dataset's DICOM files for the researcher's dataset page, made with the
 * viewer's own pipeline: the decode worker parses the instance and decodes its first frame (every
 * transfer syntax the viewer reads), `frameToRgba` presents it as the viewer opens it (the image's
 * own window or VOI LUT, else its range; Modality LUT, MONOCHROME1, colour), reduced here to at most
 * 128 px by averaging and kept as a small PNG data URL. Nothing else of the file is kept.
 */

/** At most this many thumbnails per dataset: the first instance of each series first. */
export const THUMBNAIL_LIMIT = 24;
/** The longer side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 128;
/** Files larger than this are not read whole for a thumbnail (the viewer's own limit for an instance). */
export const THUMBNAIL_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface DicomThumbnail {
  /** A PNG as a data URL (the document's CSP allows data: images). */
  readonly src: string;
  readonly width: number;
  readonly height: number;
}

/** What makes thumbnails: the decode worker's open (parse and decode frame 0), and its end. */
export interface ThumbnailDecoder {
  open(key: string, bytes: Uint8Array, decodeFirst: boolean): Promise<InstanceOverview>;
  close(): void;
}

/** A decode worker of its own for one dataset read (ended after it); null where there are no workers (Node). */
export function workerThumbnailDecoder(): ThumbnailDecoder | null {
  if (typeof Worker === 'undefined') return null;
  const client = new DecodeClient();
  return { open: (key, bytes, decodeFirst) => client.open(key, bytes, decodeFirst), close: () => client.terminate() };
}

/** The study and series of a package's DICOM file (`dicom/<study>/<series>/<instance>.dcm`), or null for other files. */
export function dicomFileSeries(path: string): { study: string; series: string } | null {
  const match = /^dicom\/([^/]+)\/([^/]+)\/[^/]+\.dcm$/.exec(path);
  return match === null ? null : { study: match[1]!, series: match[2]! };
}

/** A frame reduced so its longer side is at most `size` (each output pixel the mean of the ones it covers); min/max kept, so the presentation is the full frame's. */
export function reducedFrame(frame: DecodedFrame, size: number): DecodedFrame {
  const scale = Math.min(1, size / Math.max(frame.columns, frame.rows));
  const columns = Math.max(1, Math.round(frame.columns * scale));
  const rows = Math.max(1, Math.round(frame.rows * scale));
  if (columns === frame.columns && rows === frame.rows) return frame;
  const channels = frame.kind === 'rgb' ? 3 : 1;
  const source = frame.pixels;
  const out = new (source.constructor as new (length: number) => StoredPixels)(columns * rows * channels);
  const sums = new Float64Array(channels);
  for (let y = 0; y < rows; y++) {
    const y0 = Math.floor((y * frame.rows) / rows);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * frame.rows) / rows));
    for (let x = 0; x < columns; x++) {
      const x0 = Math.floor((x * frame.columns) / columns);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * frame.columns) / columns));
      sums.fill(0);
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const at = (sy * frame.columns + sx) * channels;
          for (let c = 0; c < channels; c++) sums[c]! += source[at + c]!;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < channels; c++) out[(y * columns + x) * channels + c] = Math.round(sums[c]! / count);
    }
  }
  return frame.kind === 'rgb' ? { kind: 'rgb', rows, columns, pixels: out as Uint8Array } : { kind: 'gray', rows, columns, pixels: out, min: frame.min, max: frame.max };
}

/** The thumbnail's RGBA pixels: the frame reduced, then presented as the viewer opens it. */
export function thumbnailPixels(image: ImageInfo, frame: DecodedFrame, size = THUMBNAIL_SIZE): { width: number; height: number; rgba: Uint8ClampedArray } {
  const small = reducedFrame(frame, size);
  const rgba = new Uint8ClampedArray(small.columns * small.rows * 4);
  // The reduced frame is a new object: present it as the full frame is (an enhanced image's frame has its own rescale and window).
  frameToRgba(frameImage(image, frame), small, INITIAL_VIEW, rgba);
  return { width: small.columns, height: small.rows, rgba };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlibDeflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** RGBA pixels as a PNG (8-bit grayscale when every pixel is gray, else RGB; opaque), without a canvas. */
export async function encodePng(width: number, height: number, rgba: Uint8ClampedArray): Promise<Uint8Array> {
  let gray = true;
  for (let i = 0; i < rgba.length && gray; i += 4) gray = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
  const channels = gray ? 1 : 3;
  const stride = width * channels + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 (none) on every line.
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 4;
      const to = y * stride + 1 + x * channels;
      for (let c = 0; c < channels; c++) raw[to + c] = rgba[from + c]!;
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = gray ? 0 : 2; // colour type: grayscale or truecolour
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', await zlibDeflate(raw)), chunk('IEND', new Uint8Array(0))];
  return concatBytes(...parts);
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A decoded frame as a thumbnail (the viewer's presentation, at most `size` px). */
export async function frameThumbnail(image: ImageInfo, frame: DecodedFrame, size = THUMBNAIL_SIZE): Promise<DicomThumbnail> {
  const { width, height, rgba } = thumbnailPixels(image, frame, size);
  return { src: `data:image/png;base64,${base64(await encodePng(width, height, rgba))}`, width, height };
}

/** An instance's thumbnail through the decoder (its first frame), or null when it has no image or its encoding cannot be decoded. */
export async function dicomThumbnail(decoder: Pick<ThumbnailDecoder, 'open'>, key: string, bytes: Uint8Array, size = THUMBNAIL_SIZE): Promise<DicomThumbnail | null> {
  const overview = await decoder.open(key, bytes, true);
  if (overview.image === null || overview.first === null) return null;
  return frameThumbnail(overview.image, overview.first, size);
}

interface Slot {
  readonly path: string;
  readonly series: string;
  readonly primary: boolean;
  result: Promise<DicomThumbnail | null> | null;
}

/**
 * The thumbnails of one read of a package, as its files stream (the manifest comes last, so which
 * files there are is learnt on the way): the first instance of each series is taken while fewer than
 * `limit` series were; further instances fill the rest, and give their place to a new series' first
 * instance (at most 2 × limit decodes). A chosen file is read whole (up to `maxBytes`; a larger one
 * is read and dropped), handed to the decoder, and its bytes forgotten: one decode runs at a time,
 * the next file's bytes are read meanwhile, and only the thumbnails are kept. A decode that does not
 * answer within `timeoutMs` gives none and ends the thumbnails of this read. What the thumbnails
 * are is PROVISIONAL like every file read: `finish` is called once the package checked.
 */
export class DatasetThumbnails {
  private readonly slots: Slot[] = [];
  private decoding: Promise<unknown> = Promise.resolve();
  private stalled = false;

  constructor(
    private readonly decoder: ThumbnailDecoder | null,
    private readonly limit = THUMBNAIL_LIMIT,
    private readonly maxBytes = THUMBNAIL_MAX_FILE_BYTES,
    private readonly size = THUMBNAIL_SIZE,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Sees one file as the package streams: true when it read `data` (a DICOM file it chose), false when the caller should. */
  async file(path: string, data: AsyncIterable<Uint8Array>): Promise<boolean> {
    const where = dicomFileSeries(path);
    if (where === null || this.decoder === null) return false;
    const slot = this.admit(path, where.series);
    if (slot === null) return false;
    const bytes = await whole(data, this.maxBytes);
    if (bytes === null || !this.slots.includes(slot)) {
      this.drop(slot);
      return true;
    }
    const decoder = this.decoder;
    const previous = this.decoding;
    await previous;
    if (!this.slots.includes(slot) || this.stalled) return true;
    // The worker keeps what it opened by key: one key keeps it to one instance at a time.
    slot.result = this.timed(dicomThumbnail(decoder, 'dataset-thumbnail', bytes, this.size)).catch(() => null);
    this.decoding = slot.result;
    return true;
  }

  /** A decode that does not answer in time gives none, and no further decode is asked (a worker that never started must not hold the page). */
  private timed<T>(decode: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.stalled = true;
        reject(new Error('The image decoder did not answer.'));
      }, this.timeoutMs);
    });
    return Promise.race([decode, late]).finally(() => clearTimeout(timer));
  }

  /** The thumbnails by path (in the package's order), once the package checked. */
  async finish(): Promise<Map<string, DicomThumbnail>> {
    const out = new Map<string, DicomThumbnail>();
    for (const slot of this.slots) {
      const thumbnail = slot.result === null ? null : await slot.result;
      if (thumbnail !== null) out.set(slot.path, thumbnail);
    }
    return out;
  }

  /** Ends the decoder (the worker and whatever it holds). */
  close(): void {
    this.decoder?.close();
  }

  private admit(path: string, series: string): Slot | null {
    const seen = this.slots.some((slot) => slot.series === series);
    if (seen) {
      if (this.slots.length >= this.limit) return null;
      return this.push({ path, series, primary: false, result: null });
    }
    if (this.slots.length >= this.limit) {
      if (this.slots.filter((slot) => slot.primary).length >= this.limit) return null;
      // A new series: an extra instance of the series with the most thumbnails gives its place (the latest of them).
      const perSeries = new Map<string, number>();
      for (const slot of this.slots) perSeries.set(slot.series, (perSeries.get(slot.series) ?? 0) + 1);
      let victim: Slot | null = null;
      for (const slot of this.slots) if (!slot.primary && (victim === null || perSeries.get(slot.series)! >= perSeries.get(victim.series)!)) victim = slot;
      if (victim === null) return null;
      this.drop(victim);
    }
    return this.push({ path, series, primary: true, result: null });
  }

  private push(slot: Slot): Slot {
    this.slots.push(slot);
    return slot;
  }

  private drop(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }
}

/** A file's bytes whole, or null when it is larger than `max` (it is still read to its end: the package authenticates as it streams). */
async function whole(data: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array | null> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for await (const piece of data) {
    length += piece.length;
    if (length > max) {
      pieces.length = 0;
      continue;
    }
    pieces.push(piece);
  }
  if (length > max) return null;
  // A copy of its own: its buffer moves to the worker, and the package's pieces may share theirs.
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
