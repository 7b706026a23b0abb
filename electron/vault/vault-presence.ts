import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { VaultStatus } from '../../shared/ipc';

/** The file a created vault always has: its wrapped keys (written by vault setup). */
export const VAULT_KEYS_FILE = path.join('vault', 'keys.json');

/**
 * Whether this data folder holds a vault. The body never holds vault secrets, so it can tell
 * "absent" from "exists" but not "unlocked": unlocking happens in the mind.
 */
export async function readVaultPresence(dataDir: string): Promise<VaultStatus> {
  try {
    await stat(path.join(dataDir, VAULT_KEYS_FILE));
    return { state: 'locked' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw error;
  }
}
