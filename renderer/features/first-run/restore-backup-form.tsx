import { useId, useState, type FormEvent } from 'react';
import { SecretField, TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';

type SecretKind = 'passphrase' | 'recovery-key';

/** Restores an exported backup into this empty data folder, opened with a passphrase or the recovery key. */
export function RestoreBackupForm({ onBack }: { onBack: () => void }) {
  const vault = useVault();
  const [path, setPath] = useState('');
  const [kind, setKind] = useState<SecretKind>('passphrase');
  const [operatorName, setOperatorName] = useState('');
  const [secret, setSecret] = useState('');
  const legendId = useId();
  const restore = useAction((input: Parameters<typeof vault.restoreBackup>[0]) => vault.restoreBackup(input));

  let problem: string | null = null;
  if (path.trim() === '') problem = 'Enter the path of the backup file.';
  else if (kind === 'passphrase' && operatorName.trim() === '') problem = 'Enter the operator name the passphrase belongs to.';
  else if (secret.trim() === '') problem = kind === 'passphrase' ? 'Enter the passphrase.' : 'Enter the recovery key.';

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || restore.busy) return;
    const name = operatorName.trim();
    void restore.run({
      path: path.trim(),
      ...(name === '' ? {} : { operatorName: name }),
      secret: kind === 'passphrase' ? { passphrase: secret } : { recoveryKey: secret.trim() },
    });
  };

  const choose = (next: SecretKind): void => {
    setKind(next);
    setSecret('');
  };

  return (
    <form className="form" aria-label="Restore from a backup" onSubmit={submit} noValidate>
      <p>
        Restore a backup exported from Settings → Data into this data folder. The restored vault is the same vault:
        the same operators, passphrases and recovery key.
      </p>
      <TextField
        label="Backup file"
        value={path}
        onValue={setPath}
        autoComplete="off"
        spellCheck={false}
        hint="The full path of the .hdmsbak file, as Export backup showed it."
      />
      <fieldset className="choice-group" role="radiogroup" aria-labelledby={legendId}>
        <legend id={legendId} className="choice-group__legend">
          Open the backup
        </legend>
        <div className="choice-group__options">
          <label className="choice">
            <input type="radio" name="restore-secret" checked={kind === 'passphrase'} onChange={() => choose('passphrase')} />
            <span>With a passphrase</span>
          </label>
          <label className="choice">
            <input type="radio" name="restore-secret" checked={kind === 'recovery-key'} onChange={() => choose('recovery-key')} />
            <span>With the recovery key</span>
          </label>
        </div>
      </fieldset>
      <TextField
        label="Operator name"
        value={operatorName}
        onValue={setOperatorName}
        autoComplete="username"
        hint={kind === 'passphrase' ? 'The operator whose passphrase you enter.' : 'Optional with the recovery key.'}
      />
      {kind === 'passphrase' ? (
        <SecretField label="Passphrase" value={secret} onValue={setSecret} autoComplete="current-password" />
      ) : (
        <TextField label="Recovery key" value={secret} onValue={setSecret} autoComplete="off" spellCheck={false} className="field--mono" />
      )}
      <SubmitRow label="Restore" problem={problem} busy={restore.busy} busyText="Restoring the backup…">
        <button type="button" className="button" onClick={onBack}>
          Back
        </button>
      </SubmitRow>
      <ActionError
        error={restore.error}
        wording={{
          E_WRONG_PASSPHRASE:
            kind === 'passphrase' ? 'That passphrase did not open the backup.' : 'That recovery key did not open the backup.',
        }}
      />
    </form>
  );
}
