import { VaultError, type VaultErrorCode } from '../vault/vault-service';
import { errorMessage } from './error-note';

const DEFAULT_WORDING: Partial<Record<VaultErrorCode, string>> = {
  E_WRONG_PASSPHRASE: 'That passphrase did not open the vault.',
  E_RECOVERY_KEY_FORMAT: 'That is not a recovery key: check it for typing mistakes.',
  E_OPERATOR_DISABLED: 'This operator account is disabled. Ask an administrator to enable it.',
  // Only when the refusal has no words of its own: who may do it differs (an administrator, an
  // auditor, a clinical session), so the service's own sentence says it (QA11 D3).
  E_NOT_ALLOWED: 'Your role does not allow this.',
  E_LOCKED: 'The vault is locked. Unlock it and try again.',
};

/**
 * A vault failure in words for the action it interrupted. `wording` replaces the default text for
 * some codes; otherwise the service's own (PHI-free) message is shown.
 */
export function vaultErrorMessage(error: unknown, wording: Partial<Record<VaultErrorCode, string>> = {}): string {
  if (error instanceof VaultError) {
    if (error.code === 'E_NOT_ALLOWED' && wording[error.code] === undefined && error.message.trim() !== '') return error.message;
    const text = wording[error.code] ?? DEFAULT_WORDING[error.code];
    if (text !== undefined) return text;
  }
  return errorMessage(error);
}

/** The alert next to an action that failed; renders nothing when there is no error. */
export function ActionError({
  error,
  wording,
  id,
}: {
  error: unknown;
  wording?: Partial<Record<VaultErrorCode, string>>;
  id?: string;
}) {
  if (error === null || error === undefined) return null;
  return (
    <p role="alert" id={id} className="note note--error">
      {vaultErrorMessage(error, wording)}
    </p>
  );
}
