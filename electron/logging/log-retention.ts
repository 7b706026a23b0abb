import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { logFilesToPrune, type LogRetention } from '../../shared/logging/log-retention';

/**
 * Deletes the oldest numbered log files of `dir` beyond `keep` (the choice: shared/logging).
 * Returns the names removed; a file that cannot be removed is left.
 */
export async function pruneLogFiles(options: LogRetention & { readonly dir: string }): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(options.dir);
  } catch {
    return [];
  }
  const old = logFilesToPrune(names, options);
  const removed = await Promise.allSettled(old.map((name) => unlink(path.join(options.dir, name))));
  return old.filter((_, i) => removed[i]!.status === 'fulfilled');
}
