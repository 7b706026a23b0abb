import { concatBytes } from '../../../../../shared/crypto/bytes';
import { DicomImageError, NotReadableInParts, PIXEL_DATA, nativeFrameSpan, parseInstance, type ImageInfo, type ParsedInstance } from './dicom-image';
import { checkFrameIndex, isNative } from './frame-decoder';

/**
 * An instance too large to hold whole (a long ultrasound cine, a tomosynthesis volume): read in
 * ranges instead, so memory holds the data set before the pixel data, a fragment table and the
 * frame being decoded, whatever the instance's size.
 *
 * - The data set is parsed from the first MiB (doubling until the top-level Pixel Data element is
 *   reached, at most MAX_HEAD_BYTES), stopping at that element's header.
 * - Native pixel data (PS3.5 8.1.1): a frame is the byte span nativeFrameSpan gives.
 * - Encapsulated pixel data (PS3.5 A.4): items of (FFFE,E000) after the Basic Offset Table item, up
 *   to the sequence delimiter (FFFE,E0DD). A frame's fragments come from the Extended Offset Table
 *   (7FE0,0001) when present, else the Basic Offset Table, else a scan of the item headers (one
 *   fragment per frame, or JPEG frames told apart by their End Of Image marker): the same rules
 *   as the whole-instance path (encapsulatedFrameBytes), on ranges.
 */
export interface PlaintextRanges {
  readonly size: number;
  /** `length` bytes from `offset` (fewer only at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface RangedInstance {
  readonly parsed: ParsedInstance;
  /** The bytes decodeFrameBytes takes for `frame`: its native span, or its fragments joined. */
  frameBytes(frame: number): Promise<Uint8Array>;
}

export const FIRST_HEAD_BYTES = 1024 * 1024;
export const MAX_HEAD_BYTES = 64 * 1024 * 1024;
/** Item headers are read through a window of this size (consecutive small fragments cost one read). */
const SCAN_WINDOW_BYTES = 256 * 1024;
const MAX_FRAGMENTS = 1024 * 1024;
const ITEM = 0xe000;
const SEQUENCE_DELIMITER = 0xe0dd;

export async function openRangedInstance(ranges: PlaintextRanges, firstHead = FIRST_HEAD_BYTES): Promise<RangedInstance> {
  const parsed = await parseHead(ranges, firstHead);
  const { image } = parsed;
  const element = parsed.dataSet.elements[PIXEL_DATA];
  if (image === null || element === undefined) {
    return { parsed, frameBytes: () => Promise.reject(new DicomImageError('This instance has no image.')) };
  }
  if (isNative(image)) {
    if (element.hadUndefinedLength === true) throw new DicomImageError('Native pixel data with an undefined length is not valid DICOM.');
    return { parsed, frameBytes: (frame) => nativeFrame(ranges, image, element.dataOffset, element.length, frame) };
  }
  if (element.hadUndefinedLength !== true) throw new DicomImageError('The pixel data of a compressed transfer syntax is not encapsulated.');
  const frames = new EncapsulatedFrames(ranges, image, element.dataOffset, extendedOffsets(parsed, image.frames));
  await frames.readOffsetTable();
  return { parsed, frameBytes: (frame) => frames.frame(frame) };
}

async function parseHead(ranges: PlaintextRanges, firstHead: number): Promise<ParsedInstance> {
  let length = Math.min(ranges.size, Math.max(1, firstHead));
  for (;;) {
    const head = await ranges.read(0, length);
    let parsed: ParsedInstance | null = null;
    let failure: unknown = null;
    try {
      parsed = await parseInstance(head, { untilPixelData: true });
    } catch (error) {
      if (error instanceof NotReadableInParts) throw error;
      failure = error;
    }
    // Parsed up to the Pixel Data element, or the whole instance (one without pixel data).
    if (parsed !== null && (parsed.dataSet.elements[PIXEL_DATA] !== undefined || length >= ranges.size)) return parsed;
    if (length >= ranges.size) throw failure ?? new DicomImageError('Not a readable DICOM data set.');
    if (length >= MAX_HEAD_BYTES) throw new DicomImageError('The data set before the pixel data is larger than the viewer reads (64 MiB).');
    length = Math.min(ranges.size, MAX_HEAD_BYTES, length * 2);
  }
}

async function exactly(ranges: PlaintextRanges, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (offset + length > ranges.size) throw new DicomImageError(`${what} lies beyond the end of the instance.`);
  const bytes = await ranges.read(offset, length);
  if (bytes.length !== length) throw new DicomImageError(`${what} lies beyond the end of the instance.`);
  return bytes;
}

