import { ContractError } from '../../shared/ipc/errors';
import { VaultError } from './vault-service';
import { KeySlotError, RecoveryKeyError } from './vault-crypto';

/** Any failure as the VaultError the UI understands; messages stay PHI-free (they never quote input). */
export function asVaultError(error: unknown, fallback: VaultError['code'] = 'E_NODE'): VaultError {
  if (error instanceof VaultError) return error;
  if (error instanceof RecoveryKeyError) return new VaultError('E_RECOVERY_KEY_FORMAT', error.message);
  if (error instanceof KeySlotError && error.code === 'E_WRONG_SECRET') return new VaultError('E_WRONG_PASSPHRASE', error.message);
  if (error instanceof ContractError) return new VaultError(fallback, `The node refused: ${error.message}`);
  if (error instanceof Error && (error.name === 'DatabaseClosedError' || error.name === 'ReplayAborted')) {
    return new VaultError('E_LOCKED', 'The vault was locked while this was running.');
  }
  return new VaultError(fallback, error instanceof Error ? error.message : 'Unexpected failure.');
}

export const tamperedKeyring = (): VaultError =>
  new VaultError(
    'E_NODE',
    'The vault keyring failed its integrity check: the operator list or key slots were changed outside this app. Restore keys.json from a backup.',
  );
