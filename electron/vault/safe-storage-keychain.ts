import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readFileIfExists, syncDir, writeFileAtomic } from '../storage/durable-files';
import type { KeychainEntry, KeychainPort } from './keychain';

/**
 * The part of Electron's `safeStorage` this port uses (structurally typed, so this module needs no
 * electron import; main.ts passes the real object).
 */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: 'basic_text' means a hard-coded key, which is no protection at all. */
  getSelectedStorageBackend?(): string;
}

const EntrySchema = z.strictObject({
  v: z.literal(1),
  operatorId: z.string().min(1).max(256),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/**
 * A KeychainPort over Electron's safeStorage (DPAPI on Windows, the Keychain on macOS, libsecret
 * or kwallet on Linux): the entry is encrypted by the OS for this user account and written to
 * `file` (normally `<data>/vault/keychain.bin`, mode 0600). Only the same user on the same
 * computer can decrypt it, which is the point of "unlock automatically on this computer".
 */
export function createSafeStorageKeychain(safeStorage: SafeStorageLike, file: string): KeychainPort {
  const available = (): boolean => {
    try {
      if (!safeStorage.isEncryptionAvailable()) return false;
      return safeStorage.getSelectedStorageBackend?.() !== 'basic_text';
    } catch {
      return false;
    }
  };
  return {
    available,
    async store(entry: KeychainEntry) {
      if (!available()) throw new Error('The OS keychain is not available.');
      if (entry.key.length !== 32) throw new RangeError('A keychain key is 32 bytes.');
      const json = JSON.stringify({ v: 1, operatorId: entry.operatorId, key: Buffer.from(entry.key).toString('base64url') });
      await writeFileAtomic(file, safeStorage.encryptString(json));
    },
    async load() {
      const encrypted = await readFileIfExists(file);
      if (encrypted === null || !available()) return null;
      let text: string;
      try {
        text = safeStorage.decryptString(encrypted);
      } catch {
        // Another user account or a reinstalled OS keychain: the entry no longer opens.
        return null;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return null;
      }
      const parsed = EntrySchema.safeParse(json);
      if (!parsed.success) return null;
      return { operatorId: parsed.data.operatorId, key: new Uint8Array(Buffer.from(parsed.data.key, 'base64url')) };
    },
    async clear() {
      try {
        await unlink(file);
        await syncDir(path.dirname(file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}
