import { createOpener, type Opener } from '../../shared/crypto/envelope';
import { createPassphraseSlot, createRecoverySlot } from '../../shared/crypto/key-slots';
import { fromBase64Url, randomBytes, toBase64Url } from '../../shared/crypto/bytes';
import { formatRecoveryKey, generateRecoveryKey } from '../../shared/crypto/recovery-key';
import { deriveVaultKeys, generateMasterSecret } from '../../shared/crypto/vault-keys';
import type { Keyring } from '../../shared/ipc/vault-contract';

/**
 * A vault keyring built in the test process with shared/crypto, the way the mind builds one, for
 * tests that drive the body over the WebSocket without a browser. Differences from the mind's:
 * the passphrase slot uses a test-only iteration count (fast), and `integrity` is random bytes
 * (the body stores it verbatim; only the mind could verify it after unlock). The test keeps the
 * intake private key, so it can open what the body sealed.
 */
export interface TestVault {
  readonly keyring: Keyring;
  readonly passphrase: string;
  readonly recoveryKey: string;
  readonly operatorId: string;
  /** Opens envelopes sealed to this vault's intake public key (journal metadata, objects). */
  readonly opener: Opener;
}

export async function buildTestKeyring(options: { passphrase?: string; operatorName?: string } = {}): Promise<TestVault> {
  const passphrase = options.passphrase ?? 'Tröpfchen-Kaskade 4711 Ozean';
  const master = generateMasterSecret();
  const keys = await deriveVaultKeys(master);
  const operatorId = toBase64Url(randomBytes(16));
  const recovery = generateRecoveryKey();
  const slots = [
    await createPassphraseSlot({ master, operatorId, passphrase, testOnlyIterations: 1000 }),
    await createRecoverySlot({ master, operatorId, recoveryKey: recovery }),
  ];
  const keyring: Keyring = {
    format: 'hdms-keyring',
    version: 1,
    vaultId: toBase64Url(randomBytes(16)),
    revision: 1,
    createdAt: new Date().toISOString(),
    intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw),
    operators: [{ operatorId, name: options.operatorName ?? 'Crash Test Operator', role: 'admin', disabled: false }],
    slots,
    integrity: toBase64Url(randomBytes(32)),
  };
  const recoveryKey = await formatRecoveryKey(recovery);
  master.fill(0);
  recovery.fill(0);
  return { keyring, passphrase, recoveryKey, operatorId, opener: createOpener(keys.intakeKeyPair.privateKey) };
}

/** Opens a base64url sealed envelope (a journal record's `meta`) and returns its plaintext. */
export async function openSealedMeta(opener: Opener, meta: string): Promise<Uint8Array> {
  return (await opener.open(fromBase64Url(meta))).plaintext;
}
