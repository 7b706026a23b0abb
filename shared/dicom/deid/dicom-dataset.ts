import dicomParser, { type DataSet, type Element as ParsedElement } from 'dicom-parser';
import { readablePart10LongVrs } from '../long-vrs';
import { readFileMetaInformation } from '../part10';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../transfer-syntax-uids';

/**
 * A Part 10 instance as a tree the de-identifier can edit and write back (PS3.10 7.1, PS3.5 7):
 * elements in tag order, sequences as lists of items, encapsulated pixel data as its raw bytes
 * (Basic Offset Table, fragments and the Sequence Delimitation Item), never decoded.
 *
 * Read with dicom-parser; written by this module in the transfer syntax the instance came in
 * (explicit or implicit VR little endian, explicit VR big endian, and the encapsulated syntaxes,
 * which are explicit VR little endian around their pixel data). Values are the input's bytes in
 * the input's byte order; only elements the caller makes are encoded here.
 */

export type DicomElement =
  | { readonly kind: 'value'; readonly tag: number; readonly vr: string | undefined; readonly bytes: Uint8Array }
  | { readonly kind: 'sequence'; readonly tag: number; readonly items: readonly DicomItem[] }
  /** Pixel Data (7FE0,0010) of undefined length: its items and delimiter, byte for byte. */
  | { readonly kind: 'encapsulated'; readonly tag: number; readonly vr: string; readonly bytes: Uint8Array }
  /** An element of undefined length that is neither a sequence nor pixel data (a UN one): kept only to be looked at. */
  | { readonly kind: 'opaque'; readonly tag: number; readonly vr: string | undefined; readonly bytes: Uint8Array };

/** A data set or a sequence item: elements in ascending tag order. */
export type DicomItem = readonly DicomElement[];

export { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN };

export interface Encoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

export function encodingOf(transferSyntaxUid: string): Encoding {
  if (transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN) return { explicitVr: false, littleEndian: true };
  if (transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN) return { explicitVr: true, littleEndian: false };
  return { explicitVr: true, littleEndian: true };
}

export interface Part10Instance {
  readonly transferSyntaxUid: string;
  /** The data set (File Meta Information not included). */
  readonly dataset: DicomItem;
  /** The File Meta Information elements (group 0002), as read. */
  readonly meta: DicomItem;
}

export class DicomReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomReadError';
  }
}

/** dicom-parser's tag name: 0x00100010 → 'x00100010'. */
export function parserTag(tag: number): string {
  return `x${tag.toString(16).padStart(8, '0')}`;
}

const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;

function describe(error: unknown): string {
  if (typeof error === 'string') return error.replace(/^dicomParser\.[A-Za-z0-9]+: /, '').slice(0, 200);
  if (typeof error === 'object' && error !== null && 'exception' in error) return describe((error as { exception: unknown }).exception);
  if (error instanceof Error) return error.message.slice(0, 200);
  return 'unreadable';
}

/**
 * Reads a Part 10 file. `vrOf` names the VR of a tag for implicit VR data sets (dicom-parser
 * guesses sequences without it, by the item tag that follows). Throws DicomReadError.
 */
export function readPart10(bytes: Uint8Array, vrOf: (tag: number) => string | undefined = () => undefined): Part10Instance {
  let header: DataSet;
  try {
    header = readFileMetaInformation(bytes);
  } catch (error) {
    throw new DicomReadError(`The File Meta Information cannot be read: ${describe(error)}.`);
  }
  const transferSyntaxUid = (header.string('x00020010') ?? '').replace(/\0+$/, '').trim();
  if (transferSyntaxUid === '') throw new DicomReadError('The File Meta Information names no transfer syntax.');
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) throw new DicomReadError('The deflated transfer syntax is not supported here: inflate the data set first.');
  let parsed: DataSet;
  // OV, SV and UV elements are read as OB and written back with their own VR (long-vrs.ts).
  const readable = readablePart10LongVrs(bytes);
  try {
    parsed = dicomParser.parseDicom(readable.bytes, {
      vrCallback: (tag: string) => vrOf(Number.parseInt(tag.slice(1), 16)),
    });
  } catch (error) {
    throw new DicomReadError(`The data set cannot be read: ${describe(error)}.`);
  }
  const all = convertDataSet(parsed, encodingOf(transferSyntaxUid).littleEndian, readable.rewritten);
  return { transferSyntaxUid, meta: all.filter((element) => element.tag >>> 16 === 0x0002), dataset: all.filter((element) => element.tag >>> 16 !== 0x0002) };
}

