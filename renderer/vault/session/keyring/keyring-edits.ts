import type { Keyring, KeyringOperator } from '../../../../shared/ipc/vault-contract';
import type { OperatorRole } from '../../vault-service';
import {
  createKeychainSlot,
  createPassphraseSlot,
  createRecoverySlot,
  createRoleSlot,
  deriveDirectorySecret,
  formatRecoveryKey,
  generateOperatorSigningKey,
  generateRecoveryKey,
  parseRecoveryKey,
  randomBytes,
  toBase64Url,
  type KeySlot,
  type OperatorSigningKey,
  type GrantSecrets,
  type SlotSecret,
  type VaultKeys,
  zeroGrant,
} from '../../vault-crypto';
import { sealKeyring, type KeyringDraft } from './keyring-integrity';

/**
 * Building and changing the keyring (keys.json). Every function returns a new keyring tagged with
 * the master secret (keyring-integrity.ts); none of them talks to the body.
 *
 * Operator ids in the keyring and in key slots are random local account ids (16 bytes, base64url):
 * not derived from the name, so renaming stays possible and the file names nobody by id. Journal
 * events never carry them: they carry deriveOperatorId(ledgerKey, localAccountId), which nobody
 * without the vault's keys can link back to a keyring entry.
 */

/** The recovery slot opens the vault for any operator; its slot header names no account. */
export const RECOVERY_SLOT_OWNER = 'recovery';

export interface SlotParams {
  /** Tests only: PBKDF2 iterations below the 600,000 floor (never set in the app). */
  readonly testOnlyIterations?: number;
}

export function newLocalAccountId(): string {
  return toBase64Url(randomBytes(16));
}

/** Researchers and auditors hold role slots (format 3): their passphrase opens no master (design §3). */
export function isRestrictedRole(role: OperatorRole): role is 'researcher' | 'auditor' {
  return role === 'researcher' || role === 'auditor';
}

/** The secrets a restricted role's slot holds, from the master (only a session that holds it makes such slots). */
export async function grantSecretsOf(master: Uint8Array, role: 'researcher' | 'auditor'): Promise<GrantSecrets> {
  return role === 'auditor' ? { grant: 'auditor', directorySecret: await deriveDirectorySecret(master) } : { grant: 'researcher' };
}

/**
 * Every slot holds a signing key of its own (format 2, or 3 for a restricted role): the body lets
 * a connection act as the slot's owner only after a signature with it (unlock-attempts.ts).
 * Random per slot, so nobody who holds the master can sign as someone else. A researcher's or
 * auditor's slot is a role slot: it wraps only what the role may open, never the master.
 */
async function passphraseSlot(
  master: Uint8Array,
  owner: { readonly operatorId: string; readonly role: OperatorRole },
  passphrase: string,
  params: SlotParams,
  signingKey?: OperatorSigningKey,
  id?: string,
): Promise<KeySlot> {
  const key = signingKey ?? (await generateOperatorSigningKey());
  const common = {
    operatorId: owner.operatorId,
    passphrase,
    signingKey: key,
    ...(id === undefined ? {} : { id }),
    ...(params.testOnlyIterations === undefined ? {} : { testOnlyIterations: params.testOnlyIterations }),
  };
  if (!isRestrictedRole(owner.role)) return createPassphraseSlot({ master, ...common });
  const secrets = await grantSecretsOf(master, owner.role);
  try {
    return await createRoleSlot({ ...common, secrets });
  } finally {
    zeroGrant(secrets);
  }
}

/** An operator's role as the keyring says (a slot's owner); the recovery holder acts as an administrator. */
function ownerOf(keyring: Pick<Keyring, 'operators'>, operatorId: string): { operatorId: string; role: OperatorRole } {
  const operator = keyring.operators.find((o) => o.operatorId === operatorId);
  return { operatorId, role: operator?.role ?? 'admin' };
}

/**
 * The same slot (id, kind, owner, secret) re-made with `signingKey`: a format-1 slot's upgrade at
 * unlock (format 2, or a role slot for a researcher or auditor), and a restricted operator's
 * master slot re-made as a role slot.
 */
export async function remakeSlot(master: Uint8Array, keyring: Pick<Keyring, 'operators'>, slot: KeySlot, secret: SlotSecret, signingKey: OperatorSigningKey, params: SlotParams): Promise<KeySlot> {
  switch (slot.kind) {
    case 'passphrase':
      if (typeof secret !== 'string') throw new TypeError('A passphrase slot is re-made with its passphrase.');
      return passphraseSlot(master, ownerOf(keyring, slot.operatorId), secret, params, signingKey, slot.id);
    case 'recovery': {
      const recoveryKey = typeof secret === 'string' ? await parseRecoveryKey(secret) : secret;
      if (!(recoveryKey instanceof Uint8Array)) throw new TypeError('A recovery slot is re-made with the recovery key.');
      return createRecoverySlot({ master, operatorId: slot.operatorId, recoveryKey, signingKey, id: slot.id });
    }
    case 'keychain':
      if (typeof secret === 'string') throw new TypeError('A keychain slot is re-made with its key.');
      return createKeychainSlot({ master, operatorId: slot.operatorId, kek: secret, signingKey, id: slot.id });
  }
}

