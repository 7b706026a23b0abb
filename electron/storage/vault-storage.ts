import type { Logger } from '../logging/logger';
import { Journal, type JournalOptions } from './journal';
import { ObjectStore } from './object-store';
import { toStorageError } from './storage-errors';
import { nodeStorageFs, type StorageFs } from './storage-fs';
import { VaultObjects } from './vault-objects';
import { vaultLayout, type VaultLayout } from './vault-layout';

export interface VaultStorage {
  readonly layout: VaultLayout;
  /** Every object, inline in the journal or in an object file (see VaultObjects). */
  readonly objects: VaultObjects;
  readonly journal: Journal;
  /** Flushes and closes the journal (objects need no closing). */
  close(): Promise<void>;
}

export interface VaultStorageOptions extends Pick<JournalOptions, 'maxPendingBytes' | 'indexEvery' | 'inlineMemoryEntries'> {
  readonly fs?: StorageFs;
}

/**
 * Opens the vault's object store and journal under `<data>/vault/`, creating the folders
 * (mode 0700) if needed. Opening repairs a torn journal tail (see Journal.open) and removes
 * temp files a crash left behind.
 */
export async function openVaultStorage(dataDir: string, log: Logger, options: VaultStorageOptions = {}): Promise<VaultStorage> {
  const layout = vaultLayout(dataDir);
  const fs = options.fs ?? nodeStorageFs;
  try {
    await fs.mkdir(layout.vaultDir);
  } catch (error) {
    throw toStorageError(error, layout.vaultDir, 'creating the vault folder');
  }
  const files = await ObjectStore.open({ objectsDir: layout.objectsDir, tmpDir: layout.tmpDir, log, fs });
  const journal = await Journal.open(layout.journalDir, log, { ...options, fs });
  return { layout, objects: new VaultObjects(files, journal), journal, close: () => journal.close() };
}
