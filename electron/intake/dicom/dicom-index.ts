import dicomParser from 'dicom-parser';
import { readablePart10LongVrs } from '../../../shared/dicom/long-vrs';
import { readFileMetaInformation } from '../../../shared/dicom/part10';
import { decodeDicomText, isKnownCharset } from '../../../shared/dicom/dicom-charset';
import { plainParserFailure } from '../../../shared/dicom/parser-failure';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './dicom-uids';
import { nativePixelDataProblem, pixelDataEndProblem, type PixelDataExtent } from './pixel-data-end';

/**
 * The index fields of one instance, read with dicom-parser from the first bytes of a Part 10
 * stream (File Meta Information + data set), up to the pixel data. Text values are decoded with
 * the instance's Specific Character Set. PHI: only in memory, sealed before anything is stored.
 */
export interface DicomIndex {
  /** Where the data set starts (after the preamble and File Meta Information). */
  readonly datasetOffset: number;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly specificCharacterSet?: string;
  readonly patientId?: string;
  readonly issuerOfPatientId?: string;
  readonly patientName?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly studyDescription?: string;
  readonly studyId?: string;
  readonly accessionNumber?: string;
  readonly referringPhysicianName?: string;
  readonly modality?: string;
  readonly seriesDescription?: string;
  readonly seriesNumber?: number;
  readonly seriesDate?: string;
  readonly bodyPartExamined?: string;
  readonly instanceNumber?: number;
  readonly numberOfFrames?: number;
  readonly rows?: number;
  readonly columns?: number;
  readonly institutionName?: string;
  /** What could not be read well (positions and rules, never values). */
  readonly notes: readonly string[];
  /**
   * Where Pixel Data starts in the stream, when the index was read from a head (`complete`
   * false) that reached it: the rest of the stream is checked against it as it passes
   * (pixel-data-end.ts). A whole stream is checked here. For a deflated data set the positions
   * are in the File Meta Information followed by the inflated data set (InflatedPixelDataEndCheck).
   */
  readonly pixelData?: PixelDataExtent;
}

/** Why an instance cannot be indexed: it goes to quarantine with this reason (no PHI). */
export class DicomParseError extends Error {
  constructor(
    message: string,
    /** What could be read before the problem (UIDs at most), for the quarantine record. */
    readonly partial: Partial<Pick<DicomIndex, 'sopInstanceUid' | 'sopClassUid' | 'transferSyntaxUid'>> = {},
  ) {
    super(message);
    this.name = 'DicomParseError';
  }
}

const PIXEL_DATA = 'x7fe00010';

interface ParsedDataSet {
  elements: Record<string, { dataOffset: number; length: number; hadUndefinedLength?: boolean } | undefined>;
  byteArray: Uint8Array;
  string(tag: string): string | undefined;
  uint16(tag: string): number | undefined;
}

function thrownDataSet(error: unknown): ParsedDataSet | null {
  if (typeof error === 'object' && error !== null && 'dataSet' in error) return (error as { dataSet: ParsedDataSet }).dataSet ?? null;
  return null;
}

/** The text of what dicom-parser (or zlib) threw: strings, objects holding one, or Errors. Never shown as is. */
/** Inflates a deflated data set (dicom-parser calls this with the position where the deflate stream starts). */
async function inflaterFor(): Promise<(bytes: Uint8Array, position: number) => Uint8Array> {
  const zlib = await import('node:zlib');
  return (bytes, position) => {
    const inflated = zlib.inflateRawSync(bytes.subarray(position), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const whole = new Uint8Array(position + inflated.length);
    whole.set(bytes.subarray(0, position), 0);
    whole.set(inflated, position);
    return whole;
  };
}

/**
 * Reads the index fields. `complete` says whether `bytes` is the whole stream (else it is its
 * head, and running out of bytes before the pixel data is expected, not an error, as long as the
 * UIDs were read). Throws DicomParseError for what cannot be indexed.
 */
export async function readDicomIndex(bytes: Uint8Array, complete: boolean): Promise<DicomIndex> {
  try {
    // OV, SV and UV elements (an Extended Offset Table…) as OB, which dicom-parser reads (long-vrs.ts).
    return await readIndex(readablePart10LongVrs(bytes).bytes, complete);
  } catch (error) {
    // dicom-parser throws strings and plain objects from deep inside: all of it means "unreadable".
    if (error instanceof DicomParseError) throw error;
    throw new DicomParseError(`The data set cannot be read: ${plainParserFailure(error)}.`);
  }
}

/** The transfer syntaxes whose Pixel Data is native (uncompressed frames one after another). */
const NATIVE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN]);

