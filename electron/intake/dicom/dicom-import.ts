import dicomParser from 'dicom-parser';
import { hasPart10Prefix, readFileMetaInformation } from '../../../shared/dicom/part10';
import { readableLongVrs } from '../../../shared/dicom/long-vrs';
import type { DicomImportResult } from '../../../shared/ipc/dicom-contract';
import { storeDicomFile, storeDicomStream, type DicomIntakeOptions, type DicomIntakeOutcome } from './dicom-intake';
import { buildFileMetaInformation } from './dicom-part10';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './dicom-uids';
import { importedFileFrom, type ImportPosition } from '../import-source';

/** Media Storage Directory Storage: a DICOMDIR (PS3.10 8.6). */
export const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/** The two-letter VRs of PS3.5 Table 6.2-1: how an explicit VR data set is told from an implicit one. */
const VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV']);

export type Sniffed =
  | { readonly kind: 'part10'; readonly bytes: Uint8Array }
  | { readonly kind: 'directory' }
  | { readonly kind: 'not-dicom'; readonly reason: string };

function readUid(meta: { string(tag: string): string | undefined }, tag: string): string {
  try {
    return meta.string(tag)?.replace(/\0+$/, '').trim() ?? '';
  } catch {
    return '';
  }
}

/**
 * What a file is: a Part 10 file (`DICM` after the 128-byte preamble, or its File Meta Information
 * without preamble and prefix), a DICOMDIR, a bare data set
 * in little endian without preamble or meta information (given File Meta Information here, the
 * transfer syntax told by whether a VR follows the first tag), or not DICOM at all.
 */
export function sniffDicom(bytes: Uint8Array): Sniffed {
  if (hasPart10Prefix(bytes)) {
    let sopClass = '';
    try {
      sopClass = readUid(readFileMetaInformation(bytes) as unknown as { string(tag: string): string | undefined }, 'x00020002');
    } catch {
      // An unreadable meta: the intake quarantines it with the reason.
    }
    return sopClass === MEDIA_STORAGE_DIRECTORY ? { kind: 'directory' } : { kind: 'part10', bytes };
  }
  // File Meta Information first, written without the preamble and "DICM" (some CD writers; dcmtk
  // reads these): the prefix is added, so it is stored as the Part 10 file it is.
  if (bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && VRS.has(Buffer.from(bytes.subarray(4, 6)).toString('latin1'))) {
    return sniffDicom(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), bytes]));
  }
  // A bare data set starts with a group 0008 element (Specific Character Set, Image Type, SOP Class UID…).
  if (bytes.length < 8 || bytes[0] !== 0x08 || bytes[1] !== 0x00) return { kind: 'not-dicom', reason: 'Neither a DICOM file (no DICM after the preamble) nor a DICOM data set.' };
  const vr = Buffer.from(bytes.subarray(4, 6)).toString('latin1');
  const transferSyntaxUid = VRS.has(vr) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
  let sopClassUid = '';
  let sopInstanceUid = '';
  try {
    const readable = transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN ? readableLongVrs(bytes, 0, true).bytes : bytes;
    const dataSet = dicomParser.parseDicom(readable, { TransferSyntaxUID: transferSyntaxUid, untilTag: 'x7fe00010' }) as unknown as { string(tag: string): string | undefined };
    sopClassUid = readUid(dataSet, 'x00080016');
    sopInstanceUid = readUid(dataSet, 'x00080018');
  } catch {
    // Read again by the intake, which quarantines what it cannot index.
  }
  return { kind: 'part10', bytes: Buffer.concat([buildFileMetaInformation({ sopClassUid, sopInstanceUid, transferSyntaxUid }), bytes]) };
}

/** One file's outcome, without its index (an import adds it; a reprocess has one file). */
export type DicomFileOutcome = Omit<DicomImportResult, 'file'>;

