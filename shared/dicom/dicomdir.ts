import dicomParser, { type DataSet, type Element } from 'dicom-parser';

/**
 * A DICOMDIR's directory records (PS3.3 Annex F, PS3.10 8.6), read with dicom-parser: which files
 * the records reference, in the order of the directory tree. Isomorphic (the mind resolves the
 * file ids against the files the operator picked; their names never leave it).
 *
 * Every record that carries a Referenced File ID (0004,1500) is followed, whatever its type:
 * PATIENT, STUDY and SERIES records normally reference no file, while IMAGE, RT DOSE, RT STRUCTURE
 * SET, RT PLAN, RT TREAT RECORD, PRESENTATION, WAVEFORM, SR DOCUMENT, KEY OBJECT DOC, SPECTROSCOPY,
 * RAW DATA, REGISTRATION, FIDUCIAL, HANGING PROTOCOL, ENCAP DOC, HL7 STRUC DOC, VALUE MAP,
 * STEREOMETRIC, PALETTE, IMPLANT, IMPLANT ASSY, IMPLANT GROUP, PLAN, MEASUREMENT, SURFACE, SURFACE
 * SCAN, TRACT, ASSESSMENT, RADIOTHERAPY, ANNOTATION, INVENTORY, PRIVATE and the retired types do,
 * as may a type newer than this list. A record of a type that names an instance but carries no
 * file id is reported (`missingFile`), not dropped silently.
 */

/** Media Storage Directory Storage: the SOP class of a DICOMDIR (PS3.10 8.6). */
export const MEDIA_STORAGE_DIRECTORY_UID = '1.2.840.10008.1.3.10';

/** Record types that group other records and reference no file of their own. */
const GROUPING_TYPES: ReadonlySet<string> = new Set(['PATIENT', 'STUDY', 'SERIES', 'TOPIC', 'VISIT', 'RESULTS', 'INTERPRETATION', 'STUDY COMPONENT', 'PRINT QUEUE', 'FILM SESSION', 'FILM BOX', 'IMAGE BOX']);

/** Largest DICOMDIR read (a CD of tens of thousands of images has one of a few MB). */
export const DICOMDIR_MAX_BYTES = 64 * 1024 * 1024;
/** Records read at most (more is not a patient CD). */
export const DICOMDIR_MAX_RECORDS = 500_000;

export interface DirectoryRecord {
  /** Position of the record in the Directory Record Sequence, from 1. */
  readonly index: number;
  /** Directory Record Type (0004,1430), e.g. IMAGE, RT DOSE, SR DOCUMENT. */
  readonly type: string;
  /** Referenced File ID (0004,1500) as its components (folder names, then the file's), or null. */
  readonly fileId: readonly string[] | null;
  /** Referenced SOP Instance UID in File (0004,1511), when given. */
  readonly sopInstanceUid?: string;
  /** A record of a type that stands for an instance, with no file id (reported, nothing to import). */
  readonly missingFile: boolean;
  /** False for a record not reached from the root through the offsets (still followed: lenient). */
  readonly linked: boolean;
}

export interface Dicomdir {
  /** Active records in directory order: the tree from the root (depth first), then unlinked ones. */
  readonly records: readonly DirectoryRecord[];
  /** Records marked inactive (Record In-use Flag 0000, retired): skipped. */
  readonly inactive: number;
}

/** Why a DICOMDIR cannot be read (no PHI: rules and positions). */
export class DicomdirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomdirError';
  }
}

/** Whether a record of this type stands for an instance (a file), rather than grouping others. */
export function typeReferencesFile(type: string): boolean {
  return !GROUPING_TYPES.has(type);
}

function describe(error: unknown): string {
  if (typeof error === 'string') return error.replace(/^dicomParser\.[A-Za-z0-9]+: /, '').slice(0, 200);
  if (typeof error === 'object' && error !== null && 'exception' in error) return describe((error as { exception: unknown }).exception);
  if (error instanceof Error) return error.message.slice(0, 200);
  return 'it could not be parsed';
}

function value(dataSet: DataSet, tag: string): string | undefined {
  const text = dataSet.string(tag)?.replace(/\0+$/, '').trim();
  return text === undefined || text === '' ? undefined : text;
}

/** An offset element (UL/UP): 0 and absent both mean "none". */
function offset(dataSet: DataSet, tag: string): number {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length !== 4) return 0;
  return dataSet.uint32(tag) ?? 0;
}

/** Reads the records of a DICOMDIR (a Part 10 file with the preamble). Throws DicomdirError. */
export function readDicomdir(bytes: Uint8Array): Dicomdir {
  if (bytes.length > DICOMDIR_MAX_BYTES) throw new DicomdirError(`The DICOMDIR is larger than ${DICOMDIR_MAX_BYTES / (1024 * 1024)} MiB.`);
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch (error) {
    throw new DicomdirError(`The DICOMDIR cannot be read: ${describe(error)}.`);
  }
  const sopClass = value(dataSet, 'x00020002');
  if (sopClass !== undefined && sopClass !== MEDIA_STORAGE_DIRECTORY_UID) throw new DicomdirError('The file is not a DICOMDIR (its Media Storage SOP Class is another).');
  const items: readonly Element[] = dataSet.elements['x00041220']?.items ?? [];
  if (items.length > DICOMDIR_MAX_RECORDS) throw new DicomdirError(`The DICOMDIR holds more than ${DICOMDIR_MAX_RECORDS} records.`);

  interface Raw {
    readonly record: Omit<DirectoryRecord, 'linked'>;
    readonly next: number;
    readonly lower: number;
    readonly active: boolean;
  }
  const raws: Raw[] = [];
  /** Item start (the byte of its (FFFE,E000) tag, counted from the preamble) → position in raws. */
  const byOffset = new Map<number, number>();
  for (const [position, item] of items.entries()) {
    const record = item.dataSet;
    if (record === undefined) continue;
    const type = (value(record, 'x00041430') ?? '').toUpperCase();
    const components = value(record, 'x00041500')
      ?.split('\\')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const fileId = components !== undefined && components.length > 0 ? components : null;
    const sopInstanceUid = value(record, 'x00041511');
    byOffset.set(item.dataOffset - 8, raws.length);
    raws.push({
      record: { index: position + 1, type, fileId, ...(sopInstanceUid !== undefined ? { sopInstanceUid } : {}), missingFile: fileId === null && typeReferencesFile(type) },
      next: offset(record, 'x00041400'),
      lower: offset(record, 'x00041420'),
      // Record In-use Flag (retired): 0000 marks a record deleted in place.
      active: record.uint16('x00041410') !== 0,
    });
  }

  const records: DirectoryRecord[] = [];
  const seen = new Set<number>();
  // Depth first from the root: each record, then its lower level, then the next at its level.
  const pending: number[] = [offset(dataSet, 'x00041200')];
  while (pending.length > 0) {
    const at = byOffset.get(pending.pop()!);
    if (at === undefined || seen.has(at)) continue;
    seen.add(at);
    const raw = raws[at]!;
    if (raw.active) records.push({ ...raw.record, linked: true });
    // Inactive records still link to the rest of their level; their lower level is gone with them.
    if (raw.next !== 0) pending.push(raw.next);
    if (raw.active && raw.lower !== 0) pending.push(raw.lower);
  }
  let inactive = 0;
  for (const [at, raw] of raws.entries()) {
    if (!raw.active) inactive += 1;
    else if (!seen.has(at)) records.push({ ...raw.record, linked: false });
  }
  return { records, inactive };
}
