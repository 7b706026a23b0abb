import { useMemo, useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblem } from '../passphrase/passphrase-policy';

export interface CreateVaultInput {
  readonly operatorName: string;
  readonly passphrase: string;
}

/** The first operator (an administrator) names themself and chooses the passphrase. */
export function CreateVaultForm({ onCreate }: { onCreate: (input: CreateVaultInput) => Promise<void> }) {
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const create = useAction(onCreate);
  const userInputs = useMemo(() => name.split(/\s+/), [name]);

  const problem = name.trim() === '' ? 'Enter your name.' : newPassphraseProblem(passphrase, confirmation, userInputs);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || create.busy) return;
    void create.run({ operatorName: name.trim(), passphrase });
  };

  return (
    <form className="form" aria-label="Create the vault" onSubmit={submit} noValidate>
      <TextField
        label="Your name"
        value={name}
        onValue={setName}
        autoComplete="name"
        hint="You become the vault’s first operator, an administrator. Colleagues get their own accounts later."
      />
      <NewPassphraseFields
        value={passphrase}
        confirmation={confirmation}
        onValue={setPassphrase}
        onConfirmation={setConfirmation}
        labels={{ passphrase: 'Passphrase', confirmation: 'Confirm passphrase' }}
        userInputs={userInputs}
      />
      <SubmitRow label="Create vault" problem={problem} busy={create.busy} busyText="Creating the vault…" />
      <ActionError error={create.error} />
    </form>
  );
}
