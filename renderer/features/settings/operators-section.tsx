import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { SecretField, TextField } from '../../app/form/text-field';
import { SubmitRow } from '../../app/form/submit-row';
import { roleLabel } from '../../app/layout/app-header';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';
import type { OperatorRole, OperatorSummary } from '../../vault/vault-service';
import { NewPassphraseFields } from '../passphrase/new-passphrase-fields';
import { newPassphraseProblem } from '../passphrase/passphrase-policy';

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
    <section className="panel" aria-labelledby={headingId}>
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
          onCancel={() => setResetting(null)}
        />
      )}
      <AddOperatorForm
        onAdded={(operator) => {
          setNotice(`${operator.name} was added as ${roleLabel(operator.role).toLowerCase()}.`);
          reload();
        }}
      />
    </section>
  );
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
  const reset = useAction(async (value: string) => {
    await vault.resetOperatorPassphrase(operator.operatorId, value);
    onDone(`The passphrase of ${operator.name} was reset. Give it to them in person.`);
  });
  // Typed once: the administrator hands it over and the operator changes it.
  const problem = newPassphraseProblem(passphrase, passphrase, [operator.name]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || reset.busy) return;
    void reset.run(passphrase);
  };

  return (
    <form className="form settings-block subform" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId}>Reset the passphrase of {operator.name}</h3>
      <p className="muted">For an operator who forgot theirs. Their old passphrase stops working.</p>
      <SecretField
        label={`Temporary passphrase for ${operator.name}`}
        value={passphrase}
        onValue={setPassphrase}
        autoComplete="new-password"
        hint="They can change it in Settings → Security after unlocking."
      />
      <SubmitRow label="Set passphrase" problem={problem} busy={reset.busy}>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </SubmitRow>
      <ActionError error={reset.error} />
    </form>
  );
}

function AddOperatorForm({ onAdded }: { onAdded: (operator: OperatorSummary) => void }) {
  const vault = useVault();
  const headingId = useId();
  const roleId = useId();
  const [name, setName] = useState('');
  const [role, setRole] = useState<OperatorRole>('clinician');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const add = useAction(async () => {
    const operator = await vault.addOperator({ name: name.trim(), role, passphrase });
    setName('');
    setPassphrase('');
    setConfirmation('');
    onAdded(operator);
  });

  const problem = name.trim() === '' ? 'Enter the operator’s name.' : newPassphraseProblem(passphrase, confirmation, name.split(/\s+/));
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== null || add.busy) return;
    void add.run();
  };

  return (
    <form className="form settings-block subform" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId}>Add operator</h3>
      <TextField label="Name" value={name} onValue={setName} autoComplete="off" hint="The name staff pick on the unlock screen." />
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
        onValue={setPassphrase}
        onConfirmation={setConfirmation}
        labels={{ passphrase: 'Initial passphrase', confirmation: 'Confirm initial passphrase' }}
      />
      <SubmitRow label="Add operator" problem={problem} busy={add.busy} busyText="Adding the operator…" />
      <ActionError error={add.error} />
    </form>
  );
}
