import { createInflateRaw, constants as zlibConstants } from 'node:zlib';
/**
 * Whether a data set's bytes reach the end of its Pixel Data (7FE0,0010). The index is read only up
 * to Pixel Data (dicom-index.ts), so a data set cut short inside it (a modality dropping mid-send,
 * a damaged CD) would otherwise be stored as a good instance and fail only in the viewer.
 *
 * Cheap: a defined length is one comparison with the data set's size; encapsulated (undefined
 * length) Pixel Data is checked by walking its item headers (8 bytes each), skipping the fragments'
 * values. Pixel data is never copied. Fed piece by piece, so a streamed instance is checked as
 * it passes through the sealer.
 */

/** Where Pixel Data's value starts in the stream and how long it says it is. */
export interface PixelDataExtent {
  /** Offset of the value's first byte (after the element header) in the Part 10 stream. */
  readonly valueOffset: number;
  /** The element's length; null for undefined length (encapsulated: items up to a sequence delimiter). */
  readonly length: number | null;
  /** Byte order of the item headers (Explicit VR Big Endian: false). */
  readonly littleEndian: boolean;
}

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;

const count = (bytes: number): string => bytes.toLocaleString('en-US');

export class PixelDataEndCheck {
  /** Stream position of the next item header (encapsulated only). */
  private at: number;
  /** Bytes of the item header at `at` gathered so far (a header may cross pieces). */
  private readonly header = new Uint8Array(8);
  private filled = 0;
  /** Items whose headers were read, the offset table first (for the reason). */
  private items = 0;
  /** The value length of the last fragment begun. */
  private lastLength = 0;
  private ended = false;
  private malformed: string | null = null;
  private seen = 0;

  constructor(private readonly extent: PixelDataExtent) {
    this.at = extent.valueOffset;
  }

  /** The next piece of the stream, `position` its offset in the stream (pieces in order). */
  feed(piece: Uint8Array, position: number): void {
    this.seen = Math.max(this.seen, position + piece.length);
    if (this.extent.length !== null) return;
    const end = position + piece.length;
    while (!this.ended && this.malformed === null) {
      const next = this.at + this.filled;
      if (next < position || next >= end) return;
      const take = Math.min(8 - this.filled, end - next);
      this.header.set(piece.subarray(next - position, next - position + take), this.filled);
      this.filled += take;
      if (this.filled < 8) return;
      this.filled = 0;
      const view = new DataView(this.header.buffer);
      const little = this.extent.littleEndian;
      const tag = ((view.getUint16(0, little) << 16) | view.getUint16(2, little)) >>> 0;
      const length = view.getUint32(4, little);
      if (tag === SEQUENCE_DELIMITER) {
        this.ended = true;
      } else if (tag === ITEM && length !== UNDEFINED_LENGTH) {
        this.items += 1;
        this.lastLength = length;
        this.at += 8 + length;
      } else {
        this.malformed = `Pixel Data (7FE0,0010) is encapsulated, but ${this.items === 0 ? 'its offset table' : `fragment ${this.items}`} does not start with an item header: the image cannot be read.`;
      }
    }
  }

  /**
   * Once the whole stream was fed (`total` bytes, the stream's size): null when Pixel Data ends
   * within it, else the reason in plain words (positions and sizes, never values).
   */
  problem(total = this.seen): string | null {
    if (this.malformed !== null) return this.malformed;
    const { valueOffset, length } = this.extent;
    const have = Math.max(0, total - valueOffset);
    if (length !== null) {
      return have >= length ? null : `The data set ends inside Pixel Data (7FE0,0010): ${count(have)} of ${count(length)} bytes arrived. The instance was cut short (an interrupted send or a damaged file).`;
    }
    if (this.ended) return null;
    const cut = 'The instance was cut short (an interrupted send or a damaged file).';
    // The first item is the Basic Offset Table; fragments are the items after it.
    const fragments = Math.max(0, this.items - 1);
    if (this.at > total && this.items > 0) {
      const has = Math.max(0, total - (this.at - this.lastLength));
      const which = this.items === 1 ? 'its offset table' : `fragment ${fragments}`;
      return `The data set ends inside Pixel Data (7FE0,0010): ${which} has ${count(has)} of ${count(this.lastLength)} bytes. ${cut}`;
    }
    return `The data set ends inside Pixel Data (7FE0,0010): ${count(have)} bytes, ${fragments} complete fragment${fragments === 1 ? '' : 's'} and no end marker. ${cut}`;
  }
}

/** What a native (uncompressed) image says of itself, to know how many Pixel Data bytes it needs. */
export interface NativeImage {
  readonly rows?: number;
  readonly columns?: number;
  readonly samplesPerPixel?: number;
  readonly bitsAllocated?: number;
  /** (0028,0008); absent: one frame. */
  readonly numberOfFrames?: number;
  readonly photometricInterpretation?: string;
  /** Pixel Data's defined length (its element length). */
  readonly length: number;
}

