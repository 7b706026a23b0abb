import {
  estimatePassphraseStrength,
  PASSPHRASE_MIN_LENGTH,
  PASSPHRASE_MIN_SCORE,
  type PassphraseStrength,
} from '../../../shared/crypto/passphrase-strength';

/** The vault's passphrase policy (issue 3): at least 12 characters and a strength score of 3 or more. */
export const MIN_PASSPHRASE_LENGTH = PASSPHRASE_MIN_LENGTH;
export const MIN_PASSPHRASE_SCORE = PASSPHRASE_MIN_SCORE;

export const STRENGTH_WORDS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

/** The same estimate the vault applies, for live feedback while typing. */
export function passphraseStrength(passphrase: string, userInputs: readonly string[] = []): PassphraseStrength {
  return estimatePassphraseStrength(passphrase, { userInputs });
}

/**
 * Why a new passphrase (and its confirmation) cannot be used yet, or null when it meets the policy.
 * One reason at a time, in the order the user can fix them.
 */
export function newPassphraseProblem(passphrase: string, confirmation: string, userInputs: readonly string[] = []): string | null {
  if (passphrase === '') return 'Choose a passphrase.';
  if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) return `The passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`;
  if (!passphraseStrength(passphrase, userInputs).acceptable) return 'The passphrase is too easy to guess: make it longer or less predictable.';
  if (confirmation === '') return 'Type the passphrase again to confirm it.';
  if (confirmation !== passphrase) return 'The two passphrases do not match.';
  return null;
}

export interface PassphraseLabels {
  readonly passphrase: string;
  readonly confirmation: string;
}

/** Each field's problem with the new passphrase, with the field's label (issue 11: field-level messages). */
export interface PassphraseFieldProblems {
  readonly passphrase: string | null;
  readonly confirmation: string | null;
}

/**
 * The same policy as newPassphraseProblem, said per field: "New passphrase: needs at least 12
 * characters.", "Confirm new passphrase: does not match the new passphrase."
 */
export function newPassphraseProblems(passphrase: string, confirmation: string, labels: PassphraseLabels, userInputs: readonly string[] = []): PassphraseFieldProblems {
  let own: string | null = null;
  if (passphrase === '') own = 'must not be empty';
  else if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) own = `needs at least ${MIN_PASSPHRASE_LENGTH} characters`;
  else if (!passphraseStrength(passphrase, userInputs).acceptable) own = 'is too easy to guess; make it longer or less predictable';
  let confirm: string | null = null;
  if (confirmation === '') confirm = 'type the passphrase again to confirm it';
  else if (confirmation !== passphrase) confirm = `does not match the ${labels.passphrase.toLowerCase()}`;
  return {
    passphrase: own === null ? null : `${labels.passphrase}: ${own}.`,
    confirmation: confirm === null ? null : `${labels.confirmation}: ${confirm}.`,
  };
}
