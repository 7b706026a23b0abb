import { useCallback, useId, useState, useSyncExternalStore, type FormEvent } from 'react';
import { SecretField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { useAction } from '../../app/use-action';
import { lowerFirst } from '../../app/form/field-problems';
import { useVisited } from '../../app/form/use-visited';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';
import { VaultError } from '../../vault/vault-service';
import { AUTO_UNLOCK_TRADE_OFF, AutoUnlockCheckbox, useAutoUnlockAvailable } from '../first-run/auto-unlock-checkbox';
import { mayChangeAutoLock } from '../../vault/session/auto-lock';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblems } from '../passphrase/passphrase-policy';

export const AUTO_LOCK_CHOICES: readonly number[] = [0, 5, 10, 15, 30, 60];

function minutesLabel(minutes: number): string {
  if (minutes === 0) return 'Never';
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export const NO_KEYCHAIN_NOTE = 'This host has no OS keychain; the browser shell always asks for a passphrase.';

/** Auto-lock, automatic unlock (admins) and the current operator's own passphrase. */
export function SecuritySection({ restricted = false }: { restricted?: boolean }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Security</h2>
      {restricted ? (
        <p className="muted">
          Your key slot opens the ledger only; it holds no key to patient data and none to the keyring, so an
          administrator sets your passphrase and the vault’s auto-lock.
        </p>
      ) : (
        <>
          <AutoLockSetting />
          <AutoUnlockSetting />
          <ChangePassphraseForm />
        </>
      )}
    </section>
  );
}

/** What the auto-lock applies to, under the setting (administrators) or the value (everyone else). */
const AUTO_LOCK_SCOPE = 'Minutes without keyboard or mouse use in HDMS Node, set by an administrator for every operator of this workstation.';

/**
 * The workstation's auto-lock: administrators choose it (journaled as a settings change); everyone
 * else sees the value they work under, and Lock when they leave sooner (tester's defect 1).
 */
function AutoLockSetting() {
  const operator = useCurrentOperator();
  const vault = useVault();
  if (operator === null || !mayChangeAutoLock(operator.role)) {
    const minutes = vault.autoLockMinutes();
    return (
      <div className="settings-block">
        <p>{`Lock automatically after: ${minutes === 0 ? 'never' : minutesLabel(minutes)}`}</p>
        <p className="field__hint">{AUTO_LOCK_SCOPE} Use Lock when you leave the workstation.</p>
      </div>
    );
  }
  return <AutoLockChoice />;
}

function AutoLockChoice() {
  const vault = useVault();
  const selectId = useId();
  const hintId = useId();
  const [minutes, setMinutes] = useState(() => vault.autoLockMinutes());
  const [saved, setSaved] = useState(false);
  const save = useAction(async (next: number) => {
    const before = minutes;
    setMinutes(next);
    setSaved(false);
    try {
      await vault.setAutoLockMinutes(next);
      setSaved(true);
    } catch (error) {
      setMinutes(before);
      throw error;
    }
  });
  const choices = AUTO_LOCK_CHOICES.includes(minutes) ? AUTO_LOCK_CHOICES : [...AUTO_LOCK_CHOICES, minutes].sort((a, b) => a - b);

  return (
    <div className="settings-block">
      <div className="field">
        <label htmlFor={selectId} className="field__label">
          Lock automatically after
        </label>
        <select
          id={selectId}
          className="input select field--narrow"
          value={String(minutes)}
          aria-describedby={hintId}
          disabled={save.busy}
          onChange={(event) => void save.run(Number(event.target.value))}
        >
          {choices.map((choice) => (
            <option key={choice} value={String(choice)}>
              {minutesLabel(choice)}
            </option>
          ))}
        </select>
        <p id={hintId} className="field__hint">
          {AUTO_LOCK_SCOPE} A locked vault keeps receiving and sealing intake.
        </p>
      </div>
      <p role="status" className="saved-note">
        {saved ? 'Saved.' : ''}
      </p>
      <ActionError error={save.error} />
    </div>
  );
}

/**
 * "Unlock automatically on this computer", for administrators: it lets the workstation open the
 * vault after a restart with nobody present, so only they decide it. One operator per vault.
 */
