import { afterEach } from 'vitest';
import { createIntakePipeline } from '../../../electron/intake/intake-pipeline';
import { openVaultStorage, type VaultStorage } from '../../../electron/storage/vault-storage';
import { KeyringStore } from '../../../electron/vault/keyring-store';
import { createOpener, type Sealer } from '../../../shared/crypto/envelope';
import { useTempDirs } from '../../support/temp-dir';
import { silentLogger, type FaultyFs } from '../storage/storage-test-support';
import { makeTestVault } from '../vault/vault-test-support';

/**
 * For intake pipeline tests: `setup()` makes a vault in a fresh temp folder (removed after the
 * test), opens its storage (optionally on a FaultyFs) and an intake pipeline sealing with
 * `makeSealer`, and records the sequence numbers the pipeline reports durable. Call at the top of
 * a test file (it registers the temp folders' cleanup, and closes each storage after its test:
 * a journal left open leaked its file handle to the garbage collector, as Node warned).
 */
export function useIntakePipelines(makeSealer: (intakePublicKey: Uint8Array) => Promise<Sealer>) {
  const tempDir = useTempDirs();
  const opened: VaultStorage[] = [];
  // Registered after the temp folders' cleanup, so it runs before it (vitest runs after-hooks as a stack).
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
  });

  async function setup(options: { fs?: FaultyFs } = {}) {
    const dataDir = await tempDir();
    const vault = await makeTestVault();
    await new KeyringStore(dataDir).create(vault.keyring);
    const storage: VaultStorage = await openVaultStorage(dataDir, silentLogger(), options.fs === undefined ? {} : { fs: options.fs });
    opened.push(storage);
    const sealer = await makeSealer(vault.keys.intakeKeyPair.publicKeyRaw);
    const durable: number[] = [];
    const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer, onDurable: (seq) => durable.push(seq) });
    const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
    return { dataDir, storage, pipeline, opener, durable };
  }

  return { tempDir, setup };
}
