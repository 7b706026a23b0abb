import { closeSync, constants, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * PGlite's folder may be opened by one process only. `<data-dir>/pglite.lock` holds the pid of the
 * process that has it open; a lock whose process is gone is taken over. (On PostgreSQL no lock is
 * needed: many processes share one database.)
 */
export const DATA_DIR_LOCK_FILE = 'pglite.lock';

export type LockResult = { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly pid: number };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the lock, if a live process does. */
export function dataDirLockHolder(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dataDir, DATA_DIR_LOCK_FILE), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function acquireDataDirLock(dataDir: string): LockResult {
  const file = path.join(dataDir, DATA_DIR_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = dataDirLockHolder(dataDir);
      if (holder !== null && holder !== process.pid) return { ok: false, pid: holder };
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`could not take ${file}`);
}
