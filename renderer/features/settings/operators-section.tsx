import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { SecretField, TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { roleLabel } from '../../app/layout/app-header';
import { useAction } from '../../app/use-action';
import { lowerFirst } from '../../app/form/field-problems';
import { useVisited } from '../../app/form/use-visited';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';
import { VaultError, type OperatorRole, type OperatorSummary } from '../../vault/vault-service';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblems } from '../passphrase/passphrase-policy';

const ROLES: readonly OperatorRole[] = ['admin', 'clinician', 'researcher', 'auditor'];

type ListState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly operators: readonly OperatorSummary[] };

/** Staff accounts on this workstation, each with its own passphrase (a key slot). Administrators only. */
export function OperatorsSection() {
  const vault = useVault();
  const me = useCurrentOperator();
  const headingId = useId();
  const [list, setList] = useState<ListState>({ phase: 'loading' });
  const [resetting, setResetting] = useState<OperatorSummary | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A reset form closed by Cancel or Escape gives the focus back to its row's button (QA s32 #9).
  const sectionRef = useRef<HTMLElement>(null);
  const focusBack = useRef<string | null>(null);
  useEffect(() => {
    if (resetting !== null || focusBack.current === null) return;
    sectionRef.current?.querySelector<HTMLButtonElement>(`button[data-reset-for="${CSS.escape(focusBack.current)}"]`)?.focus();
    focusBack.current = null;
  }, [resetting]);

  const reload = useCallback(() => {
    vault.operators().then(
      (operators) => setList({ phase: 'ready', operators }),
      (error: unknown) => setList({ phase: 'failed', error }),
    );
  }, [vault]);
  useEffect(reload, [reload]);

  const toggle = useAction(async (operator: OperatorSummary) => {
    await vault.setOperatorDisabled(operator.operatorId, !operator.disabled);
    setNotice(operator.disabled ? `${operator.name} can unlock the vault again.` : `${operator.name} can no longer unlock the vault.`);
    reload();
  });

  return (
    <section ref={sectionRef} className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Operators</h2>
      <p className="muted">
        Everyone who uses this workstation gets an account, so the audit trail says who did what. Administrators manage
        accounts and may erase patients; clinicians work with patient records. Researchers and auditors get keys that
        open no patient data: researchers see the marketplace and the ledger without names; auditors see the ledger
        with the names behind it, read-only.
      </p>
      {list.phase === 'loading' && <p role="status">Loading the operators…</p>}
      {list.phase === 'failed' && <ErrorNote error={list.error} what="The operators could not be loaded" />}
      {list.phase === 'ready' && (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.operators.map((operator) => (
                <tr key={operator.operatorId}>
                  <th scope="row">
                    {operator.name}
                    {operator.operatorId === me?.operatorId && <span className="muted"> (you)</span>}
                  </th>
                  <td>{roleLabel(operator.role)}</td>
                  <td>
                    <span className={`state ${operator.disabled ? 'state--closed' : 'state--listening'}`}>
                      {operator.disabled ? 'Disabled' : 'Active'}
                    </span>
                  </td>
                  <td className="table-actions">
                    {operator.operatorId !== me?.operatorId && (
                      <button
                        type="button"
                        className="button button--small"
                        disabled={toggle.busy}
                        aria-label={`${operator.disabled ? 'Enable' : 'Disable'} ${operator.name}`}
                        onClick={() => {
                          setNotice(null);
                          void toggle.run(operator);
                        }}
                      >
                        {operator.disabled ? 'Enable' : 'Disable'}
                      </button>
                    )}
                    <button
                      type="button"
                      className="button button--small"
                      aria-label={`Reset passphrase for ${operator.name}`}
                      data-reset-for={operator.operatorId}
                      onClick={() => {
                        setNotice(null);
                        setResetting(operator);
                      }}
                    >
                      Reset passphrase
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionError error={toggle.error} />
      {notice !== null && (
        <p role="status" className="note note--ok">
          {notice}
        </p>
      )}
      {resetting !== null && (
        <ResetPassphraseForm
          key={resetting.operatorId}
          operator={resetting}
          onDone={(message) => {
            setResetting(null);
            setNotice(message);
          }}
          onCancel={() => {
            focusBack.current = resetting.operatorId;
            setResetting(null);
          }}
        />
      )}
      <AddOperatorForm
        existing={list.phase === 'ready' ? list.operators.map((operator) => operator.name) : []}
        onAdded={(operator) => {
          setNotice(`${operator.name} was added as ${roleLabel(operator.role).toLowerCase()}.`);
          reload();
        }}
      />
    </section>
  );
}

/**
 * What becomes of the temporary passphrase: administrators and clinicians change it themselves in
 * Settings → Security; a researcher's or an auditor's slot holds no key to the keyring, so an
 * administrator sets their passphrase, here (QA s32 #7).
 */
function resetHint(role: OperatorRole): string {
  if (role === 'admin' || role === 'clinician') return 'They can change it in Settings → Security after unlocking.';
  return `${role === 'researcher' ? 'A researcher' : 'An auditor'} cannot change their own passphrase: an administrator sets it here. Choose one they can keep.`;
}

function ResetPassphraseForm({
  operator,
  onDone,
  onCancel,
}: {
  operator: OperatorSummary;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const vault = useVault();
  const headingId = useId();
  const [passphrase, setPassphrase] = useState('');
  const { visit, shown, revealed, attempt } = useVisited<'passphrase'>();
  const reset = useAction(async (value: string) => {
    await vault.resetOperatorPassphrase(operator.operatorId, value);
    onDone(`The passphrase of ${operator.name} was reset. Give it to them in person.`);
  });
  const label = `Temporary passphrase for ${operator.name}`;
  // Typed once: the administrator hands it over and the operator changes it.
  const problem = newPassphraseProblems(passphrase, passphrase, { passphrase: label, confirmation: label }, [operator.name]).passphrase;
  const weak = weakRefusal(reset.error, label);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (reset.busy) return;
    if (problem !== null) return attempt();
    void reset.run(passphrase);
  };
  // Opened from a row's button below the table: the field takes the focus, Escape closes (QA s32 #9).
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, []);
  const escape = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || reset.busy) return;
    event.preventDefault();
    onCancel();
  };

  return (
    <form ref={formRef} className="form settings-block subform" aria-labelledby={headingId} onSubmit={submit} onKeyDown={escape} noValidate>
      <h3 id={headingId}>Reset the passphrase of {operator.name}</h3>
      <p className="muted">For an operator who forgot theirs. Their old passphrase stops working.</p>
      <SecretField
        label={label}
        value={passphrase}
        onValue={(value) => {
          setPassphrase(value);
          reset.clearError();
        }}
        autoComplete="new-password"
        hint={resetHint(operator.role)}
        problem={weak ?? shown('passphrase', problem)}
        onBlur={() => visit('passphrase')}
      />
      <SubmitRow label="Set passphrase" problem={revealed({ passphrase: problem })} busy={reset.busy}>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </SubmitRow>
      {weak === null && <ActionError error={reset.error} />}
    </form>
  );
}

/** The vault's own refusal of a passphrase below the policy, as that field's problem; null for any other error. */
function weakRefusal(error: unknown, label: string): string | null {
  return error instanceof VaultError && error.code === 'E_WEAK_PASSPHRASE' ? `${label}: ${lowerFirst(error.message)}` : null;
}

const ADD_LABELS = { passphrase: 'Initial passphrase', confirmation: 'Confirm initial passphrase' } as const;
/** The keyring's bound on an operator's name (vault-contract.ts). */
const MAX_NAME_LENGTH = 80;

type AddField = 'name' | 'passphrase' | 'confirmation';

function AddOperatorForm({ existing, onAdded }: { existing: readonly string[]; onAdded: (operator: OperatorSummary) => void }) {
  const vault = useVault();
  const headingId = useId();
  const roleId = useId();
  const [name, setName] = useState('');
  const [role, setRole] = useState<OperatorRole>('clinician');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const { visit, shown, revealed, attempt, reset } = useVisited<AddField>();
  const add = useAction(async () => {
    const operator = await vault.addOperator({ name: name.trim(), role, passphrase });
    setName('');
    setPassphrase('');
    setConfirmation('');
    reset();
    onAdded(operator);
  });

  const trimmed = name.trim();
  const taken = existing.some((other) => other.toLowerCase() === trimmed.toLowerCase());
  const policy = newPassphraseProblems(passphrase, confirmation, ADD_LABELS, name.split(/\s+/));
  const problems: Record<AddField, string | null> = {
    name:
      trimmed === ''
        ? 'Name: must not be empty.'
        : trimmed.length > MAX_NAME_LENGTH
          ? `Name: takes at most ${MAX_NAME_LENGTH} characters.`
          : taken
            ? 'Name: an operator of this name exists already; choose another.'
            : null,
    passphrase: policy.passphrase,
    confirmation: policy.confirmation,
  };
  const problem = problems.name ?? problems.passphrase ?? problems.confirmation;
  // The vault's own refusals that concern one field (another window added the name meanwhile; the policy).
  const refusedName = add.error instanceof VaultError && add.error.code === 'E_EXISTS' ? 'Name: an operator of this name exists already; choose another.' : null;
  const weak = weakRefusal(add.error, ADD_LABELS.passphrase);
  // A name already taken is said at once: the person typing it need not leave the field to learn it.
  const nameProblem = refusedName ?? (taken ? problems.name : shown('name', problems.name));

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (add.busy) return;
    if (problem !== null) return attempt();
    void add.run();
  };
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    add.clearError();
  };

  return (
    <form className="form settings-block subform" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId}>Add operator</h3>
      <TextField
        label="Name"
        value={name}
        onValue={edit(setName)}
        autoComplete="off"
        hint="The name staff pick on the unlock screen."
        problem={nameProblem}
        onBlur={() => visit('name')}
      />
      <div className="field">
        <label htmlFor={roleId} className="field__label">
          Role
        </label>
        <select id={roleId} className="input select field--narrow" value={role} onChange={(event) => setRole(event.target.value as OperatorRole)}>
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {roleLabel(value)}
            </option>
          ))}
        </select>
      </div>
      <NewPassphraseFields
        value={passphrase}
        confirmation={confirmation}
        onValue={edit(setPassphrase)}
        onConfirmation={edit(setConfirmation)}
        labels={ADD_LABELS}
        problems={{ passphrase: weak ?? shown('passphrase', problems.passphrase), confirmation: shown('confirmation', problems.confirmation) }}
        onLeave={visit}
      />
      <SubmitRow label="Add operator" problem={taken ? problems.name : revealed(problems)} busy={add.busy} busyText="Adding the operator…" />
      {refusedName === null && weak === null && <ActionError error={add.error} />}
    </form>
  );
}
