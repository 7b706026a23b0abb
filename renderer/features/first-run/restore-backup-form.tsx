import { useEffect, useId, useState, type FormEvent } from 'react';
import type { BackupListing } from '../../../shared/ipc/vault-contract';
import { useApi } from '../../app/api-context';
import { useAppInfo } from '../../app/app-info-context';
import { formatBytes } from '../settings/format-bytes';
import { SecretField, TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';

type SecretKind = 'passphrase' | 'recovery-key';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** The backups the node finds in its backup folders (the destination and `<data>/backups/`), newest first. */
function useBackupList(): readonly BackupListing[] | null {
  const api = useApi();
  const [backups, setBackups] = useState<readonly BackupListing[] | null>(null);
  useEffect(() => {
    let current = true;
    api.backup.list({}).then(
      (answer) => {
        if (current) setBackups(answer.backups);
      },
      () => {
        if (current) setBackups([]);
      },
    );
    return () => {
      current = false;
    };
  }, [api]);
  return backups;
}

function listingLabel(backup: BackupListing): string {
  const made = backup.createdAt === null ? 'damaged or not a backup' : when.format(new Date(backup.createdAt));
  return `${backup.name} — ${made}, ${formatBytes(backup.bytes)}`;
}

/** Restores an exported backup into this empty data folder, opened with a passphrase or the recovery key. */
export function RestoreBackupForm({ onBack }: { onBack: () => void }) {
  const vault = useVault();
  const api = useApi();
  const info = useAppInfo();
  const backups = useBackupList();
  const listId = useId();
  const [path, setPath] = useState('');
  const [kind, setKind] = useState<SecretKind>('passphrase');
  const [operatorName, setOperatorName] = useState('');
  const [secret, setSecret] = useState('');
  const legendId = useId();
  const restore = useAction((input: Parameters<typeof vault.restoreBackup>[0]) => vault.restoreBackup(input));
  const chooseFile = useAction(async () => {
    const chosen = await api.backup.choose({ what: 'file' });
    if (chosen.path !== null) setPath(chosen.path);
  });

  let problem: string | null = null;
  if (path.trim() === '') problem = 'Enter the path of the backup file.';
  else if (!path.trim().toLowerCase().endsWith('.hdmsbak')) problem = 'A backup file’s name ends in .hdmsbak.';
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
      {backups !== null && backups.length > 0 && (
        <div className="field">
          <label htmlFor={listId} className="field__label">
            Backups found
          </label>
          <select
            id={listId}
            className="input select"
            value={backups.some((b) => b.path === path) ? path : ''}
            onChange={(event) => setPath(event.target.value)}
          >
            <option value="">Pick a backup, or give its path below</option>
            {backups.map((backup) => (
              <option key={backup.path} value={backup.path} disabled={backup.createdAt === null}>
                {listingLabel(backup)}
              </option>
            ))}
          </select>
          <p className="field__hint">The backups in this node’s backup folder, newest first.</p>
        </div>
      )}
      <TextField
        label="Backup file"
        value={path}
        onValue={setPath}
        autoComplete="off"
        spellCheck={false}
        hint="The full path of the .hdmsbak file, as Export backup or the schedule wrote it."
      />
      {info.host === 'electron' && (
        <div className="form-actions">
          <button type="button" className="button" disabled={chooseFile.busy} onClick={() => void chooseFile.run()}>
            Choose file…
          </button>
        </div>
      )}
      <ActionError error={chooseFile.error} />
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
