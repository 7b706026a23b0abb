/**
 * Which rotated log files to delete, from a folder's listing: pino-roll numbers its files
 * `<base>.<n>.<extension>` and prunes only those its own process created, so without this every
 * restart would leave its files behind for good. Age is the file number (pino-roll continues from
 * the highest on start), not the mtime, which a copy or a clock change can move. The app's body and
 * the network server both rotate this way; each lists and deletes with its own file system calls.
 */
export interface LogRetention {
  /** `hdms-node` for files named `hdms-node.<n>.log`, as pino-roll numbers them. */
  readonly base: string;
  readonly extension: string;
  /** How many numbered files to keep, the newest. */
  readonly keep: number;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The names of the oldest numbered log files beyond `keep`, oldest first; other names are never chosen. */
export function logFilesToPrune(names: readonly string[], options: LogRetention): string[] {
  const pattern = new RegExp(`^${escape(options.base)}\\.(\\d+)\\.${escape(options.extension)}$`);
  const numbered = names
    .map((name) => ({ name, number: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((file) => Number.isSafeInteger(file.number))
    .sort((a, b) => a.number - b.number);
  return numbered.slice(0, Math.max(0, numbered.length - options.keep)).map((file) => file.name);
}
