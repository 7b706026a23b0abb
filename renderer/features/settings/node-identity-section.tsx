import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useVisited } from '../../app/form/use-visited';
import { useRequiredLedger } from '../../app/ledger-context';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import type { ExportedFile, NodeIdentity } from '../../ledger/ledger-service';
import { SaveFileButton } from '../../app/save-file-button';
import { useCurrentOperator } from '../../vault/vault-context';
import { CopyButton } from '../../app/copy-button';
import { shortHash } from '../ledger/ledger-format';
import { ChoiceGroup, type Choice } from './choice-group';
import { Fact } from '../../app/fact';

type InstitutionRole = NodeIdentity['institutionRole'];

/** What the ledger service accepts (create-ledger-service.ts setInstitution). */
const MAX_INSTITUTION_NAME = 200;

const ROLE_CHOICES: readonly Choice<InstitutionRole>[] = [
  { value: 'clinic', label: 'Clinic' },
  { value: 'research', label: 'Research' },
];

function institutionRoleLabel(role: InstitutionRole): string {
  return role === 'clinic' ? 'Clinic' : 'Research';
}

type IdentityState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly identity: NodeIdentity };

/**
 * The node's identity on the network: its id (the signing key's address), the intake public key,
 * the institution it belongs to, and the signed "node info" document to hand to partners.
 * Administrators may change the institution's name and role (a SETTINGS_CHANGE ledger entry) and
 * export the node info (both are administrators' acts in the ledger service).
 */
export function NodeIdentitySection() {
  const ledger = useRequiredLedger();
  const operator = useCurrentOperator();
  const headingId = useId();
  const [state, setState] = useState<IdentityState>({ phase: 'loading' });
  const [saved, setSaved] = useState(false);

  const load = useCallback(() => {
    ledger.identity().then(
      (identity) => setState({ phase: 'ready', identity }),
      (error: unknown) => setState({ phase: 'failed', error }),
    );
  }, [ledger]);
  useEffect(load, [load]);

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Node identity</h2>
      <p className="muted">
        Every ledger entry is signed with this node’s key; the node id is that key’s address. Partners use the node
        info document to recognise this node’s signatures and to seal data for it.
      </p>
      {state.phase === 'loading' && <p role="status">Loading the node identity…</p>}
      {state.phase === 'failed' && (
        <>
          <ErrorNote error={state.error} what="The node identity could not be loaded" />
          <div className="form-actions ledger-retry">
            <button type="button" className="button" onClick={load}>
              Retry
            </button>
          </div>
        </>
      )}
      {state.phase === 'ready' && (
        <>
          <IdentityFacts identity={state.identity} />
          {operator?.role === 'admin' && (
            <InstitutionForm
              identity={state.identity}
              onSaved={() => {
                setSaved(true);
                load();
              }}
              onEdit={() => setSaved(false)}
            />
          )}
          <p role="status" className="saved-note">
            {saved ? 'Institution saved.' : ''}
          </p>
          {operator?.role === 'admin' && <ExportNodeInfo />}
        </>
      )}
    </section>
  );
}

function IdentityFacts({ identity }: { identity: NodeIdentity }) {
  return (
    <dl className="facts ledger-facts">
      <Fact term="Node id">
        <div className="hash-value">
          <code className="hash hash--full">{identity.address}</code>
          <CopyButton value={identity.address} label="Copy node id" />
        </div>
      </Fact>
      <Fact term="Intake public key">
        <div className="hash-value">
          <code className="hash" title={identity.intakePublicKey}>
            {shortHash(identity.intakePublicKey)}
          </code>
          <CopyButton value={identity.intakePublicKey} name="Copy intake public key" />
        </div>
      </Fact>
      <Fact term="Institution">{identity.institutionName === '' ? <span className="muted">Not named yet</span> : identity.institutionName}</Fact>
      <Fact term="Institution role">{institutionRoleLabel(identity.institutionRole)}</Fact>
      <Fact term="Chain id">{identity.chainId}</Fact>
      <Fact term="App version">{identity.appVersion}</Fact>
    </dl>
  );
}

function InstitutionForm({ identity, onSaved, onEdit }: { identity: NodeIdentity; onSaved: () => void; onEdit: () => void }) {
  const ledger = useRequiredLedger();
  const headingId = useId();
  const [name, setName] = useState(identity.institutionName);
  const [role, setRole] = useState<InstitutionRole>(identity.institutionRole);
  const { visit, shown, revealed, attempt } = useVisited<'name'>();
  const save = useAction(async () => {
    await ledger.setInstitution({ name: name.trim(), role });
    onSaved();
  });

  // The name's own problem is shown under it, with its label, once it was edited or left (a node not
  // named yet is not greeted with "must not be empty"); "nothing has changed" only stops the save.
  const trimmed = name.trim();
  const nameProblem =
    trimmed === '' ? 'Institution name: must not be empty.' : trimmed.length > MAX_INSTITUTION_NAME ? `Institution name: takes at most ${MAX_INSTITUTION_NAME} characters.` : null;
  const unchanged = trimmed === identity.institutionName && role === identity.institutionRole ? 'Nothing has changed.' : null;
  const problem = nameProblem ?? unchanged;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (save.busy) return;
    if (problem !== null) return attempt();
    void save.run();
  };

  return (
    <form className="form settings-block subform" aria-labelledby={headingId} onSubmit={submit} noValidate>
      <h3 id={headingId}>Institution</h3>
      <TextField
        label="Institution name"
        value={name}
        onValue={(value) => {
          onEdit();
          setName(value);
          visit('name');
        }}
        onBlur={() => visit('name')}
        autoComplete="organization"
        hint="As partners know it. It appears in the node info document."
        problem={shown('name', nameProblem)}
      />
      <ChoiceGroup
        legend="Institution role"
        name="institution-role"
        choices={ROLE_CHOICES}
        value={role}
        onChange={(value) => {
          onEdit();
          setRole(value);
        }}
        description="A clinic treats patients; a research institution receives anonymized data."
      />
      <SubmitRow label="Save institution" problem={revealed({ name: nameProblem }) ?? unchanged} busy={save.busy} busyText="Saving the institution…" />
      <ActionError error={save.error} />
    </form>
  );
}

function ExportNodeInfo() {
  const ledger = useRequiredLedger();
  const headingId = useId();
  const [written, setWritten] = useState<{ readonly path: string; readonly file: ExportedFile } | null>(null);
  const exportInfo = useAction(async () => {
    setWritten(null);
    setWritten(await ledger.exportNodeInfo());
  });
  return (
    <div className="settings-block" role="group" aria-labelledby={headingId}>
      <h3 id={headingId}>Node info</h3>
      <p className="muted">
        A signed document with the node id, intake public key, institution name and role, and app version. It holds
        no patient data.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={exportInfo.busy}
          aria-busy={exportInfo.busy || undefined}
          onClick={() => void exportInfo.run()}
        >
          Export node info
        </button>
        {exportInfo.busy && (
          <p role="status" className="form-actions__reason">
            Writing the node info…
          </p>
        )}
      </div>
      {written !== null && (
        <div className="note note--ok">
          <p role="status">
            Node info written to <code className="path">{written.path}</code>
          </p>
          <SaveFileButton file={written.file} label="Download node info" />
          <CopyButton variant="path" value={written.path} label="Copy node info path" />
        </div>
      )}
      <ActionError error={exportInfo.error} />
    </div>
  );
}