async function nativeFrame(ranges: PlaintextRanges, image: ImageInfo, valueOffset: number, valueLength: number, frame: number): Promise<Uint8Array> {
  checkFrameIndex(image, frame);
  const span = nativeFrameSpan(image, frame);
  if (span.end > valueLength && image.pixel.bitsAllocated !== 1) throw new DicomImageError(`Frame ${frame + 1} lies beyond the end of the pixel data.`);
  return exactly(ranges, valueOffset + span.start, span.end - span.start, `Frame ${frame + 1}`);
}

/** The Extended Offset Table (7FE0,0001) with its lengths (7FE0,0002), when present and one entry per frame. */
function extendedOffsets(parsed: ParsedInstance, frames: number): { readonly offsets: readonly number[]; readonly lengths: readonly number[] } | null {
  const table = parsed.dataSet.elements['x7fe00001'];
  const lengths = parsed.dataSet.elements['x7fe00002'];
  if (table === undefined || lengths === undefined || table.length !== frames * 8 || lengths.length !== frames * 8) return null;
  const read = (offset: number): number[] => {
    const view = new DataView(parsed.dataSet.byteArray.buffer, parsed.dataSet.byteArray.byteOffset + offset, frames * 8);
    return Array.from({ length: frames }, (_, i) => Number(view.getBigUint64(i * 8, true)));
  };
  return { offsets: read(table.dataOffset), lengths: read(lengths.dataOffset) };
}

interface Fragment {
  /** Where its item header starts. */
  readonly item: number;
  readonly length: number;
  /** Its last three bytes (a JPEG frame ends with FFD9, maybe followed by one byte of padding). */
  tail?: Uint8Array;
}

class EncapsulatedFrames {
  private basicOffsets: number[] = [];
  /** Where the first fragment's item starts (the Basic Offset Table's offsets count from here). */
  private firstItem = 0;
  private scanned: Promise<{ fragments: Fragment[]; end: number }> | null = null;
  private lastEnd: Promise<number> | null = null;
  private window: { start: number; bytes: Uint8Array } | null = null;

  constructor(
    private readonly ranges: PlaintextRanges,
    private readonly image: ImageInfo,
    private readonly valueOffset: number,
    private readonly extended: { readonly offsets: readonly number[]; readonly lengths: readonly number[] } | null,
  ) {}

  async readOffsetTable(): Promise<void> {
    const table = await this.itemHeader(this.valueOffset);
    if (table === null || table.tag !== ITEM) throw new DicomImageError('The encapsulated pixel data does not start with its offset table item.');
    this.firstItem = this.valueOffset + 8 + table.length;
    if (table.length === 0) return;
    if (table.length % 4 !== 0) throw new DicomImageError('The Basic Offset Table is not a list of 32-bit offsets.');
    // PS3.5 A.4: one offset per frame. Any other table is not used (the items are scanned), so not read.
    if (table.length !== 4 * this.image.frames) return;
    const bytes = await exactly(this.ranges, this.valueOffset + 8, table.length, 'The Basic Offset Table');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.basicOffsets = Array.from({ length: table.length / 4 }, (_, i) => view.getUint32(i * 4, true));
  }

  async frame(frame: number): Promise<Uint8Array> {
    checkFrameIndex(this.image, frame);
    const frames = this.image.frames;
    if (frames > 1 && this.extended !== null) {
      const header = await this.itemHeader(this.firstItem + this.extended.offsets[frame]!);
      if (header === null || header.tag !== ITEM) throw new DicomImageError(`The Extended Offset Table points frame ${frame + 1} at something that is not a fragment.`);
      return exactly(this.ranges, this.firstItem + this.extended.offsets[frame]! + 8, Math.min(header.length, this.extended.lengths[frame]!), `Frame ${frame + 1}`);
    }
    if (frames > 1 && this.basicOffsets.length === frames) {
      const start = this.firstItem + this.basicOffsets[frame]!;
      const end = frame + 1 < frames ? this.firstItem + this.basicOffsets[frame + 1]! : await this.endAfter(start);
      if (end < start) throw new DicomImageError('The Basic Offset Table is not in ascending order.');
      return this.itemsIn(start, end);
    }
    const { fragments } = await this.allFragments();
    if (fragments.length === 0) throw new DicomImageError('The encapsulated pixel data holds no fragment.');
    if (frames === 1) return this.join(fragments);
    if (fragments.length === frames) return this.join([fragments[frame]!]);
    if (this.image.encoding === 'jpeg-baseline' || this.image.encoding === 'jpeg-lossless') {
      const groups: Fragment[][] = [[]];
      for (const fragment of fragments) {
        groups.at(-1)!.push(fragment);
        if (endsWithEndOfImage(fragment.tail)) groups.push([]);
      }
      if (groups.at(-1)!.length === 0) groups.pop();
      if (frame < groups.length) return this.join(groups[frame]!);
      throw new DicomImageError(`No frame ${frame + 1}: its fragments end after ${groups.length} JPEG images.`);
    }
    throw new DicomImageError('The frames of this multi-frame image cannot be told apart (no offset table, and fragments do not match frames).');
  }