function AutoUnlockSetting() {
  const vault = useVault();
  const operator = useCurrentOperator();
  const available = useAutoUnlockAvailable(vault);
  const subscribe = useCallback((listener: () => void) => vault.subscribe(listener), [vault]);
  const enabled = useSyncExternalStore(subscribe, () => vault.autoUnlockEnabled());
  const [pending, setPending] = useState<boolean | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useAction(async (next: boolean) => {
    setPending(next);
    setSaved(false);
    try {
      await vault.setAutoUnlock(next);
      setSaved(true);
    } finally {
      setPending(null);
    }
  });

  if (operator?.role !== 'admin' || available === null) return null;
  if (!available) {
    return (
      <div className="settings-block">
        <p className="muted">{NO_KEYCHAIN_NOTE}</p>
      </div>
    );
  }
  return (
    <div className="settings-block">
      <AutoUnlockCheckbox
        checked={pending ?? enabled}
        disabled={save.busy}
        onChange={(next) => void save.run(next)}
        hint={`${AUTO_UNLOCK_TRADE_OFF} One operator per vault: switching it on replaces any other administrator’s automatic unlock.`}
      />
      <p role="status" className="saved-note">
        {saved ? 'Saved.' : ''}
      </p>
      <ActionError error={save.error} />
    </div>
  );
}

const CHANGE_LABELS = { passphrase: 'New passphrase', confirmation: 'Confirm new passphrase' } as const;

type ChangeField = 'current' | 'passphrase' | 'confirmation';

function ChangePassphraseForm() {
  const vault = useVault();
  const headingId = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [done, setDone] = useState(false);
  const { visit, shown, revealed, attempt, reset } = useVisited<ChangeField>();
  const change = useAction(async (input: { current: string; next: string }) => {
    setDone(false);
    await vault.changePassphrase(input);
    setCurrent('');
    setNext('');
    setConfirmation('');
    reset();
    setDone(true);
  });

  // Each field's own problem, with its label; a refusal that concerns one field is shown under it.
  const refusedCode = change.error instanceof VaultError ? change.error.code : null;
  const policy = newPassphraseProblems(next, confirmation, CHANGE_LABELS);
  const problems: Record<ChangeField, string | null> = {
    current: current === '' ? 'Current passphrase: must not be empty.' : null,
    passphrase: policy.passphrase ?? (next === current ? 'New passphrase: is the same as the current one.' : null),
    confirmation: policy.confirmation,
  };
  const problem = problems.current ?? problems.passphrase ?? problems.confirmation;
  const fieldProblem = (field: ChangeField): string | null => {
    if (field === 'current' && refusedCode === 'E_WRONG_PASSPHRASE') return 'Current passphrase: is not right.';
    if (field === 'passphrase' && refusedCode === 'E_WEAK_PASSPHRASE') return `New passphrase: ${lowerFirst(vaultErrorMessage(change.error))}`;
    return shown(field, problems[field]);
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (change.busy) return;
    if (problem !== null) return attempt();
    void change.run({ current, next });
  };
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    change.clearError();
  };

  return (
    <form className="form settings-block" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId}>Change passphrase</h3>
      <p className="muted">Changes your own passphrase. Other operators and the recovery key are not affected.</p>
      <SecretField
        label="Current passphrase"
        value={current}
        onValue={edit(setCurrent)}
        autoComplete="current-password"
        problem={fieldProblem('current')}
        onBlur={() => visit('current')}
      />
      <NewPassphraseFields
        value={next}
        confirmation={confirmation}
        onValue={edit(setNext)}
        onConfirmation={edit(setConfirmation)}
        labels={CHANGE_LABELS}
        problems={{ passphrase: fieldProblem('passphrase'), confirmation: fieldProblem('confirmation') }}
        onLeave={visit}
      />
      <SubmitRow label="Change passphrase" problem={revealed(problems)} busy={change.busy} busyText="Changing the passphrase…" />
      {done && (
        <p role="status" className="note note--ok">
          Your passphrase was changed. Use the new one from now on.
        </p>
      )}
      {refusedCode !== 'E_WRONG_PASSPHRASE' && refusedCode !== 'E_WEAK_PASSPHRASE' && <ActionError error={change.error} />}
    </form>
  );
}