function fileOutcome(outcome: DicomIntakeOutcome): DicomFileOutcome {
  return {
    outcome: outcome.outcome,
    ...(outcome.reason !== undefined ? { reason: outcome.reason.slice(0, 500) } : {}),
    ...(outcome.seq !== undefined ? { seq: outcome.seq } : {}),
    ...(outcome.inQuarantine === true ? { inQuarantine: true } : {}),
  };
}

/**
 * Imports one file's bytes (`where`: its position in the import, or the record reprocessed; never
 * a file name) through the same checks, duplicate recognition and records as a C-STORE.
 */
export async function importDicomFile(options: DicomIntakeOptions, bytes: Uint8Array, where: string): Promise<DicomFileOutcome> {
  if (bytes.length === 0) return { outcome: 'not-dicom', reason: 'The file is empty.' };
  const sniffed = sniffDicom(bytes);
  if (sniffed.kind === 'directory') return { outcome: 'directory', reason: 'A DICOMDIR: its instances are imported from their own files.' };
  if (sniffed.kind === 'not-dicom') return { outcome: 'not-dicom', reason: sniffed.reason };
  try {
    const outcome = await storeDicomFile(options, sniffed.bytes, where);
    return fileOutcome(outcome);
  } catch {
    return { outcome: 'failed', reason: 'The vault could not store it (nothing was stored); try again.' };
  }
}

/**
 * Imports files' bytes (names never come here: results are by index) through the same checks,
 * duplicate recognition and records as a C-STORE, one file at a time. `position`: each file's
 * place in the operator's import (1-based, one per file) and the import's file count.
 */
export async function importDicomFiles(options: DicomIntakeOptions, files: readonly Uint8Array[], position?: ImportPosition): Promise<DicomImportResult[]> {
  if (position !== undefined && position.files.length !== files.length) throw new RangeError(`position: ${position.files.length} places for ${files.length} files.`);
  const results: DicomImportResult[] = [];
  for (const [file, bytes] of files.entries()) results.push({ file, ...(await importDicomFile(options, bytes, importedFileFrom(position, file))) });
  return results;
}

/** Bytes of a streamed import read before anything is decided: the index fields are in them. */
export const STREAM_HEAD_BYTES = 1024 * 1024;

/**
 * Imports one file that arrives in pieces (larger than an upload holds): its first
 * STREAM_HEAD_BYTES are read to tell what it is and to index it, then the rest streams through
 * the sealer into the object store, as a C-STORE's data set does. A file that ends within the head
 * is imported whole. What is not wanted (not DICOM, a DICOMDIR) is read no further.
 */
export async function importDicomStream(options: DicomIntakeOptions, source: AsyncIterable<Buffer>, where: string, headBytes = STREAM_HEAD_BYTES): Promise<DicomFileOutcome> {
  const iterator = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let bytes = 0;
  try {
    while (bytes < headBytes) {
      const next = await iterator.next();
      if (next.done === true) return await importDicomFile(options, Buffer.concat(parts), where);
      parts.push(next.value);
      bytes += next.value.length;
    }
  } catch {
    await iterator.return?.(undefined);
    return { outcome: 'failed', reason: 'The file did not arrive whole (nothing was stored); try again.' };
  }
  const sniffed = sniffDicom(Buffer.concat(parts));
  if (sniffed.kind !== 'part10') {
    await iterator.return?.(undefined);
    return sniffed.kind === 'directory' ? { outcome: 'directory', reason: 'A DICOMDIR: its instances are imported from their own files.' } : { outcome: 'not-dicom', reason: sniffed.reason };
  }
  try {
    const head = Buffer.from(sniffed.bytes.buffer, sniffed.bytes.byteOffset, sniffed.bytes.byteLength);
    const outcome = await storeDicomStream(options, head, iterator, where);
    return fileOutcome(outcome);
  } catch {
    await iterator.return?.(undefined);
    return { outcome: 'failed', reason: 'The vault could not store it, or the file did not arrive whole (nothing was stored); try again.' };
  }
}
