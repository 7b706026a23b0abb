import { useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblem } from '../passphrase/passphrase-policy';

/** Every passphrase forgotten: the recovery key opens the vault and the operator chooses a new passphrase. */
export function RecoveryForm({ operatorId }: { operatorId: string }) {
  const vault = useVault();
  const [recoveryKey, setRecoveryKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const recover = useAction((input: { operatorId: string; recoveryKey: string; newPassphrase: string }) => vault.recover(input));

  let problem: string | null = null;
  if (operatorId === '') problem = 'Choose an operator.';
  else if (recoveryKey.trim() === '') problem = 'Enter the recovery key.';
  else problem = newPassphraseProblem(passphrase, confirmation);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || recover.busy) return;
    void recover.run({ operatorId, recoveryKey: recoveryKey.trim(), newPassphrase: passphrase });
  };

  return (
    <form className="form" aria-label="Recover with the recovery key" onSubmit={submit} noValidate>
      <TextField
        label="Recovery key"
        value={recoveryKey}
        onValue={setRecoveryKey}
        autoComplete="off"
        spellCheck={false}
        autoCapitalize="characters"
        className="field--mono"
        hint="The key shown once when the vault was created. Spaces and dashes do not matter."
      />
      <NewPassphraseFields
        value={passphrase}
        confirmation={confirmation}
        onValue={setPassphrase}
        onConfirmation={setConfirmation}
        labels={{ passphrase: 'New passphrase', confirmation: 'Confirm new passphrase' }}
      />
      <SubmitRow label="Recover" problem={problem} busy={recover.busy} busyText="Opening the vault…" />
      <ActionError error={recover.error} wording={{ E_WRONG_PASSPHRASE: 'That recovery key did not open the vault.' }} />
    </form>
  );
}