/**
 * Native Pixel Data shorter than the image it describes (QA12 D6): the element's length and the
 * bytes agree, so the end check passes, but the frames do not fit in it and the viewer would fail
 * on them. PS3.5 8.1.1: Rows × Columns × Samples per Pixel × Number of Frames × Bits Allocated / 8
 * bytes (Bits Allocated 1: packed, rounded up to a whole byte), padded to an even length; the
 * padding byte is not a pixel, so a length one short of the even size still holds every pixel.
 * YBR_FULL_422 and YBR_PARTIAL_422 hold two samples a pixel, YBR_PARTIAL_420 one and a half
 * (PS3.3 C.7.6.3.1.2). Longer is not an error. Not for encapsulated Pixel Data (its fragments'
 * sizes say nothing of the image). Null when it fits, or when the image is not described well
 * enough to tell (no rows, columns or bits allocated; a frame count that is not positive).
 */
export function nativePixelDataProblem(image: NativeImage): string | null {
  const { rows, columns, bitsAllocated, length } = image;
  const samples = image.samplesPerPixel ?? 1;
  const frames = image.numberOfFrames ?? 1;
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) return null;
  if (rows <= 0 || columns <= 0 || bitsAllocated <= 0 || samples <= 0 || !Number.isSafeInteger(frames) || frames <= 0) return null;
  const photometric = image.photometricInterpretation?.trim().toUpperCase() ?? '';
  const stored = photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422' ? 2 : photometric === 'YBR_PARTIAL_420' ? 1.5 : samples;
  const bits = rows * columns * stored * frames * bitsAllocated;
  const needed = Math.ceil(bits / 8);
  if (length >= needed) return null;
  const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;
  return `Pixel Data (7FE0,0010) holds ${plural(length, 'byte', 'bytes')}, but ${rows} × ${columns} pixels × ${plural(samples, 'sample', 'samples')} × ${bitsAllocated} bits × ${plural(frames, 'frame', 'frames')} need ${count(needed)}: the image is incomplete (a damaged file or a faulty sender).`;
}

/** The same check over a whole data set in memory. */
export function pixelDataEndProblem(bytes: Uint8Array, extent: PixelDataExtent): string | null {
  const check = new PixelDataEndCheck(extent);
  check.feed(bytes, 0);
  return check.problem(bytes.length);
}

/**
 * PixelDataEndCheck for a deflated data set streamed past its head (Deflated Explicit VR Little
 * Endian): the extent's positions are in the File Meta Information followed by the *inflated*
 * data set (as dicom-index.ts read it), so the deflate stream after `datasetOffset` is inflated
 * as it passes and the inflated bytes are fed to the check, then dropped. Memory: zlib's window
 * and one output chunk; `feed` waits while the inflater is behind, so input never piles up.
 * Bytes that stop inflating (corrupt or cut) end the inflated stream there: the check then says
 * whether Pixel Data ended before that point.
 */
export class InflatedPixelDataEndCheck {
  private readonly check: PixelDataEndCheck;
  private readonly inflater = createInflateRaw({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
  private inflated: number;
  private failed = false;
  private readonly done: Promise<void>;

  constructor(
    extent: PixelDataExtent,
    private readonly datasetOffset: number,
  ) {
    this.check = new PixelDataEndCheck(extent);
    this.inflated = datasetOffset;
    this.inflater.on('data', (chunk: Buffer) => {
      this.check.feed(chunk, this.inflated);
      this.inflated += chunk.length;
    });
    this.done = new Promise((resolve) => {
      this.inflater.once('end', resolve);
      this.inflater.once('error', () => {
        this.failed = true;
        resolve();
      });
    });
  }

  /** The next piece of the Part 10 stream (File Meta Information included), `position` its offset. */
  async feed(piece: Uint8Array, position: number): Promise<void> {
    if (this.failed) return;
    const skip = Math.max(0, Math.min(piece.length, this.datasetOffset - position));
    if (skip === piece.length) return;
    // A copy: the piece's buffer may be reused once the stream moves on, while zlib reads it later.
    if (!this.inflater.write(Buffer.from(piece.subarray(skip)))) await Promise.race([new Promise((resolve) => this.inflater.once('drain', resolve)), this.done]);
  }

  /** Stops inflating (the stream failed or was dropped before its end); problem() after it says nothing useful. */
  close(): void {
    this.inflater.destroy();
  }

  /** Once every piece was fed: null when Pixel Data ends within the inflated bytes, else why not. */
  async problem(): Promise<string | null> {
    this.inflater.end();
    await this.done;
    return this.check.problem(this.inflated);
  }
}
