import { useEffect, useId, useRef, useState, type FocusEvent, type FormEvent } from 'react';
import type { BackupListing } from '../../../shared/ipc/vault-contract';
import { useApi } from '../../app/api-context';
import { useAppInfo } from '../../app/app-info-context';
import { formatBytes } from '../settings/format-bytes';
import { SecretField, TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useVisited } from '../../app/form/use-visited';
import { BACKUP_REFUSALS } from '../../vault/backup/backup-keyring';
import { VaultError, type RestoreBackupInput } from '../../vault/vault-service';

type SecretKind = 'passphrase' | 'recovery-key';
type RestoreField = 'path' | 'operatorName' | 'secret';

/** A refusal of the restore that concerns one field, in words under it; null for any other (a damaged file). */
function refusedField(error: unknown, secretLabel: string): { field: RestoreField; message: string } | null {
  if (!(error instanceof VaultError)) return null;
  if (error.code === 'E_RECOVERY_KEY_FORMAT') return { field: 'secret', message: 'Recovery key: is not a recovery key; check it for typing mistakes.' };
  if (error.code === 'E_WRONG_PASSPHRASE') return { field: 'secret', message: `${secretLabel}: did not open the backup.` };
  if (error.code !== 'E_BACKUP') return null;
  if (error.message === BACKUP_REFUSALS.noOperator) return { field: 'operatorName', message: 'Operator name: no enabled operator of that name is in the backup.' };
  if (error.message === BACKUP_REFUSALS.passphrase || error.message === BACKUP_REFUSALS.recoveryKey) return { field: 'secret', message: `${secretLabel}: did not open the backup.` };
  // The body's refusals of the path (backup-paths.ts), at the field, in its words (QA s32 #10).
  if (error.message.startsWith('path: ')) return { field: 'path', message: `Backup file: ${error.message.slice('path: '.length)}` };
  if (error.message === 'No backup file at that path.') return { field: 'path', message: 'Backup file: there is no backup file at that path.' };
  return null;
}

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/**
 * The backups the node finds: in its backup folders (the destination and `<data>/backups/`) at
 * first, then in the folder the user names (tester T2 F9: a stick or a share on a new computer,
 * where the browser shell has no file dialog). Newest first; `problem` is the body's refusal of the
 * folder, in its words.
 */
function useBackupList(): {
  backups: readonly BackupListing[] | null;
  listed: string | null;
  problem: string | null;
  busy: boolean;
  listFolder: (folder: string) => void;
} {
  const api = useApi();
  const [backups, setBackups] = useState<readonly BackupListing[] | null>(null);
  const [listed, setListed] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);
  useEffect(() => {
    let current = true;
    api.backup.list({}).then(
      (answer) => {
        if (current && asked.current === 0) setBackups(answer.backups);
      },
      () => {
        if (current && asked.current === 0) setBackups([]);
      },
    );
    return () => {
      current = false;
    };
  }, [api]);
  const listFolder = (folder: string): void => {
    const ask = ++asked.current;
    setBusy(true);
    setProblem(null);
    api.backup.list({ folder }).then(
      (answer) => {
        if (ask !== asked.current) return;
        setBackups(answer.backups);
        setListed(folder);
        setBusy(false);
      },
      (error: unknown) => {
        if (ask !== asked.current) return;
        const message = error instanceof Error ? error.message : '';
        setProblem(message.startsWith('folder: ') ? `Backup folder: ${message.slice('folder: '.length)}` : 'Backup folder: the backups in it could not be listed.');
        setBusy(false);
      },
    );
  };
  return { backups, listed, problem, busy, listFolder };
}

/** Date and size before the name: the closed list is narrow (1,000 px window) and a scheduled backup's name alone fills it. */
function listingLabel(backup: BackupListing): string {
  const made = backup.createdAt === null ? 'Damaged or not a backup' : when.format(new Date(backup.createdAt));
  return `${made}, ${formatBytes(backup.bytes)} — ${backup.name}`;
}

