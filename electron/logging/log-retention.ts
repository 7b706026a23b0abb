import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface LogRetention {
  readonly dir: string;
  /** `hdms-node` for files named `hdms-node.<n>.log`, as pino-roll numbers them. */
  readonly base: string;
  readonly extension: string;
  /** How many numbered files to keep, the newest. */
  readonly keep: number;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Deletes the oldest numbered log files beyond `keep`. pino-roll prunes only the files its own
 * process created, so without this every restart would leave its files behind for good. Age is the
 * file number (pino-roll continues from the highest on start), not the mtime, which a copy or a
 * clock change can move. Returns the names removed; a file that cannot be removed is left.
 */
export async function pruneLogFiles(options: LogRetention): Promise<string[]> {
  const pattern = new RegExp(`^${escape(options.base)}\\.(\\d+)\\.${escape(options.extension)}$`);
  let names: string[];
  try {
    names = await readdir(options.dir);
  } catch {
    return [];
  }
  const numbered = names
    .map((name) => ({ name, number: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((file) => Number.isSafeInteger(file.number))
    .sort((a, b) => a.number - b.number);
  const old = numbered.slice(0, Math.max(0, numbered.length - options.keep)).map((file) => file.name);
  const removed = await Promise.allSettled(old.map((name) => unlink(path.join(options.dir, name))));
  return old.filter((_, i) => removed[i]!.status === 'fulfilled');
}
