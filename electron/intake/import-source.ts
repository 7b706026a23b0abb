/**
 * Where an imported file came from, as its quarantine record's source (sealed) and the log say it:
 * its place in the operator's import when the mind told it ("file 10 of 11"; an import goes in
 * many calls, so a call's own index and count are not it: a CD of 11 files said "file 5 of 8"),
 * otherwise only that it was imported. Never a file name.
 */
export function importedFrom(position: { readonly file: number; readonly of: number } | undefined, large = false): string {
  if (position !== undefined) return `file ${position.file} of ${position.of}`;
  return large ? 'a large file imported' : 'a file imported';
}

/** The places of the files one import call sends (1-based, one per file) and the import's file count. */
export interface ImportPosition {
  readonly files: readonly number[];
  readonly of: number;
}

/** The source of the call's `index`th file. */
export function importedFileFrom(position: ImportPosition | undefined, index: number): string {
  return importedFrom(position === undefined ? undefined : { file: position.files[index]!, of: position.of });
}
