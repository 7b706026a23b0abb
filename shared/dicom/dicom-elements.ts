import dicomParser, { type DataSet } from 'dicom-parser';
import { Inflate } from 'fflate';
import { readablePart10LongVrs } from './long-vrs';
import { hasPart10Prefix, namesDeflatedSyntax, part10MetaEnd } from './part10';
import { plainParserFailure } from './parser-failure';
import { tagRows, type TagRow } from './tag-list';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntax-uids';

/**
 * The data elements of a DICOM input as far as they can be read, for the mind: the raw view of a
 * quarantined instance shows them, and an erasure reads a quarantined instance's Patient ID and
 * Issuer of Patient ID from them. Quarantined inputs are often exactly the ones that do not parse,
 * so what was read up to the failure is kept and the failure is said. Pure functions on bytes (no
 * DOM, no Node).
 */

/** Pixel Data (7FE0,0010) as dicom-parser names it: elements are read up to it, its value is not. */
export const PIXEL_DATA = 'x7fe00010';
/** A data set without File Meta Information is tried as these, in this order: implicit, then explicit VR little endian. */
export const BARE_DATASET_SYNTAXES = [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN] as const;

export interface ReadElements {
  readonly rows: readonly TagRow[];
  /** Part 10 (File Meta Information and the DICM preamble), or a bare data set read as the syntax named. */
  readonly form: 'part10' | 'bare' | null;
  /** Why reading stopped before the end (the rows are what was read before), or null. */
  readonly problem: string | null;
}

/** dicom-parser throws { exception, dataSet } when it stops part way: the elements read so far. */
function partialOf(error: unknown): DataSet | null {
  if (typeof error !== 'object' || error === null || !('dataSet' in error)) return null;
  const dataSet = (error as { dataSet: unknown }).dataSet;
  return typeof dataSet === 'object' && dataSet !== null && 'elements' in dataSet ? (dataSet as DataSet) : null;
}

/** A read that ended without a problem beats one that stopped; between equals, the one with more elements. */
function readMore(a: ReadElements, b: ReadElements): boolean {
  if ((a.problem === null) !== (b.problem === null)) return a.problem === null;
  return a.rows.length > b.rows.length;
}

/** A deflated data set is inflated up to this many bytes for the view: the elements before Pixel Data come first, and a small stream can inflate to gigabytes. */
export const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/**
 * dicom-parser's `inflater` for a deflated data set (Deflated Explicit VR Little Endian): the File
 * Meta Information, then as much of the data set as inflates, at most MAX_INFLATED_BYTES. A stream
 * cut short gives what inflated before the cut (the parser then says where it stopped); bytes after
 * its end (dcmtk's pad to an even length) are ignored. Synchronous, as the parser asks.
 */
export function inflatedPart10(bytes: Uint8Array, position: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const full = (): boolean => total >= MAX_INFLATED_BYTES;
  const inflater = new Inflate((chunk) => {
    if (full()) return;
    const part = chunk.subarray(0, MAX_INFLATED_BYTES - total);
    parts.push(part.slice());
    total += part.length;
  });
  // Fed in pieces so a bomb stops near the bound instead of inflating whole first.
  const PIECE = 64 * 1024;
  try {
    for (let at = position; at < bytes.length && !full(); at += PIECE) inflater.push(bytes.subarray(at, at + PIECE), false);
  } catch {
    // A damaged stream: what inflated before the damage.
  }
  const out = new Uint8Array(position + total);
  out.set(bytes.subarray(0, position));
  let at = position;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The elements up to Pixel Data (its value is not read) of a Part 10 file or a bare data set, as far as they can be read. */
export function readDicomElements(original: Uint8Array): ReadElements {
  const { bytes } = readablePart10LongVrs(original);
  if (hasPart10Prefix(bytes)) {
    // A deflated data set is inflated before the parser sees it: it looks one element past the File
    // Meta Information, and compressed bytes there can read as a broken SQ (shared/dicom/part10.ts).
    const metaEnd = part10MetaEnd(bytes);
    const parsed = metaEnd !== null && namesDeflatedSyntax(bytes) ? inflatedPart10(bytes, metaEnd) : bytes;
    try {
      return { rows: tagRows(dicomParser.parseDicom(parsed, { untilTag: PIXEL_DATA, inflater: parsed === bytes ? inflatedPart10 : () => parsed } as dicomParser.ParseDicomOptions)), form: 'part10', problem: null };
    } catch (error) {
      const partial = partialOf(error);
      return { rows: partial === null ? [] : tagRows(partial), form: 'part10', problem: plainParserFailure(error) };
    }
  }
  // A bare data set: each guess that reads an SOP Class UID wins; else the guess that read the most.
  let best: ReadElements | null = null;
  for (const uid of BARE_DATASET_SYNTAXES) {
    let result: ReadElements;
    try {
      const dataSet = dicomParser.parseDicom(bytes, { TransferSyntaxUID: uid, untilTag: PIXEL_DATA });
      result = { rows: tagRows(dataSet), form: 'bare', problem: null };
      if (dataSet.string('x00080016') !== undefined) return result;
    } catch (error) {
      const partial = partialOf(error);
      result = { rows: partial === null ? [] : tagRows(partial), form: 'bare', problem: plainParserFailure(error) };
    }
    if (best === null || readMore(result, best)) best = result;
  }
  // Any bytes give a few "elements" read as a bare data set: only one that reached the patient, study or
  // instance groups is taken for DICOM (dicom-parser adds (0002,0010) for the syntax it was told).
  if (best === null || !best.rows.some((row) => /^\((0008|0010|0020),/.test(row.tag))) return { rows: [], form: null, problem: 'No DICM marker at byte 128, and no data set could be read from the start.' };
  return best;
}
