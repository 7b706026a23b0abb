import path from 'node:path';

/**
 * Where the vault lives inside the data folder (design §2). Backup = copy `<data>/vault/`.
 *
 *   <data>/vault/keys.json            wrapped keys (vault setup)
 *   <data>/vault/journal/journal.hdj  the append-only journal
 *   <data>/vault/objects/ab/cdef…     sealed objects named by the SHA-256 of their bytes
 *   <data>/vault/tmp/                 temp files, same filesystem so rename is atomic
 */
export interface VaultLayout {
  readonly vaultDir: string;
  readonly keysFile: string;
  readonly journalDir: string;
  readonly journalFile: string;
  readonly objectsDir: string;
  readonly tmpDir: string;
}

export const JOURNAL_FILE_NAME = 'journal.hdj';

export function vaultLayout(dataDir: string): VaultLayout {
  const vaultDir = path.join(dataDir, 'vault');
  const journalDir = path.join(vaultDir, 'journal');
  return {
    vaultDir,
    keysFile: path.join(vaultDir, 'keys.json'),
    journalDir,
    journalFile: path.join(journalDir, JOURNAL_FILE_NAME),
    objectsDir: path.join(vaultDir, 'objects'),
    tmpDir: path.join(vaultDir, 'tmp'),
  };
}