  /** Where the fragments from `start` end (the last frame's end, when the offset table gives its start only). */
  private endAfter(start: number): Promise<number> {
    if (this.lastEnd === null) {
      const promise = this.scanFrom(start).then((scan) => scan.end);
      this.lastEnd = promise;
      promise.catch(() => (this.lastEnd = null));
    }
    return this.lastEnd;
  }

  /** Every fragment from the first to the sequence delimiter (or the end of the instance), scanned once. */
  private allFragments(): Promise<{ fragments: Fragment[]; end: number }> {
    if (this.scanned === null) {
      const promise = this.scanFrom(this.firstItem);
      this.scanned = promise;
      promise.catch(() => (this.scanned = null));
    }
    return this.scanned;
  }

  private async scanFrom(start: number): Promise<{ fragments: Fragment[]; end: number }> {
    const fragments: Fragment[] = [];
    let position = start;
    while (position + 8 <= this.ranges.size) {
      const header = await this.itemHeader(position);
      if (header === null || header.tag === SEQUENCE_DELIMITER) break;
      if (header.tag !== ITEM) throw new DicomImageError('The encapsulated pixel data holds something other than fragment items.');
      if (fragments.length >= MAX_FRAGMENTS) throw new DicomImageError('The encapsulated pixel data holds more fragments than the viewer reads.');
      const end = position + 8 + header.length;
      if (end > this.ranges.size) throw new DicomImageError('A fragment of the pixel data runs past the end of the instance.');
      const fragment: Fragment = { item: position, length: header.length };
      fragments.push(fragment);
      if (header.length >= 2) fragment.tail = await this.bytesAt(end - Math.min(3, header.length), Math.min(3, header.length));
      position = end;
    }
    return { fragments, end: position };
  }

  /** The fragments whose items lie in [start, end), their contents joined (one read). */
  private async itemsIn(start: number, end: number): Promise<Uint8Array> {
    // A compressed frame larger than twice its native size (and 1 MiB) is not one: offsets or lengths are wrong.
    const { rows, columns, samplesPerPixel, bitsAllocated } = this.image.pixel;
    const limit = 2 * Math.ceil((rows * columns * samplesPerPixel * bitsAllocated) / 8) + 1024 * 1024;
    if (end - start > limit) throw new DicomImageError('A frame of the encapsulated pixel data is larger than its image can be.');
    const bytes = await exactly(this.ranges, start, end - start, 'A frame');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const parts: Uint8Array[] = [];
    for (let at = 0; at + 8 <= bytes.length; ) {
      if (view.getUint16(at, true) !== 0xfffe || view.getUint16(at + 2, true) !== ITEM) break;
      const length = view.getUint32(at + 4, true);
      if (at + 8 + length > bytes.length) throw new DicomImageError('A fragment of the pixel data runs past its frame.');
      parts.push(bytes.subarray(at + 8, at + 8 + length));
      at += 8 + length;
    }
    if (parts.length === 0) throw new DicomImageError('The Basic Offset Table points at something that is not a fragment.');
    // A copy of its own (concatBytes copies even one part): codecs get an unshared, aligned buffer.
    return concatBytes(...parts);
  }

  private async join(fragments: readonly Fragment[]): Promise<Uint8Array> {
    const first = fragments[0]!;
    const last = fragments.at(-1)!;
    return this.itemsIn(first.item, last.item + 8 + last.length);
  }

  /** The item tag (its element number, group FFFE) and length at `position`, or null when it is not group FFFE. */
  private async itemHeader(position: number): Promise<{ tag: number; length: number } | null> {
    if (position + 8 > this.ranges.size) return null;
    const bytes = await this.bytesAt(position, 8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    if (view.getUint16(0, true) !== 0xfffe) return null;
    return { tag: view.getUint16(2, true), length: view.getUint32(4, true) };
  }

  /** Small reads through a window, so scanning many small fragments does not read each alone. */
  private async bytesAt(position: number, length: number): Promise<Uint8Array> {
    const window = this.window;
    if (window !== null && position >= window.start && position + length <= window.start + window.bytes.length) {
      return window.bytes.subarray(position - window.start, position - window.start + length);
    }
    const bytes = await exactly(this.ranges, position, Math.min(this.ranges.size - position, Math.max(length, SCAN_WINDOW_BYTES)), 'An item of the pixel data');
    this.window = { start: position, bytes };
    return bytes.subarray(0, length);
  }
}

function endsWithEndOfImage(tail: Uint8Array | undefined): boolean {
  if (tail === undefined) return false;
  const n = tail.length;
  return (tail[n - 2] === 0xff && tail[n - 1] === 0xd9) || (n >= 3 && tail[n - 3] === 0xff && tail[n - 2] === 0xd9);
}
