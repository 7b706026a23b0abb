import path from 'node:path';
import { defaultDataDir } from '../config/data-dir';

export interface ResourceLocation {
  readonly isPackaged: boolean;
  /** `process.resourcesPath` (where electron-builder puts extraResources). */
  readonly resourcesPath: string;
  /** `app.getAppPath()` (the project folder in development). */
  readonly appPath: string;
}

/** The folder holding `tray/`, icons and other non-code resources. */
export function resourcesDir(location: ResourceLocation): string {
  return location.isPackaged ? location.resourcesPath : path.join(location.appPath, 'resources');
}

/** The built outputs, relative to out/main/main.js. */
export function buildPaths(mainDir: string): { readonly rendererDir: string; readonly preloadPath: string } {
  return {
    rendererDir: path.join(mainDir, '..', 'renderer'),
    preloadPath: path.join(mainDir, '..', 'preload', 'preload.cjs'),
  };
}

/**
 * The data folder: `--data-dir=DIR` on the command line (as for the shell; used by tests and by IT
 * for a non-default location), else the platform's per-user default shared with the shell.
 */
export function dataDirFromArgv(argv: readonly string[], fallback: () => string = () => defaultDataDir()): string {
  for (const arg of argv) {
    if (arg.startsWith('--data-dir=')) {
      const value = arg.slice('--data-dir='.length).trim();
      if (value !== '') return path.resolve(value);
    }
  }
  return fallback();
}

/**
 * Chromium's profile (IndexedDB, caches, the single-instance lock) lives inside the data folder,
 * so one folder holds everything of a node and two nodes with different data folders never share
 * a profile. Like the app origin, this location must not move once shipped: IndexedDB lives here.
 */
export function chromiumProfileDir(dataDir: string): string {
  return path.join(dataDir, 'chromium-profile');
}
