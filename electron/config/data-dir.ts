import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER_NAME = 'hdms-node';

/**
 * The per-user application-data folder of the platform, under `hdms-node` — the same folder
 * Electron's `app.getPath('appData')` would give, so the desktop app and the shell share a vault.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
): string {
  switch (platform) {
    case 'win32':
      return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
    case 'darwin':
      return path.posix.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
    default:
      return path.posix.join(env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.posix.join(home, '.config'), APP_FOLDER_NAME);
  }
}
