import type { Keyring, KeyringOperator } from '../../../shared/ipc/vault-contract';
import { passphraseSlotOf, recoverySlotOf } from '../session/keyring/keyring-edits';
import { asVaultError } from '../vault-errors';
import { VaultError } from '../vault-service';
import { KeySlotError, parseRecoveryKey, unwrapSlot } from '../vault-crypto';

/** Refusals the restore form shows under the field they concern (restore-backup-form.tsx). */
export const BACKUP_REFUSALS = {
  noOperator: 'No enabled operator of that name in the backup.',
  passphrase: 'The backup does not open with that passphrase.',
  recoveryKey: 'The backup does not open with that recovery key.',
  /** Thrown with E_NO_ERASURE_REGISTER before anything is restored (README "A restore re-applies erasures"). */
  noErasureRegister:
    'No erasure register is beside this backup file, so erasures made after the backup cannot be checked: a patient erased since would come back. Choose the erasure register (hdms-erasure-register.json, kept beside the backups in the backup destination), or restore without it.',
} as const;

/**
 * The master of a backup's keyring: with a passphrase, each enabled operator's passphrase slot
 * (only those named `operatorName`, when given) until one opens; with the recovery key, the
 * recovery slot, and the session's operator is the one named, else the first enabled admin.
 */
export async function openBackupKeyring(
  keyring: Keyring,
  operatorName: string | undefined,
  secret: { readonly passphrase: string } | { readonly recoveryKey: string },
): Promise<{ master: Uint8Array; operator: KeyringOperator }> {
  const wanted = operatorName?.trim().toLowerCase();
  const named = keyring.operators.filter((o) => !o.disabled && (wanted === undefined || wanted === '' || o.name.toLowerCase() === wanted));
  if (named.length === 0) throw new VaultError('E_BACKUP', BACKUP_REFUSALS.noOperator);
  if ('passphrase' in secret) {
    for (const operator of named) {
      const slot = passphraseSlotOf(keyring, operator.operatorId);
      if (slot === undefined) continue;
      try {
        return { master: await unwrapSlot(slot, secret.passphrase), operator };
      } catch (error) {
        if (!(error instanceof KeySlotError)) throw asVaultError(error, 'E_BACKUP');
      }
    }
    throw new VaultError('E_BACKUP', BACKUP_REFUSALS.passphrase);
  }
  const key = await parseRecoveryKey(secret.recoveryKey).catch((error: unknown) => {
    throw asVaultError(error);
  });
  try {
    const slot = recoverySlotOf(keyring);
    if (slot === undefined) throw new VaultError('E_BACKUP', 'The backup has no recovery key slot.');
    const master = await unwrapSlot(slot, key).catch(() => {
      throw new VaultError('E_BACKUP', BACKUP_REFUSALS.recoveryKey);
    });
    const operator = wanted === undefined || wanted === '' ? (named.find((o) => o.role === 'admin') ?? named[0]!) : named[0]!;
    return { master, operator };
  } finally {
    key.fill(0);
  }
}