function convertDataSet(dataSet: DataSet, littleEndian: boolean, rewritten: ReadonlyMap<number, string>): DicomElement[] {
  const out: DicomElement[] = [];
  for (const element of Object.values(dataSet.elements)) {
    const tag = Number.parseInt(element.tag.slice(1), 16);
    if (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) continue;
    out.push(convertElement(dataSet, element, tag, littleEndian, rewritten));
  }
  return out.sort((a, b) => a.tag - b.tag);
}

function convertElement(dataSet: DataSet, element: ParsedElement, tag: number, littleEndian: boolean, rewritten: ReadonlyMap<number, string>): DicomElement {
  const end = Math.min(element.dataOffset + element.length, dataSet.byteArray.length);
  const raw = Uint8Array.prototype.subarray.call(dataSet.byteArray, element.dataOffset, end);
  if (element.items !== undefined) {
    return { kind: 'sequence', tag, items: element.items.map((item) => (item.dataSet === undefined ? [] : convertDataSet(item.dataSet, littleEndian, rewritten))) };
  }
  if (element.encapsulatedPixelData === true) return { kind: 'encapsulated', tag, vr: element.vr ?? 'OB', bytes: withSequenceDelimiter(raw, littleEndian) };
  if (element.hadUndefinedLength === true) return { kind: 'opaque', tag, vr: element.vr, bytes: raw };
  // A long VR's bytes sit 8 before its value (VR, reserved, 32-bit length).
  return { kind: 'value', tag, vr: rewritten.get(element.dataOffset - 8) ?? element.vr, bytes: raw };
}

/** dicom-parser counts the Sequence Delimitation Item into the element when it finds it; adds one when it was missing. */
function withSequenceDelimiter(raw: Uint8Array, littleEndian: boolean): Uint8Array {
  const tail = raw.subarray(Math.max(0, raw.length - 8));
  const delimiter = new Uint8Array(8);
  writeTag(new DataView(delimiter.buffer), 0, SEQUENCE_DELIMITATION, littleEndian);
  if (tail.length === 8 && tail.every((byte, i) => byte === delimiter[i])) return raw;
  const whole = new Uint8Array(raw.length + 8);
  whole.set(raw, 0);
  whole.set(delimiter, raw.length);
  return whole;
}

// ── writing ─────────────────────────────────────────────────────────────────────────────