export interface NewKeyring {
  readonly keyring: Keyring;
  /** Shown once, never stored. */
  readonly recoveryKey: string;
  readonly adminId: string;
  /** The signing key in the admin's passphrase slot: proves the first session right after create. */
  readonly adminSigningKey: OperatorSigningKey;
}

export async function buildFirstKeyring(input: {
  readonly master: Uint8Array;
  readonly keys: VaultKeys;
  readonly operatorName: string;
  readonly passphrase: string;
  readonly params: SlotParams;
  readonly now?: Date;
}): Promise<NewKeyring> {
  const adminId = newLocalAccountId();
  const recoveryBytes = generateRecoveryKey();
  const adminSigningKey = await generateOperatorSigningKey();
  try {
    const [slot, recoverySlot, recoveryKey] = await Promise.all([
      passphraseSlot(input.master, { operatorId: adminId, role: 'admin' }, input.passphrase, input.params, adminSigningKey),
      generateOperatorSigningKey().then((signingKey) => createRecoverySlot({ master: input.master, operatorId: RECOVERY_SLOT_OWNER, recoveryKey: recoveryBytes, signingKey })),
      formatRecoveryKey(recoveryBytes),
    ]);
    const draft: KeyringDraft = {
      format: 'hdms-keyring',
      version: 1,
      vaultId: toBase64Url(randomBytes(16)),
      revision: 1,
      createdAt: (input.now ?? new Date()).toISOString(),
      intakePublicKey: toBase64Url(input.keys.intakeKeyPair.publicKeyRaw),
      operators: [{ operatorId: adminId, name: input.operatorName.trim(), role: 'admin', disabled: false }],
      slots: [slot, recoverySlot],
    };
    return { keyring: await sealKeyring(input.master, draft), recoveryKey, adminId, adminSigningKey };
  } finally {
    recoveryBytes.fill(0);
  }
}

/** The next revision of a keyring, re-tagged. */
function nextRevision(master: Uint8Array, keyring: Keyring, change: Partial<KeyringDraft>): Promise<Keyring> {
  return sealKeyring(master, { ...keyring, ...change, revision: keyring.revision + 1 });
}

/** Replaces the operator's passphrase slot(s) with one for the new passphrase. */
export async function withNewPassphrase(
  master: Uint8Array,
  keyring: Keyring,
  operatorId: string,
  passphrase: string,
  params: SlotParams,
  signingKey?: OperatorSigningKey,
): Promise<Keyring> {
  const slot = await passphraseSlot(master, ownerOf(keyring, operatorId), passphrase, params, signingKey);
  const slots = keyring.slots.filter((s) => !(s.kind === 'passphrase' && s.operatorId === operatorId));
  return nextRevision(master, keyring, { slots: [...slots, slot] });
}

export async function withNewOperator(
  master: Uint8Array,
  keyring: Keyring,
  input: { readonly name: string; readonly role: OperatorRole; readonly passphrase: string },
  params: SlotParams,
): Promise<{ keyring: Keyring; operator: KeyringOperator }> {
  const operator: KeyringOperator = { operatorId: newLocalAccountId(), name: input.name.trim(), role: input.role, disabled: false };
  const slot = await passphraseSlot(master, operator, input.passphrase, params);
  return { keyring: await nextRevision(master, keyring, { operators: [...keyring.operators, operator], slots: [...keyring.slots, slot] }), operator };
}

export function withOperatorDisabled(master: Uint8Array, keyring: Keyring, operatorId: string, disabled: boolean): Promise<Keyring> {
  return nextRevision(master, keyring, {
    operators: keyring.operators.map((o) => (o.operatorId === operatorId ? { ...o, disabled } : o)),
  });
}

export function passphraseSlotOf(keyring: Keyring, operatorId: string): KeySlot | undefined {
  return keyring.slots.find((slot) => slot.kind === 'passphrase' && slot.operatorId === operatorId);
}

export function recoverySlotOf(keyring: Keyring): KeySlot | undefined {
  return keyring.slots.find((slot) => slot.kind === 'recovery');
}

/**
 * The keychain slot ("unlock automatically on this computer", design §3): the master wrapped
 * under a random 32-byte key that the OS keychain keeps. One per vault: an unattended restart
 * opens the vault as the slot's operator, so any earlier keychain slot (of any operator) goes.
 */
export async function withKeychainSlot(master: Uint8Array, keyring: Keyring, operatorId: string, kek: Uint8Array): Promise<Keyring> {
  const slot = await createKeychainSlot({ master, operatorId, kek, signingKey: await generateOperatorSigningKey() });
  const slots = keyring.slots.filter((s) => s.kind !== 'keychain');
  return nextRevision(master, keyring, { slots: [...slots, slot] });
}

/** The keyring without any keychain slot (auto-unlock off). */
export function withoutKeychainSlot(master: Uint8Array, keyring: Keyring): Promise<Keyring> {
  return nextRevision(master, keyring, { slots: keyring.slots.filter((s) => s.kind !== 'keychain') });
}

export function keychainSlotOf(keyring: Keyring, operatorId?: string): KeySlot | undefined {
  return keyring.slots.find((slot) => slot.kind === 'keychain' && (operatorId === undefined || slot.operatorId === operatorId));
}
