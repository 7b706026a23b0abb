import dicomParser, { type DataSet } from 'dicom-parser';
import { buildFileMetaInformation } from '../../../../electron/intake/dicom/dicom-part10';
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../../../electron/intake/dicom/dicom-uids';
import { writeDataset, type Element } from '../../../electron/intake/dicom/dicom-test-support';
import { createUidRemapper } from '../../../../shared/dicom/deid/uid-remap';

/**
 * The de-identification tests' own fixtures, on top of the intake tests' data set writer: sequence
 * items (defined or undefined length), sequences of undefined length, encapsulated pixel data, and
 * Part 10 files made of raw data set bytes. Written here, independently of the code under test.
 */

export { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN };
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const US_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1';
export const ENCAPSULATED_PDF_STORAGE = '1.2.840.10008.5.1.4.1.1.104.1';

function u16(value: number, bigEndian: boolean): Buffer {
  const bytes = Buffer.alloc(2);
  if (bigEndian) bytes.writeUInt16BE(value);
  else bytes.writeUInt16LE(value);
  return bytes;
}

function u32(value: number, bigEndian: boolean): Buffer {
  const bytes = Buffer.alloc(4);
  if (bigEndian) bytes.writeUInt32BE(value);
  else bytes.writeUInt32LE(value);
  return bytes;
}

function tagBytes(tag: number, bigEndian: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, bigEndian), u16(tag & 0xffff, bigEndian)]);
}

/** One sequence item (FFFE,E000) holding these elements; `undefinedLength` ends it with an Item Delimitation Item. */
export function item(elements: readonly Element[], transferSyntax = EXPLICIT_VR_LITTLE_ENDIAN, undefinedLength = false): Buffer {
  const big = transferSyntax === EXPLICIT_VR_BIG_ENDIAN;
  const body = writeDataset(elements, transferSyntax);
  if (!undefinedLength) return Buffer.concat([tagBytes(0xfffee000, big), u32(body.length, big), body]);
  return Buffer.concat([tagBytes(0xfffee000, big), u32(0xffffffff, big), body, tagBytes(0xfffee00d, big), u32(0, big)]);
}

/** A sequence element of defined length, for writeDataset: [tag, 'SQ', the items' bytes]. */
export function sequence(tag: number, items: readonly Buffer[]): Element {
  return [tag, 'SQ', Buffer.concat(items)];
}

/** A whole sequence element of undefined length (to be placed in tag order by the caller). */
export function undefinedLengthSequence(tag: number, items: readonly Buffer[], transferSyntax = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  const big = transferSyntax === EXPLICIT_VR_BIG_ENDIAN;
  const head =
    transferSyntax === IMPLICIT_VR_LITTLE_ENDIAN
      ? Buffer.concat([tagBytes(tag, big), u32(0xffffffff, big)])
      : Buffer.concat([tagBytes(tag, big), Buffer.from('SQ', 'latin1'), Buffer.alloc(2), u32(0xffffffff, big)]);
  return Buffer.concat([head, ...items, tagBytes(0xfffee0dd, big), u32(0, big)]);
}

/** Encapsulated Pixel Data (PS3.5 A.4): an empty Basic Offset Table, one fragment per frame, the delimiter. */
export function encapsulatedPixelData(fragments: readonly Buffer[]): Buffer {
  const parts = [tagBytes(0x7fe00010, false), Buffer.from('OB', 'latin1'), Buffer.alloc(2), u32(0xffffffff, false), tagBytes(0xfffee000, false), u32(0, false)];
  for (const fragment of fragments) parts.push(tagBytes(0xfffee000, false), u32(fragment.length, false), fragment);
  parts.push(tagBytes(0xfffee0dd, false), u32(0, false));
  return Buffer.concat(parts);
}

/** A Part 10 file around data set bytes already written. */
export function part10Of(dataset: Buffer, transferSyntax: string, sopClassUid: string, sopInstanceUid: string): Buffer {
  return Buffer.concat([buildFileMetaInformation({ sopClassUid, sopInstanceUid, transferSyntaxUid: transferSyntax }), dataset]);
}

/** Parses an output with dicom-parser (as a reader other than the code under test). */
export function parse(bytes: Uint8Array): DataSet {
  return dicomParser.parseDicom(bytes);
}

/** An element's value as text without padding (or undefined when absent). */
export function text(dataSet: DataSet, tag: number): string | undefined {
  const element = dataSet.elements[`x${tag.toString(16).padStart(8, '0')}`];
  if (element === undefined) return undefined;
  return Buffer.from(dataSet.byteArray.buffer, dataSet.byteArray.byteOffset + element.dataOffset, element.length).toString('latin1').replace(/[\0 ]+$/, '');
}

export function has(dataSet: DataSet, tag: number): boolean {
  return dataSet.elements[`x${tag.toString(16).padStart(8, '0')}`] !== undefined;
}

export const SECRET = new Uint8Array(32).fill(7);
export const OTHER_SECRET = new Uint8Array(32).fill(9);
export const remapper = (secret: Uint8Array = SECRET) => createUidRemapper(secret);

/** The release's pseudonym table of the tests: source Patient ID → pseudonym. */
export const PSEUDONYMS = new Map([
  ['PID-001', 'P-7F3A'],
  ['PID-002', 'P-19C4'],
]);
export const pseudonymFor = (patient: { patientId?: string }) => (patient.patientId === undefined ? undefined : PSEUDONYMS.get(patient.patientId));