/** PS3.5 7.1.2: the VRs whose explicit encoding has a reserved field and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function writeTag(view: DataView, at: number, tag: number, littleEndian: boolean): void {
  view.setUint16(at, tag >>> 16, littleEndian);
  view.setUint16(at + 2, tag & 0xffff, littleEndian);
}

class ByteList {
  readonly parts: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function header(tag: number, vr: string | undefined, length: number, encoding: Encoding): Uint8Array {
  const { explicitVr, littleEndian } = encoding;
  if (!explicitVr || vr === undefined) {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    writeTag(view, 0, tag, littleEndian);
    view.setUint32(4, length, littleEndian);
    return bytes;
  }
  if (LONG_VRS.has(vr)) {
    const bytes = new Uint8Array(12);
    const view = new DataView(bytes.buffer);
    writeTag(view, 0, tag, littleEndian);
    bytes[4] = vr.charCodeAt(0);
    bytes[5] = vr.charCodeAt(1);
    view.setUint32(8, length, littleEndian);
    return bytes;
  }
  if (length > 0xffff) throw new DicomReadError(`An element (${tagString(tag)}) of VR ${vr} is too long for its VR.`);
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  writeTag(view, 0, tag, littleEndian);
  bytes[4] = vr.charCodeAt(0);
  bytes[5] = vr.charCodeAt(1);
  view.setUint16(6, length, littleEndian);
  return bytes;
}

function encodeItemInto(out: ByteList, item: DicomItem, encoding: Encoding): void {
  for (const element of [...item].sort((a, b) => a.tag - b.tag)) {
    switch (element.kind) {
      case 'value':
      case 'opaque': {
        // An explicit VR output needs a VR: an element without one is written as UN.
        const vr = encoding.explicitVr ? (element.vr ?? 'UN') : undefined;
        out.push(header(element.tag, vr, element.bytes.length, encoding));
        out.push(element.bytes);
        break;
      }
      case 'encapsulated':
        out.push(header(element.tag, element.vr, UNDEFINED_LENGTH, encoding));
        out.push(element.bytes);
        break;
      case 'sequence': {
        const body = new ByteList();
        for (const child of element.items) {
          const content = new ByteList();
          encodeItemInto(content, child, encoding);
          body.push(header(0xfffee000, undefined, content.length, { explicitVr: false, littleEndian: encoding.littleEndian }));
          for (const part of content.parts) body.push(part);
        }
        out.push(header(element.tag, 'SQ', body.length, encoding));
        for (const part of body.parts) out.push(part);
        break;
      }
    }
  }
}

/** A data set's bytes in an encoding (defined lengths for sequences and items). */
export function encodeDataset(item: DicomItem, encoding: Encoding): Uint8Array {
  const out = new ByteList();
  encodeItemInto(out, item, encoding);
  return out.concat();
}

/** This implementation's identity in the File Meta Information (PS3.7 D.3.3.2): a 2.25 UID of its own. */
export const DEID_IMPLEMENTATION_CLASS_UID = '2.25.204370422075342072506666426949425730811';
export const DEID_IMPLEMENTATION_VERSION_NAME = 'HDMS_DEID_1';

/** Text of an even length, padded as its VR asks (PS3.5 6.2: NUL for UI, space otherwise). */
export function textValue(text: string, vr: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes, 0);
  padded[bytes.length] = vr === 'UI' ? 0 : 0x20;
  return padded;
}

/**
 * A Part 10 file (PS3.10 7.1): preamble, "DICM", File Meta Information in explicit VR little
 * endian with its group length, then the data set in `transferSyntaxUid`. No Source AE Title or
 * private meta elements: nothing about where the instance came from.
 */
export function writePart10(input: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; dataset: DicomItem }): Uint8Array {
  const le: Encoding = { explicitVr: true, littleEndian: true };
  const meta = encodeDataset(
    [
      { kind: 'value', tag: 0x00020001, vr: 'OB', bytes: Uint8Array.of(0x00, 0x01) },
      { kind: 'value', tag: 0x00020002, vr: 'UI', bytes: textValue(input.sopClassUid, 'UI') },
      { kind: 'value', tag: 0x00020003, vr: 'UI', bytes: textValue(input.sopInstanceUid, 'UI') },
      { kind: 'value', tag: 0x00020010, vr: 'UI', bytes: textValue(input.transferSyntaxUid, 'UI') },
      { kind: 'value', tag: 0x00020012, vr: 'UI', bytes: textValue(DEID_IMPLEMENTATION_CLASS_UID, 'UI') },
      { kind: 'value', tag: 0x00020013, vr: 'SH', bytes: textValue(DEID_IMPLEMENTATION_VERSION_NAME, 'SH') },
    ],
    le,
  );
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  // One copy of the data set's bytes (pixel data of a multi-frame instance may be hundreds of MB).
  const out = new ByteList();
  const preamble = new Uint8Array(132);
  preamble.set(new TextEncoder().encode('DICM'), 128);
  out.push(preamble);
  encodeItemInto(out, [{ kind: 'value', tag: 0x00020000, vr: 'UL', bytes: groupLength }], le);
  out.push(meta);
  encodeItemInto(out, input.dataset, encodingOf(input.transferSyntaxUid));
  return out.concat();
}

/** "(0010,0010)" for a tag (messages and reports). */
export function tagString(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