async function readIndex(bytes: Uint8Array, complete: boolean): Promise<DicomIndex> {
  let dataSet: ParsedDataSet;
  let truncated = false;
  const notes: string[] = [];
  let meta: ParsedDataSet;
  try {
    meta = readFileMetaInformation(bytes) as unknown as ParsedDataSet;
  } catch (error) {
    throw new DicomParseError(`The File Meta Information cannot be read: ${plainParserFailure(error)}.`);
  }
  const transferSyntaxUid = meta.string('x00020010')?.trim() ?? '';
  const datasetOffset = (meta as unknown as { position?: number }).position ?? 0;
  if (transferSyntaxUid === '') throw new DicomParseError('The File Meta Information names no transfer syntax.');
  try {
    const options: Parameters<typeof dicomParser.parseDicom>[1] = { untilTag: PIXEL_DATA };
    let parsed = bytes;
    if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
      // Inflated before parsing, so the parser's look past the File Meta Information sees the first
      // element of the data set, not compressed bytes (readFileMetaInformation says why).
      parsed = (await inflaterFor())(bytes, datasetOffset);
      const whole = parsed;
      (options as { inflater?: unknown }).inflater = () => whole;
    }
    dataSet = dicomParser.parseDicom(parsed, options) as unknown as ParsedDataSet;
  } catch (error) {
    const partial = thrownDataSet(error);
    if (partial === null || complete) {
      let sopInstanceUid: string | undefined;
      try {
        sopInstanceUid = partial?.string('x00080018')?.trim();
      } catch {
        sopInstanceUid = undefined;
      }
      throw new DicomParseError(`The data set cannot be read: ${plainParserFailure(error)}.`, { transferSyntaxUid, ...(sopInstanceUid ? { sopInstanceUid } : {}) });
    }
    dataSet = partial;
    truncated = true;
  }
  const charset = dataSet.string('x00080005')?.trim();
  if (charset !== undefined && !isKnownCharset(charset)) notes.push('Specific Character Set (0008,0005) names a character set this build does not know; text read as Latin-1');
  const text = (tag: string): string | undefined => {
    const element = dataSet.elements[tag];
    if (element === undefined || element.length === 0) return undefined;
    if (element.dataOffset + element.length > dataSet.byteArray.length) return undefined;
    const raw = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
    const value = decodeDicomText(raw, charset).replace(/[\0 ]+$/, '').trim();
    return value === '' ? undefined : value;
  };
  const ascii = (tag: string): string | undefined => {
    const element = dataSet.elements[tag];
    if (element === undefined || element.dataOffset + element.length > dataSet.byteArray.length) return undefined;
    const value = dataSet.string(tag)?.replace(/\0+$/, '').trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const integer = (tag: string): number | undefined => {
    const value = ascii(tag);
    if (value === undefined) return undefined;
    const number = Number.parseInt(value, 10);
    return Number.isFinite(number) ? number : undefined;
  };
  const us = (tag: string): number | undefined => {
    const element = dataSet.elements[tag];
    return element === undefined || element.length !== 2 || element.dataOffset + 2 > dataSet.byteArray.length ? undefined : dataSet.uint16(tag);
  };
  const sopInstanceUid = ascii('x00080018') ?? meta.string('x00020003')?.replace(/\0+$/, '').trim() ?? '';
  const sopClassUid = ascii('x00080016') ?? meta.string('x00020002')?.replace(/\0+$/, '').trim() ?? '';
  const studyInstanceUid = ascii('x0020000d') ?? '';
  const seriesInstanceUid = ascii('x0020000e') ?? '';
  const missing = [
    sopInstanceUid === '' ? 'SOP Instance UID (0008,0018)' : null,
    sopClassUid === '' ? 'SOP Class UID (0008,0016)' : null,
    studyInstanceUid === '' ? 'Study Instance UID (0020,000D)' : null,
    seriesInstanceUid === '' ? 'Series Instance UID (0020,000E)' : null,
  ].filter((name): name is string => name !== null);
  if (missing.length > 0) {
    throw new DicomParseError(`${truncated ? 'The first bytes of the data set lack' : 'The data set lacks'} ${missing.join(', ')}.`, { transferSyntaxUid, ...(sopInstanceUid ? { sopInstanceUid } : {}), ...(sopClassUid ? { sopClassUid } : {}) });
  }
  for (const [name, uid] of [['SOP Instance UID', sopInstanceUid], ['Study Instance UID', studyInstanceUid], ['Series Instance UID', seriesInstanceUid]] as const) {
    if (!/^[0-9.]{1,64}$/.test(uid)) throw new DicomParseError(`The ${name} is not a valid UID.`, { transferSyntaxUid });
  }
  // Read up to Pixel Data only: whether the bytes reach its end is checked separately (cheaply:
  // its length, or its fragments' item headers), else a cut instance would pass as a good one.
  const pixel = dataSet.elements[PIXEL_DATA];
  const pixelData: PixelDataExtent | undefined =
    pixel === undefined ? undefined : { valueOffset: pixel.dataOffset, length: pixel.hadUndefinedLength === true ? null : pixel.length, littleEndian: transferSyntaxUid !== EXPLICIT_VR_BIG_ENDIAN };
  if (pixelData !== undefined && complete) {
    const problem = pixelDataEndProblem(dataSet.byteArray, pixelData);
    if (problem !== null) throw new DicomParseError(problem, { transferSyntaxUid, sopInstanceUid, sopClassUid });
  }
  // Native Pixel Data must hold the frames the image describes; known from the element's length,
  // so a streamed instance is refused from its head (QA12 D6). Encapsulated syntaxes are not native.
  if (pixelData !== undefined && pixelData.length !== null && NATIVE_TRANSFER_SYNTAXES.has(transferSyntaxUid)) {
    const problem = nativePixelDataProblem({
      rows: us('x00280010'),
      columns: us('x00280011'),
      samplesPerPixel: us('x00280002'),
      bitsAllocated: us('x00280100'),
      numberOfFrames: integer('x00280008'),
      photometricInterpretation: ascii('x00280004'),
      length: pixelData.length,
    });
    if (problem !== null) throw new DicomParseError(problem, { transferSyntaxUid, sopInstanceUid, sopClassUid });
  }
  const fields: Record<string, string | number | undefined> = {
    specificCharacterSet: charset,
    patientId: text('x00100020'),
    issuerOfPatientId: text('x00100021'),
    patientName: text('x00100010'),
    patientBirthDate: ascii('x00100030'),
    patientSex: ascii('x00100040'),
    studyDate: ascii('x00080020'),
    studyTime: ascii('x00080030'),
    studyDescription: text('x00081030'),
    studyId: text('x00200010'),
    accessionNumber: text('x00080050'),
    referringPhysicianName: text('x00080090'),
    modality: ascii('x00080060'),
    seriesDescription: text('x0008103e'),
    seriesNumber: integer('x00200011'),
    seriesDate: ascii('x00080021'),
    bodyPartExamined: ascii('x00180015'),
    instanceNumber: integer('x00200013'),
    numberOfFrames: integer('x00280008'),
    rows: us('x00280010'),
    columns: us('x00280011'),
    institutionName: text('x00080080'),
  };
  const index: Record<string, unknown> = { datasetOffset, transferSyntaxUid, sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid, notes };
  if (pixelData !== undefined && !complete) index.pixelData = pixelData;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) index[key] = value;
  return index as unknown as DicomIndex;
}
