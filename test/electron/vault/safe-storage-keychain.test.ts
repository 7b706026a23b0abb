import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSafeStorageKeychain, type SafeStorageLike } from '../../../electron/vault/safe-storage-keychain';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

/** A stand-in for Electron's safeStorage: XOR with a per-"account" byte, plus a marker. */
function fakeSafeStorage(options: { available?: boolean; backend?: string; account?: number } = {}): SafeStorageLike & { calls: number } {
  const mask = options.account ?? 0x5a;
  const fake = {
    calls: 0,
    isEncryptionAvailable: () => options.available ?? true,
    encryptString(text: string): Buffer {
      fake.calls++;
      return Buffer.concat([Buffer.from('v10'), Buffer.from(text, 'utf8').map((b) => b ^ mask)]);
    },
    decryptString(data: Buffer): string {
      if (!data.subarray(0, 3).equals(Buffer.from('v10'))) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      const text = Buffer.from(data.subarray(3).map((b) => b ^ mask)).toString('utf8');
      if (!text.startsWith('{')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return text;
    },
    ...(options.backend === undefined ? {} : { getSelectedStorageBackend: () => options.backend! }),
  };
  return fake;
}

describe('safeStorage keychain port', () => {
  it('stores, loads and clears one entry, encrypted by the OS, in a 0600 file', async () => {
    const file = path.join(await tempDir(), 'vault', 'keychain.bin');
    const safe = fakeSafeStorage();
    const keychain = createSafeStorageKeychain(safe, file);
    expect(keychain.available()).toBe(true);
    expect(await keychain.load()).toBeNull();
    const key = new Uint8Array(32).map((_, i) => i + 1);
    await keychain.store({ operatorId: 'op_admin-1', key });
    expect(safe.calls).toBe(1);
    const onDisk = await readFile(file);
    expect(onDisk.toString('latin1')).not.toContain('op_admin-1');
    expect(onDisk.toString('latin1')).not.toContain(Buffer.from(key).toString('base64url'));
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await keychain.load()).toEqual({ operatorId: 'op_admin-1', key });
    await keychain.clear();
    expect(await keychain.load()).toBeNull();
    await keychain.clear(); // twice is fine
  });

  it('is unavailable without OS encryption, or with the Linux basic_text backend', async () => {
    const file = path.join(await tempDir(), 'keychain.bin');
    expect(createSafeStorageKeychain(fakeSafeStorage({ available: false }), file).available()).toBe(false);
    expect(createSafeStorageKeychain(fakeSafeStorage({ backend: 'basic_text' }), file).available()).toBe(false);
    expect(createSafeStorageKeychain(fakeSafeStorage({ backend: 'gnome_libsecret' }), file).available()).toBe(true);
    await expect(createSafeStorageKeychain(fakeSafeStorage({ available: false }), file).store({ operatorId: 'op', key: new Uint8Array(32) })).rejects.toThrow(/not available/);
  });

  it('answers null for an entry another account encrypted (it no longer decrypts)', async () => {
    const file = path.join(await tempDir(), 'keychain.bin');
    await createSafeStorageKeychain(fakeSafeStorage({ account: 0x11 }), file).store({ operatorId: 'op', key: new Uint8Array(32) });
    expect(await createSafeStorageKeychain(fakeSafeStorage({ account: 0x22 }), file).load()).toBeNull();
  });
});
