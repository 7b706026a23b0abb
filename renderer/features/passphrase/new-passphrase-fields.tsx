import { useId, useMemo } from 'react';
import { SecretField } from '../../app/form/text-field';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength } from './passphrase-policy';
import { StrengthMeter } from './strength-meter';

/**
 * A new passphrase and its confirmation with the live strength meter. The labels differ by form:
 * "Passphrase" / "Confirm passphrase" at setup, "New passphrase" / "Confirm new passphrase" elsewhere.
 */
export function NewPassphraseFields({
  value,
  confirmation,
  onValue,
  onConfirmation,
  labels,
  userInputs = [],
}: {
  value: string;
  confirmation: string;
  onValue: (value: string) => void;
  onConfirmation: (value: string) => void;
  labels: { readonly passphrase: string; readonly confirmation: string };
  userInputs?: readonly string[];
}) {
  const meterId = useId();
  const estimate = useMemo(() => passphraseStrength(value, userInputs), [value, userInputs]);
  return (
    <>
      <SecretField
        label={labels.passphrase}
        value={value}
        onValue={onValue}
        autoComplete="new-password"
        hint={`At least ${MIN_PASSPHRASE_LENGTH} characters. Several unrelated words are easy to remember and hard to guess.`}
        describedBy={meterId}
      />
      <StrengthMeter id={meterId} estimate={estimate} empty={value === ''} />
      <SecretField label={labels.confirmation} value={confirmation} onValue={onConfirmation} autoComplete="new-password" />
    </>
  );
}
