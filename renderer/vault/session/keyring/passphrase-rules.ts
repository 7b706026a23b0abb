import { VaultError } from '../../vault-service';
import { estimatePassphraseStrength, PASSPHRASE_MIN_LENGTH } from '../../vault-crypto';

/** The vault's passphrase policy (issue 3), applied by the mind whatever the form checked. */
export function checkNewPassphrase(passphrase: string, userInputs: readonly string[] = []): void {
  if (typeof passphrase !== 'string' || [...passphrase.normalize('NFC')].length < PASSPHRASE_MIN_LENGTH) {
    throw new VaultError('E_WEAK_PASSPHRASE', `The passphrase needs at least ${PASSPHRASE_MIN_LENGTH} characters.`);
  }
  if (!estimatePassphraseStrength(passphrase, { userInputs }).acceptable) {
    throw new VaultError('E_WEAK_PASSPHRASE', 'The passphrase is too easy to guess: make it longer or less predictable.');
  }
}
