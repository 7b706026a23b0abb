import { useMemo, useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblem } from '../passphrase/passphrase-policy';
import { AutoUnlockCheckbox, useAutoUnlockAvailable } from './auto-unlock-checkbox';

export interface CreateVaultInput {
  readonly operatorName: string;
  readonly passphrase: string;
  /** Set (true) only when the host offers an OS keychain and the administrator ticked the box. */
  readonly autoUnlock?: boolean;
}

/**
 * The first operator (an administrator) names themself and chooses the passphrase; where the host
 * has an OS keychain (Electron), they may also let this computer unlock the vault by itself.
 */
export function CreateVaultForm({ onCreate }: { onCreate: (input: CreateVaultInput) => Promise<void> }) {
  const vault = useVault();
  const keychain = useAutoUnlockAvailable(vault) === true;
  const [autoUnlock, setAutoUnlock] = useState(false);
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const create = useAction(onCreate);
  const userInputs = useMemo(() => name.split(/\s+/), [name]);

  const problem = name.trim() === '' ? 'Enter your name.' : newPassphraseProblem(passphrase, confirmation, userInputs);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || create.busy) return;
    void create.run({ operatorName: name.trim(), passphrase, ...(keychain && autoUnlock ? { autoUnlock: true } : {}) });
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
      {keychain && <AutoUnlockCheckbox checked={autoUnlock} onChange={setAutoUnlock} disabled={create.busy} />}
      <SubmitRow label="Create vault" problem={problem} busy={create.busy} busyText="Creating the vault…" />
      <ActionError error={create.error} />
    </form>
  );
}
