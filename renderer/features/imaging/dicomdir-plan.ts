import { DicomdirError, MEDIA_STORAGE_DIRECTORY_UID, readDicomdir, type DirectoryRecord } from '../../../shared/dicom/dicomdir';
import { hasPart10Prefix, readFileMetaInformation } from '../../../shared/dicom/part10';
import { readWhole, type PickedFile } from './picked-file';

export type { PickedFile } from './picked-file';

/**
 * A patient CD's DICOMDIR in an import (issue 12): its records name the files of the CD. The files
 * they reference are resolved against the files the operator picked (their paths stay in the
 * mind), leniently: case, a `.dcm` suffix and the ISO 9660 `;1` version and trailing dot do not
 * matter. Referenced files are imported first, in directory order; files no record names are still
 * imported (sniffed by the body); a referenced file that is not there and a record that names no
 * file are listed with why.
 *
 * Only the head of each file is read to tell a DICOMDIR (and the DICOMDIR whole): the files to
 * import stay unread until they are sent.
 */

/**
 * How much of each chosen file is read to tell a DICOMDIR: file meta information is a few hundred
 * bytes. One that is longer reads as "not a DICOMDIR", and the body, which reads the whole file,
 * still answers that it is one.
 */
export const SNIFF_BYTES = 8 * 1024;
/** A DICOMDIR larger than this is not read (a full DVD's is a few MiB); its files are still imported. */
export const DICOMDIR_MAX_BYTES = 64 * 1024 * 1024;

/** A line of the import's results made here, without the body: the DICOMDIR and what its records lack. */
export interface DirectoryRow {
  readonly name: string;
  readonly outcome: 'directory' | 'missing' | 'no-file';
  readonly reason: string;
}

export interface DicomImportPlan {
  /** What to send to the body, in order (DICOMDIRs are not sent). */
  readonly files: readonly PickedFile[];
  readonly rows: readonly DirectoryRow[];
}

function segments(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
}

/** A path as the lenient match sees it: upper case, without `;1`, a trailing dot or `.DCM`. */
export function lenientKey(parts: readonly string[]): string {
  return parts
    .map((part) =>
      part
        .toUpperCase()
        .replace(/;\d+$/, '')
        .replace(/\.$/, '')
        .replace(/\.DCM$/, ''),
    )
    .join('/');
}

function isDicomdirName(name: string): boolean {
  const last = segments(name).at(-1) ?? '';
  return /^DICOMDIR\.?(;\d+)?$/i.test(last);
}

/**
 * Whether a file is a DICOMDIR, from its name and its first bytes (`head`, up to SNIFF_BYTES): a
 * Part 10 file named DICOMDIR, or of the Media Storage Directory SOP class. File meta information
 * beyond the head reads as "not a DICOMDIR", and the body then sniffs the file like any other.
 */
export function isDicomdir(name: string, head: Uint8Array): boolean {
  if (!hasPart10Prefix(head)) return false;
  if (isDicomdirName(name)) return true;
  try {
    return readFileMetaInformation(head).string('x00020002')?.replace(/\0+$/, '').trim() === MEDIA_STORAGE_DIRECTORY_UID;
  } catch {
    return false;
  }
}

function recordName(directory: string, record: DirectoryRecord): string {
  return `${directory}: record ${record.index} (${record.type === '' ? 'no type' : record.type})`;
}

// A folder arrives in the disk's order (hash order on ext4): files go in path order, numbers by value.
const PATH_ORDER = new Intl.Collator('en', { numeric: true });

function inPathOrder(files: readonly PickedFile[]): PickedFile[] {
  return [...files].sort((a, b) => PATH_ORDER.compare(a.name, b.name));
}

/**
 * Splits picked files into DICOMDIRs (read here) and the files to import, ordered and explained:
 * those a DICOMDIR names in its order, then the rest in path order.
 * A file that cannot be read here is left to the import, which says so on its line.
 */
export async function planDicomImport(picked: readonly PickedFile[]): Promise<DicomImportPlan> {
  const directories: PickedFile[] = [];
  for (const file of picked) {
    let head: Uint8Array;
    try {
      head = await file.read(0, Math.min(file.size, SNIFF_BYTES));
    } catch {
      continue;
    }
    if (isDicomdir(file.name, head)) directories.push(file);
  }
  if (directories.length === 0) return { files: inPathOrder(picked), rows: [] };
  const others = picked.filter((file) => !directories.includes(file));
  const byExact = new Map<string, PickedFile>();
  const byLenient = new Map<string, PickedFile>();
  for (const file of others) {
    const parts = segments(file.name);
    byExact.set(parts.join('/'), file);
    if (!byLenient.has(lenientKey(parts))) byLenient.set(lenientKey(parts), file);
  }
  const ordered: PickedFile[] = [];
  const taken = new Set<PickedFile>();
  const rows: DirectoryRow[] = [];
  for (const directory of directories) {
    const folder = segments(directory.name).slice(0, -1);
    let records: readonly DirectoryRecord[];
    try {
      if (directory.size > DICOMDIR_MAX_BYTES) throw new DicomdirError(`The DICOMDIR is larger than ${DICOMDIR_MAX_BYTES / (1024 * 1024)} MiB and was not read.`);
      records = readDicomdir(await readWhole(directory)).records;
    } catch (error) {
      const why = error instanceof DicomdirError ? error.message : 'The DICOMDIR cannot be read.';
      rows.push({ name: directory.name, outcome: 'directory', reason: `${why} The other files are imported by what they hold.` });
      continue;
    }
    let referenced = 0;
    let found = 0;
    const problems: DirectoryRow[] = [];
    for (const record of records) {
      if (record.fileId === null) {
        if (record.missingFile) problems.push({ name: recordName(directory.name, record), outcome: 'no-file', reason: 'The record stands for an instance but names no file (Referenced File ID missing): nothing to import for it.' });
        continue;
      }
      referenced += 1;
      const parts = [...folder, ...record.fileId];
      const file = byExact.get(parts.join('/')) ?? byLenient.get(lenientKey(parts));
      if (file === undefined) {
        problems.push({ name: parts.join('/'), outcome: 'missing', reason: `Named by the DICOMDIR (record ${record.index}, ${record.type}) but not among the chosen files: choose the whole folder or CD.` });
        continue;
      }
      found += 1;
      if (!taken.has(file)) {
        taken.add(file);
        ordered.push(file);
      }
    }
    const types = [...new Set(records.filter((record) => record.fileId !== null).map((record) => record.type))].sort();
    const summary = `DICOMDIR: ${records.length} ${records.length === 1 ? 'record' : 'records'}; ${referenced} ${referenced === 1 ? 'file' : 'files'} referenced${types.length > 0 ? ` (${types.join(', ')})` : ''}, ${found} found, ${referenced - found} missing.`;
    rows.push({ name: directory.name, outcome: 'directory', reason: summary }, ...problems);
  }
  // Files no record names are imported after the referenced ones (sniffed by the body).
  for (const file of inPathOrder(others)) if (!taken.has(file)) ordered.push(file);
  return { files: ordered, rows };
}
