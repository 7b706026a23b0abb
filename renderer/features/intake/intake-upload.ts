import type { HdmsApi } from '../../../shared/ipc/contract';
import type { IntakeImportAnswer } from '../../../shared/ipc/hl7-contract';
import { INTAKE_FILE_MAX_BYTES, INTAKE_IMPORT_MAX_BYTES, INTAKE_IMPORT_MAX_FILES, type Hl7Charset, type IntakeMessageResult } from '../../../shared/ipc/intake-contract';
import { withBytes } from '../../vault/intake-bytes';

export { CHUNK_BYTES, withBytes } from '../../vault/intake-bytes';

export interface ImportFile {
  /** The path within a dropped folder, or the file's name: shown in the results only (never sent). */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** One row of the import's result list: a message, or a file that could not be imported at all. */
export interface ImportRow {
  readonly fileName: string;
  /** The file's place in the whole import (1-based) and how many files it had: "file 3 of 40", as a quarantined file's sender reads. */
  readonly place: number;
  readonly of: number;
  readonly result: IntakeMessageResult | null;
  /** For a file without a result: why (empty, not HL7, too large, the call failed). */
  readonly problem?: string;
}

/** Splits files into imports of at most INTAKE_IMPORT_MAX_BYTES and INTAKE_IMPORT_MAX_FILES each. */
export function planImports(files: readonly ImportFile[]): { readonly batches: ImportFile[][]; readonly tooLarge: ImportFile[] } {
  const batches: ImportFile[][] = [];
  const tooLarge: ImportFile[] = [];
  let current: ImportFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (file.bytes.length > INTAKE_FILE_MAX_BYTES) {
      tooLarge.push(file);
      continue;
    }
    if (current.length > 0 && (bytes + file.bytes.length > INTAKE_IMPORT_MAX_BYTES || current.length >= INTAKE_IMPORT_MAX_FILES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.bytes.length;
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}

/**
 * Imports the files batch by batch; results come back by file index and are matched to the file
 * names here (names never leave the mind). `onProgress` hears the files done so far.
 */
export async function importHl7Files(
  api: Pick<HdmsApi, 'intake' | 'hl7'>,
  files: readonly ImportFile[],
  options: { readonly charset?: Hl7Charset; readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportRow[]> {
  const { batches, tooLarge } = planImports(files);
  // Each file's place in the whole import (1-based): the body records it as a quarantined
  // message's source, so it must not be the file's place in one call.
  const places = new Map(files.map((file, index) => [file, index + 1]));
  const of = files.length;
  const rows: ImportRow[] = tooLarge.map((file) => ({ fileName: file.name, place: places.get(file)!, of, result: null, problem: `Larger than ${INTAKE_FILE_MAX_BYTES / (1024 * 1024)} MiB: not imported.` }));
  let done = 0;
  for (const batch of batches) {
    let answer: IntakeImportAnswer;
    try {
      answer = await withBytes(
        api,
        batch.map((file) => file.bytes),
        (carrier) => api.hl7.importFiles({ ...carrier, ...(options.charset === undefined ? {} : { charset: options.charset }), position: { files: batch.map((file) => places.get(file)!), of: files.length } }),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : 'The import failed.';
      for (const file of batch) rows.push({ fileName: file.name, place: places.get(file)!, of, result: null, problem: message });
      done += batch.length;
      options.onProgress?.(done, files.length);
      continue;
    }
    const empty = new Set(answer.emptyFiles);
    const byFile = new Map<number, IntakeMessageResult[]>();
    for (const result of answer.results) {
      const list = byFile.get(result.file);
      if (list === undefined) byFile.set(result.file, [result]);
      else list.push(result);
    }
    for (const [index, file] of batch.entries()) {
      const place = places.get(file)!;
      if (empty.has(index)) rows.push({ fileName: file.name, place, of, result: null, problem: 'No HL7 message found in this file.' });
      for (const result of byFile.get(index) ?? []) rows.push({ fileName: file.name, place, of, result });
    }
    done += batch.length;
    options.onProgress?.(done, files.length);
  }
  // In the order of the files (a file too large to send is listed at its place, not first).
  return rows.sort((a, b) => a.place - b.place);
}
