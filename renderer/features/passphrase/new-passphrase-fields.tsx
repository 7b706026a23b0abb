import { useId, useMemo } from 'react';
import { SecretField } from '../../app/form/text-field';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength, type PassphraseFieldProblems } from './passphrase-policy';
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
  problems,
  onLeave,
}: {
  value: string;
  confirmation: string;
  onValue: (value: string) => void;
  onConfirmation: (value: string) => void;
  labels: { readonly passphrase: string; readonly confirmation: string };
  userInputs?: readonly string[];
  /** Each field's problem to show under it (newPassphraseProblems), when the form shows them. */
  problems?: Partial<PassphraseFieldProblems>;
  /** A field was left (blur): forms show its problem from then on. */
  onLeave?: (field: keyof PassphraseFieldProblems) => void;
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
        problem={problems?.passphrase ?? null}
        onBlur={() => onLeave?.('passphrase')}
      />
      <StrengthMeter id={meterId} estimate={estimate} empty={value === ''} />
      <SecretField
        label={labels.confirmation}
        value={confirmation}
        onValue={onConfirmation}
        autoComplete="new-password"
        problem={problems?.confirmation ?? null}
        onBlur={() => onLeave?.('confirmation')}
      />
    </>
  );
}
