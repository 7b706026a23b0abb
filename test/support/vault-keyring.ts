import { createOpener, type Opener } from '../../shared/crypto/envelope';
import { createPassphraseSlot, createRecoverySlot } from '../../shared/crypto/key-slots';
import { fromBase64Url, randomBytes, toBase64Url } from '../../shared/crypto/bytes';
import { generateOperatorSigningKey, signSessionProof, type OperatorSigningKey } from '../../shared/crypto/operator-signing';
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
  /** The signing keys inside the admin's passphrase slot and the recovery slot (what opening them yields). */
  readonly signingKeys: { readonly passphrase: OperatorSigningKey; readonly recovery: OperatorSigningKey };
  /** The vault master secret, for tests that make further slots the way an admin's mind does. */
  readonly master: Uint8Array;
}

export async function buildTestKeyring(options: { passphrase?: string; operatorName?: string } = {}): Promise<TestVault> {
  const passphrase = options.passphrase ?? 'Tröpfchen-Kaskade 4711 Ozean';
  const master = generateMasterSecret();
  const keys = await deriveVaultKeys(master);
  const operatorId = toBase64Url(randomBytes(16));
  const recovery = generateRecoveryKey();
  const signingKeys = { passphrase: await generateOperatorSigningKey(), recovery: await generateOperatorSigningKey() };
  const slots = [
    await createPassphraseSlot({ master, operatorId, passphrase, testOnlyIterations: 1000, signingKey: signingKeys.passphrase }),
    await createRecoverySlot({ master, operatorId: 'recovery', recoveryKey: recovery, signingKey: signingKeys.recovery }),
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
  recovery.fill(0);
  return { keyring, passphrase, recoveryKey, operatorId, opener: createOpener(keys.intakeKeyPair.privateKey), signingKeys, master };
}

type Call = (method: 'vault.unlockBegin' | 'vault.unlockFinish', payload: unknown) => Promise<unknown>;

/**
 * Opens an operator session on a connection the way the mind does after opening a slot: asks the
 * body for an attempt, signs its challenge with the slot's signing key, proves it. `call` is the
 * connection's raw call (it must throw on a failed call).
 */
export async function signIn(call: Call, operatorId: string, signingKey: OperatorSigningKey, kind: 'passphrase' | 'recovery' | 'keychain' = 'passphrase'): Promise<void> {
  const begun = (await call('vault.unlockBegin', { operatorId, kind })) as { state: string; attempt: string; challenge: string; slot: { id: string } };
  if (begun.state !== 'ready') throw new Error(`unlockBegin answered ${begun.state}`);
  const signature = await signSessionProof(signingKey, fromBase64Url(begun.challenge), begun.slot.id);
  await call('vault.unlockFinish', { attempt: begun.attempt, signature: toBase64Url(signature) });
}

/** Opens a base64url sealed envelope (a journal record's `meta`) and returns its plaintext. */
export async function openSealedMeta(opener: Opener, meta: string): Promise<Uint8Array> {
  return (await opener.open(fromBase64Url(meta))).plaintext;
}
