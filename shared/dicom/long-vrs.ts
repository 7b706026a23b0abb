import { hasPart10Prefix } from './part10';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntax-uids';
/**
 * dicom-parser (1.8.21, its latest release) reads the 64-bit VRs that DICOM added in 2017–2019 —
 * OV, SV and UV, e.g. the Extended Offset Table (7FE0,0001) of a large multi-frame — with a 16-bit
 * length, as it does short VRs. PS3.5 Table 7.1-1 gives them the layout of OB: two reserved bytes
 * and a 32-bit length. Its parse then reads the reserved bytes as the length and fails ("buffer
 * overrun"), so a valid instance was refused.
 *
 * readableLongVrs walks an explicit-VR data set (into sequences), finds those elements and, only
 * when there are any, returns a copy with their VR written as "OB" (the same layout), which
 * dicom-parser reads. It reports where it wrote (the VR's byte offset) and what was there, so a
 * caller that shows or writes the data set back can restore the real VR. Implicit-VR data sets
 * need nothing (every length is 32-bit). The walk stops, keeping what it found, at anything it
 * cannot step over without a dictionary: encapsulated pixel data or UN of undefined length.
 */
export interface ReadableLongVrs {
  readonly bytes: Uint8Array;
  /** VR byte offset → the VR found there (OV, SV or UV), for each element rewritten as OB. */
  readonly rewritten: ReadonlyMap<number, string>;
}

/** PS3.5 7.1.2: the VRs whose explicit encoding has a reserved field and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const WIDE_VRS = new Set(['OV', 'SV', 'UV']);
const UNDEFINED_LENGTH = 0xffffffff;
const ITEM_GROUP = 0xfffe;
const ITEM = 0xe000;
const ITEM_DELIMITER = 0xe00d;
const SEQUENCE_DELIMITER = 0xe0dd;
const MAX_DEPTH = 32;
const STOP = -1;


class Walker {
  readonly hits = new Map<number, string>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private u16(at: number, littleEndian = this.littleEndian): number {
    return this.view.getUint16(at, littleEndian);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }

  /** Elements from `at` to `end`; returns where it stopped (an item tag or `end`), or STOP. */
  dataSet(at: number, end: number, depth: number): number {
    let position = at;
    while (position + 8 <= end) {
      if (this.u16(position) === ITEM_GROUP) return position;
      const vr = String.fromCharCode(this.bytes[position + 4]!, this.bytes[position + 5]!);
      if (!/^[A-Z]{2}$/.test(vr)) return STOP;
      const long = LONG_VRS.has(vr);
      if (long && position + 12 > end) return STOP;
      const length = long ? this.u32(position + 8) : this.u16(position + 6);
      const value = position + (long ? 12 : 8);
      if (WIDE_VRS.has(vr)) this.hits.set(position + 4, vr);
      if (length === UNDEFINED_LENGTH && long) {
        if (vr !== 'SQ' || depth >= MAX_DEPTH) return STOP;
        position = this.items(value, end, null, depth + 1);
        if (position === STOP) return STOP;
        continue;
      }
      if (vr === 'SQ' && depth < MAX_DEPTH && this.items(value, Math.min(end, value + length), value + length, depth + 1) === STOP) return STOP;
      position = value + length;
    }
    return position;
  }

  /** A sequence's items; `definedEnd` null: undefined length, up to the sequence delimiter. Returns the position after the sequence, or STOP. */
  private items(at: number, end: number, definedEnd: number | null, depth: number): number {
    let position = at;
    while (position + 8 <= end) {
      const group = this.u16(position);
      const element = this.u16(position + 2);
      if (group !== ITEM_GROUP) return STOP;
      if (element === SEQUENCE_DELIMITER) return position + 8;
      if (element !== ITEM) return STOP;
      const length = this.u32(position + 4);
      const start = position + 8;
      if (length === UNDEFINED_LENGTH) {
        const stopped = this.dataSet(start, end, depth);
        if (stopped === STOP || stopped + 8 > end || this.u16(stopped) !== ITEM_GROUP || this.u16(stopped + 2) !== ITEM_DELIMITER) return STOP;
        position = stopped + 8;
      } else {
        if (this.dataSet(start, Math.min(end, start + length), depth) === STOP) return STOP;
        position = start + length;
      }
    }
    return definedEnd ?? STOP;
  }
}

/** For an explicit-VR data set that starts at `start` (see the file comment). */
export function readableLongVrs(bytes: Uint8Array, start: number, littleEndian: boolean): ReadableLongVrs {
  const walker = new Walker(bytes, littleEndian);
  walker.dataSet(start, bytes.length, 0);
  if (walker.hits.size === 0) return { bytes, rewritten: walker.hits };
  // A copy, never the caller's bytes (Buffer#slice would be a view of them).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  for (const at of walker.hits.keys()) {
    copy[at] = 0x4f; // 'O'
    copy[at + 1] = 0x42; // 'B'
  }
  return { bytes: copy, rewritten: walker.hits };
}

/**
 * The same for a Part 10 file: its File Meta Information (explicit VR little endian, group 0002)
 * is stepped over and its transfer syntax decides. Anything else (no DICM prefix, implicit VR,
 * deflated) is returned as it is.
 */
export function readablePart10LongVrs(bytes: Uint8Array): ReadableLongVrs {
  const unchanged = { bytes, rewritten: new Map<number, string>() };
  if (!hasPart10Prefix(bytes)) return unchanged;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 132;
  let transferSyntax: string | null = null;
  while (position + 8 <= bytes.length && view.getUint16(position, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[position + 4]!, bytes[position + 5]!);
    const long = LONG_VRS.has(vr);
    if (long && position + 12 > bytes.length) return unchanged;
    const length = long ? view.getUint32(position + 8, true) : view.getUint16(position + 6, true);
    const value = position + (long ? 12 : 8);
    if (length === UNDEFINED_LENGTH || value + length > bytes.length) return unchanged;
    if (view.getUint16(position + 2, true) === 0x0010) transferSyntax = new TextDecoder().decode(bytes.subarray(value, value + length)).replace(/[\0 ]+$/, '');
    position = value + length;
  }
  if (transferSyntax === null || transferSyntax === IMPLICIT_VR_LITTLE_ENDIAN || transferSyntax === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) return unchanged;
  return readableLongVrs(bytes, position, transferSyntax !== EXPLICIT_VR_BIG_ENDIAN);
}