/** Restores an exported backup into this empty data folder, opened with a passphrase or the recovery key. */
export function RestoreBackupForm({ onBack, onRestore }: { onBack: () => void; onRestore: (input: RestoreBackupInput) => Promise<void> }) {
  const api = useApi();
  const info = useAppInfo();
  const { backups, listed, problem: folderProblem, busy: listing, listFolder } = useBackupList();
  const listId = useId();
  const [folder, setFolder] = useState('');
  const [path, setPath] = useState('');
  const [kind, setKind] = useState<SecretKind>('passphrase');
  const [operatorName, setOperatorName] = useState('');
  const [secret, setSecret] = useState('');
  const legendId = useId();
  // No erasure register beside the chosen file (the restore refused with E_NO_ERASURE_REGISTER):
  // the register's path, or the admin's word to go on without it.
  const [registerAsked, setRegisterAsked] = useState(false);
  const [register, setRegister] = useState('');
  const [withoutRegister, setWithoutRegister] = useState(false);
  const withoutId = useId();
  // The chosen file's clear date differs from its sealed one (E_BACKUP_LABEL_ALTERED, H6 F5): the
  // body's words with both dates, and the admin's word to restore it anyway.
  const [altered, setAltered] = useState<string | null>(null);
  const [acceptAltered, setAcceptAltered] = useState(false);
  const acceptId = useId();
  const restore = useAction(async (input: RestoreBackupInput) => {
    try {
      await onRestore(input);
    } catch (error) {
      if (error instanceof VaultError && error.code === 'E_NO_ERASURE_REGISTER') setRegisterAsked(true);
      if (error instanceof VaultError && error.code === 'E_BACKUP_LABEL_ALTERED') setAltered(error.message);
      throw error;
    }
  });
  const setPathAndAsk = (value: string): void => {
    setPath(value);
    // Another file may have its register beside it: asked again only if it has not.
    setRegisterAsked(false);
    setRegister('');
    setWithoutRegister(false);
    // The word to restore anyway was for the file that was named.
    setAltered(null);
    setAcceptAltered(false);
  };
  const chooseFile = useAction(async () => {
    const chosen = await api.backup.choose({ what: 'file' });
    if (chosen.path !== null) setPathAndAsk(chosen.path);
  });
  const chooseRegister = useAction(async () => {
    const chosen = await api.backup.choose({ what: 'register' });
    if (chosen.path !== null) {
      setRegister(chosen.path);
      setWithoutRegister(false);
    }
  });
  const noRegister = restore.error instanceof VaultError && restore.error.code === 'E_NO_ERASURE_REGISTER';
  const labelAltered = restore.error instanceof VaultError && restore.error.code === 'E_BACKUP_LABEL_ALTERED';

  // Each field's problem with its label: an empty one once it was left, a wrong one at once.
  const { visit, shown, revealed, attempt } = useVisited<RestoreField>();
  const secretLabel = kind === 'passphrase' ? 'Passphrase' : 'Recovery key';
  const problems: Record<RestoreField, string | null> = {
    // No check of the name: the node knows a backup by its first bytes (a copy renamed .bak is one).
    path: path.trim() === '' ? 'Backup file: must not be empty.' : null,
    operatorName: kind === 'passphrase' && operatorName.trim() === '' ? 'Operator name: needed with a passphrase (the operator it belongs to).' : null,
    secret: secret.trim() === '' ? `${secretLabel}: must not be empty.` : null,
  };
  const registerProblem =
    registerAsked && register.trim() !== '' && !register.trim().toLowerCase().endsWith('.json')
      ? 'Erasure register: the register is a .json file (hdms-erasure-register.json).'
      : null;
  const problem = problems.path ?? problems.operatorName ?? problems.secret ?? registerProblem;
  // Beside Restore only once it was pressed: an untouched form greets nobody with "must not be empty" (H8 F16).
  const buttonProblem = revealed(problems) ?? registerProblem;
  const refused = refusedField(restore.error, secretLabel);
  const problemOf = (field: RestoreField): string | null => {
    if (refused?.field === field) return refused.message;
    return field === 'path' && problems.path !== null && path.trim() !== '' ? problems.path : shown(field, problems[field]);
  };

  // A field left for Back, or for anything outside the form, shows no problem: the line it would
  // add moves Back under the pointer between press and release, and the click is lost (QA s32 #5).
  // Leaving for another field of the form (or for nothing focusable) shows it as before.
  const leave =
    (field: RestoreField) =>
    (event: FocusEvent<HTMLInputElement>): void => {
      const to = event.relatedTarget;
      if (to instanceof Element && (to.hasAttribute('data-back') || !(event.currentTarget.form?.contains(to) ?? false))) return;
      visit(field);
    };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null) attempt();
    if (problem !== null || restore.busy) return;
    const name = operatorName.trim();
    void restore.run({
      path: path.trim(),
      ...(name === '' ? {} : { operatorName: name }),
      secret: kind === 'passphrase' ? { passphrase: secret } : { recoveryKey: secret.trim() },
      ...(registerAsked && register.trim() !== '' ? { erasureRegister: register.trim() } : {}),
      ...(registerAsked && register.trim() === '' && withoutRegister ? { withoutErasureRegister: true } : {}),
      ...(altered !== null && acceptAltered ? { acceptAlteredLabel: true } : {}),
    });
  };

  const choose = (next: SecretKind): void => {
    setKind(next);
    setSecret('');
    restore.clearError();
  };
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    restore.clearError();
  };

  return (
    <form className="form" aria-label="Restore from a backup" onSubmit={submit} noValidate>
      <p>
        Restore a backup made under Settings › Data › Backup into this data folder. The restored vault is the same vault:
        the same operators, passphrases and recovery key.
      </p>
      <TextField
        label="Backup folder"
        value={folder}
        onValue={setFolder}
        autoComplete="off"
        spellCheck={false}
        hint="The full path of the folder the backups are in (a USB stick, a network share), to list them below."
        problem={folderProblem}
      />
      <div className="form-actions">
        <button type="button" className="button" disabled={listing || folder.trim() === ''} onClick={() => listFolder(folder.trim())}>
          List backups
        </button>
      </div>
      {listed !== null && backups !== null && backups.length === 0 && (
        <p className="field__hint" role="status">
          No backup in that folder (a backup is known by its first bytes, whatever its name).
        </p>
      )}
      {backups !== null && backups.length > 0 && (
        <div className="field">
          <label htmlFor={listId} className="field__label">
            Backups found
          </label>
          <select
            id={listId}
            className="input select"
            value={backups.some((b) => b.path === path) ? path : ''}
            onChange={(event) => edit(setPathAndAsk)(event.target.value)}
          >
            <option value="">Pick a backup, or give its path below</option>
            {backups.map((backup) => (
              <option key={backup.path} value={backup.path} disabled={backup.createdAt === null}>
                {listingLabel(backup)}
              </option>
            ))}
          </select>
          <p className="field__hint">
            {/* The list is read before any key is given: a file's date is checked only when it is opened (H6 F5). */}
            {listed === null ? 'The backups in this node’s backup folder, newest first.' : `The backups in ${listed}, newest first.`} Dates as written in each file; checked when
            you open one.
          </p>
        </div>
      )}
      <TextField
        label="Backup file"
        value={path}
        onValue={edit(setPathAndAsk)}
        autoComplete="off"
        spellCheck={false}
        hint="The full path of the .hdmsbak file, as Export backup or the schedule wrote it (a copy under another name is read by its content)."
        problem={problemOf('path')}
        onBlur={leave('path')}
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
        onValue={edit(setOperatorName)}
        autoComplete="username"
        hint={kind === 'passphrase' ? 'The operator whose passphrase you enter.' : 'Optional with the recovery key.'}
        problem={problemOf('operatorName')}
        onBlur={leave('operatorName')}
      />
      {kind === 'passphrase' ? (
        <SecretField label="Passphrase" value={secret} onValue={edit(setSecret)} autoComplete="current-password" problem={problemOf('secret')} onBlur={leave('secret')} />
      ) : (
        <TextField
          label="Recovery key"
          value={secret}
          onValue={edit(setSecret)}
          autoComplete="off"
          spellCheck={false}
          className="field--mono"
          problem={problemOf('secret')}
          onBlur={leave('secret')}
        />
      )}
      {registerAsked && (
        <section className="note note--warn" aria-label="No erasure register beside the backup">
          <p role="alert">{BACKUP_REFUSALS.noErasureRegister}</p>
          <TextField
            label="Erasure register"
            value={register}
            onValue={(value) => {
              setRegister(value);
              if (value.trim() !== '') setWithoutRegister(false);
              restore.clearError();
            }}
            autoComplete="off"
            spellCheck={false}
            hint="The full path of hdms-erasure-register.json from the folder the backups were written to. The erasures it lists are applied again to the restored vault."
            problem={registerProblem}
          />
          {info.host === 'electron' && (
            <div className="form-actions">
              <button type="button" className="button" disabled={chooseRegister.busy} onClick={() => void chooseRegister.run()}>
                Choose register…
              </button>
            </div>
          )}
          <ActionError error={chooseRegister.error} />
          <label className="choice" htmlFor={withoutId}>
            <input
              id={withoutId}
              type="checkbox"
              checked={withoutRegister}
              disabled={register.trim() !== ''}
              onChange={(event) => {
                setWithoutRegister(event.target.checked);
                restore.clearError();
              }}
            />
            <span>Restore without the erasure register: erasures made after this backup will not be applied again</span>
          </label>
        </section>
      )}
      {altered !== null && (
        <section className="note note--warn" aria-label="The backup’s date differs from its label">
          <p role="alert">{altered}</p>
          <label className="choice" htmlFor={acceptId}>
            <input
              id={acceptId}
              type="checkbox"
              checked={acceptAltered}
              onChange={(event) => {
                setAcceptAltered(event.target.checked);
                restore.clearError();
              }}
            />
            <span>Restore it anyway: what is restored is its sealed contents, made on the second date</span>
          </label>
        </section>
      )}
      <SubmitRow label="Restore" problem={buttonProblem} busy={restore.busy} busyText="Restoring the backup…">
        <button type="button" className="button" data-back onClick={onBack}>
          Back
        </button>
      </SubmitRow>
      {refused === null && !noRegister && !labelAltered && (
        <ActionError
          error={restore.error}
        wording={{
          E_WRONG_PASSPHRASE:
              kind === 'passphrase' ? 'That passphrase did not open the backup.' : 'That recovery key did not open the backup.',
          }}
        />
      )}
    </form>
  );
}
