import dicomParser from 'dicom-parser';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntax-uids';

/** Whether `bytes` start as a DICOM Part 10 file: a 128-byte preamble, then "DICM" (PS3.10 7.1). */
export function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Where the File Meta Information ends: the end of (0002,0000) File Meta Information Group Length
 * (type 1, explicit VR little endian, right after "DICM", ending at byte 144; PS3.10 7.1) plus the
 * length it gives, which counts the group's bytes after it.
 * Null when that element is not there as the standard writes it, or points past the bytes.
 */
export function part10MetaEnd(bytes: Uint8Array): number | null {
  if (!hasPart10Prefix(bytes) || bytes.length < 144) return null;
  // Tag (0002,0000), VR "UL", length 4.
  if (bytes[132] !== 0x02 || bytes[133] !== 0x00 || bytes[134] !== 0x00 || bytes[135] !== 0x00 || bytes[136] !== 0x55 || bytes[137] !== 0x4c || bytes[138] !== 0x04 || bytes[139] !== 0x00) return null;
  const groupLength = (bytes[140]! | (bytes[141]! << 8) | (bytes[142]! << 16)) + bytes[143]! * 0x1000000;
  const end = 144 + groupLength;
  return end <= bytes.length ? end : null;
}

/**
 * dicom-parser's readPart10Header, kept inside the File Meta Information when its length is known.
 * Left alone, the parser reads the first element AFTER the group to see that the group ended; in a
 * deflated file that "element" is compressed bytes, and when they happen to spell a VR such as SQ
 * the parser throws, so a valid instance was refused as unreadable (found with a test file whose
 * deflate stream starts with "…SQ").
 */
export function readFileMetaInformation(bytes: Uint8Array): dicomParser.DataSet {
  const end = part10MetaEnd(bytes);
  return dicomParser.readPart10Header(end === null ? bytes : bytes.subarray(0, end));
}

/**
 * A Part 10 file whose deflated data set (Deflated Explicit VR Little Endian) is replaced by its
 * inflated bytes, for dicom-parser to parse with `inflater: () => whole` (positions as in the
 * whole file). The caller inflates (zlib in the body, the platform or fflate in the browser).
 */
export function withInflatedDataSet(bytes: Uint8Array, metaEnd: number, inflated: Uint8Array): Uint8Array {
  const whole = new Uint8Array(metaEnd + inflated.length);
  whole.set(bytes.subarray(0, metaEnd), 0);
  whole.set(inflated, metaEnd);
  return whole;
}

/** Whether a Part 10 file's File Meta Information names Deflated Explicit VR Little Endian (false when it cannot be read). */
export function namesDeflatedSyntax(bytes: Uint8Array): boolean {
  try {
    return readFileMetaInformation(bytes).string('x00020010')?.replace(/\0+$/, '').trim() === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN;
  } catch {
    return false;
  }
}
