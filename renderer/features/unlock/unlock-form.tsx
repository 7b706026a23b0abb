import { useEffect, useRef, useState, type FormEvent } from 'react';
import { SecretField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import { VaultError } from '../../vault/vault-service';
import { useCountdown } from './use-countdown';

/**
 * The daily unlock: the chosen operator's passphrase. A wrong one waits a growing delay before that
 * operator's next try (the node counts failures per operator, so choosing another operator does not
 * wait). A failure names the operator it was tried for, so a wrong choice shows.
 */
export function UnlockForm({ operatorId, operatorName }: { operatorId: string; operatorName: string }) {
  const vault = useVault();
  const [passphrase, setPassphrase] = useState('');
  // Whom the last attempt was for, and who waits the delay after it.
  const [triedName, setTriedName] = useState('');
  const [waitingFor, setWaitingFor] = useState<string | null>(null);
  const field = useRef<HTMLDivElement>(null);
  const { secondsLeft, start: startWait } = useCountdown();
  const waiting = secondsLeft > 0 && waitingFor === operatorId;

  const unlock = useAction(async (input: { operatorId: string; passphrase: string }) => {
    try {
      await vault.unlock(input);
    } catch (error) {
      if (error instanceof VaultError && error.retryAfterMs > 0) {
        startWait(error.retryAfterMs);
        setWaitingFor(input.operatorId);
      }
      setPassphrase('');
      throw error;
    }
  });

  // After a failure the passphrase field is cleared; put the caret back in it.
  useEffect(() => {
    if (unlock.error !== null) field.current?.querySelector('input')?.focus();
  }, [unlock.error]);

  let problem: string | null = null;
  if (operatorId === '') problem = 'Choose an operator.';
  else if (waiting) problem = `You can try again in ${secondsLeft} s.`;
  else if (passphrase === '') problem = 'Enter your passphrase.';

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || unlock.busy) return;
    setTriedName(operatorName);
    void unlock.run({ operatorId, passphrase });
  };

  const forWhom = triedName === '' ? '' : ` for ${triedName}`;

  return (
    <form className="form" aria-label="Unlock the vault" onSubmit={submit} noValidate>
      <div ref={field}>
        <SecretField
          label="Passphrase"
          value={passphrase}
          onValue={setPassphrase}
          autoComplete="current-password"
          autoFocus={operatorId !== ''}
        />
      </div>
      {/* Right after a failure the field is empty: the failure's alert says enough (QA11 D4). */}
      <SubmitRow label="Unlock" problem={problem} showProblem={!(unlock.error !== null && passphrase === '' && !waiting)} busy={unlock.busy} busyText="Opening the vault…" />
      <ActionError
        error={unlock.error}
        wording={{
          E_WRONG_PASSPHRASE: `That passphrase did not open the vault${forWhom}. Check the operator selected.`,
          E_THROTTLED: `Too many wrong attempts${forWhom}. Wait until the countdown ends, then try again.`,
        }}
      />
    </form>
  );
}
