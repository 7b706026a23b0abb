import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { NetworkPreview, NetworkState } from '../../../shared/ipc/network-contract';
import { MEMBER_ROLES, type MemberRole } from '../../../shared/network/network-domain';
import { useApi, useBodyEvent } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { Fact } from '../../app/fact';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { prefixedProblem, refusalProblems, type FieldSpecs } from '../../app/form/field-problems';
import { ContractError } from '../../../shared/ipc/errors';

/** The server URL field as the join form names it (field-problems.ts). */
const URL_FIELDS: FieldSpecs<'url'> = { url: { label: 'Server URL' } };
import { useNetworkJoiner } from '../../app/network-context';
import { useAction } from '../../app/use-action';
import { useCurrentOperator } from '../../vault/vault-context';
import { NetworkMessages } from './network-messages';

const ROLE_LABELS: Readonly<Record<MemberRole, string>> = {
  clinic: 'Clinic (holds patient data, answers searches)',
  research: 'Research institute (searches and buys datasets)',
  keeper: 'Key keeper (releases key shares for paid purchases)',
  witness: 'Witness (cosigns the notary’s checkpoints)',
};

const STATUS_LABELS: Readonly<Record<NetworkState['status'], string>> = {
  pending: 'Waiting for the network operator’s approval',
  approved: 'Member',
  rejected: 'Rejected by the network operator',
  revoked: 'Membership revoked',
};

const RELAY_LABELS: Readonly<Record<NonNullable<NetworkState['relay']>['state'], string>> = {
  off: 'Off',
  waiting: 'Waiting',
  connecting: 'Connecting…',
  connected: 'Connected: messages arrive as they are sent',
  retrying: 'Reconnecting',
};

/**
 * Settings › Network (design §10): join a network (administrators), and the node's membership as
 * the body keeps it: the pinned network and its fingerprint, the status, the last contact, any
 * alarm, and the members of the last map that verified.
 */
export function NetworkSection() {
  const api = useApi();
  const operator = useCurrentOperator();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; state: NetworkState | null }>({ phase: 'loading' });

  const load = useCallback(() => {
    api.network.status({}).then(
      ({ state }) => setLoaded({ phase: 'ready', state }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [api]);
  useEffect(load, [load]);
  useBodyEvent('network.changed', ({ state }) => setLoaded({ phase: 'ready', state }));

  const refresh = useAction(async () => {
    const { state } = await api.network.refresh({});
    setLoaded({ phase: 'ready', state });
  });

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Network</h2>
      <p className="muted">
        A network joins clinics and research institutes: its notary countersigns every ledger entry into a log anyone can
        audit, and members send each other end-to-end encrypted messages.
      </p>
      {loaded.phase === 'loading' && <p role="status">Loading the network state…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The network state could not be loaded" />}
      {loaded.phase === 'ready' && loaded.state !== null && (
        <>
          <Membership state={loaded.state} />
          <div className="form-actions">
            <button type="button" className="button" onClick={() => void refresh.run()} disabled={refresh.busy}>
              {refresh.busy ? 'Asking the network…' : 'Check now'}
            </button>
          </div>
          {refresh.error !== null && <ErrorNote error={refresh.error} what="The network could not be asked" />}
          {loaded.state.status === 'approved' && (operator?.role === 'admin' || operator?.role === 'clinician') && <NetworkMessages state={loaded.state} />}
        </>
      )}
      {loaded.phase === 'ready' && loaded.state === null &&
        (operator?.role === 'admin' ? (
          <JoinForm onJoined={(state) => setLoaded({ phase: 'ready', state })} />
        ) : (
          <p>This node has not joined a network. An administrator can join one here.</p>
        ))}
    </section>
  );
}

function Membership({ state }: { state: NetworkState }) {
  const membersId = useId();
  return (
    <>
      {state.problem !== null && (
        <p role="alert" className="note note--error">
          {state.problem}
        </p>
      )}
      <dl className="facts">
        <Fact term="Network">{state.network.name}</Fact>
        <Fact term="Server">
          <code>{state.url}</code>
        </Fact>
        <Fact term="Fingerprint">
          <code className="network-fingerprint">{state.network.fingerprint}</code>
        </Fact>
        <Fact term="Status">{STATUS_LABELS[state.status]}</Fact>
        <Fact term="This node">
          <code>{state.node}</code>
        </Fact>
        <Fact term="Last contact">{state.lastContactAt === null ? 'Never' : new Date(state.lastContactAt).toLocaleString()}</Fact>
        {state.certificate !== null && <Fact term="Certificate">No. {state.certificate.certificate.serial}, issued {new Date(state.certificate.certificate.issuedAt).toLocaleString()}</Fact>}
        <Fact term="Ledger notarization">
          {state.sync === null
            ? 'Not started (the node submits its ledger once it is a member and the network has a notary).'
            : `${state.sync.notarizedSeq} ${state.sync.notarizedSeq === 1 ? 'entry' : 'entries'} notarized, ${state.sync.queued} waiting; last checkpoint of ${state.sync.checkpointSize} leaves${state.sync.lastSyncAt === null ? '' : `, ${new Date(state.sync.lastSyncAt).toLocaleString()}`}.`}
        </Fact>
        {state.relay !== undefined && state.relay !== null && (
          <Fact term="Relay">
            {RELAY_LABELS[state.relay.state]}
            {state.relay.detail !== null ? ` — ${state.relay.detail}` : ''}
            {state.relay.received > 0 ? ` (${state.relay.received} received since the node started)` : ''}
          </Fact>
        )}
        {state.delegationExpiresAt !== undefined && (
          <Fact term="Works while locked until">{state.delegationExpiresAt === null ? 'Not yet: unlock as an administrator or clinician' : new Date(state.delegationExpiresAt).toLocaleString()}</Fact>
        )}
        {state.sync !== null && state.map !== null && state.map.witnessQuorum > 0 && (
          <Fact term="Witnesses">
            {`${state.sync.cosignatures ?? 0} of the ${state.map.witnessQuorum} cosignatures the network asks for on the newest checkpoint; `}
            {(state.sync.witnessedSize ?? 0) === 0 ? 'nothing witnessed yet.' : `the log is witnessed up to leaf ${(state.sync.witnessedSize ?? 0) - 1}.`}
          </Fact>
        )}
      </dl>
      {state.sync !== null && (state.sync.witnessProblem ?? null) !== null && (
        <p role="status" className="note note--warn">
          {state.sync.witnessProblem}
        </p>
      )}
      {state.sync !== null && state.sync.problem !== null && (
        <p role={state.sync.alarm ? 'alert' : 'status'} className={`note ${state.sync.alarm ? 'note--error' : 'note--warn'}`}>
          {state.sync.problem}
        </p>
      )}
      {state.map !== null && (
        <>
          <h3 id={membersId}>Members ({state.map.members.length})</h3>
          {state.map.members.length === 0 ? (
            <p className="muted">The network has no approved members yet.</p>
          ) : (
            <table className="data-table" aria-labelledby={membersId}>
              <thead>
                <tr>
                  <th scope="col">Institution</th>
                  <th scope="col">Country</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Node</th>
                </tr>
              </thead>
              <tbody>
                {state.map.members.map((member) => (
                  <tr key={member.address}>
                    <td>
                      {member.legalName}
                      {member.address === state.node ? ' (this node)' : ''}
                    </td>
                    <td>{member.country}</td>
                    <td>{member.roles.join(', ')}</td>
                    <td>
                      <code className="hash" title={member.address}>
                        {member.address.slice(0, 10)}…
                      </code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

function JoinForm({ onJoined }: { onJoined: (state: NetworkState) => void }) {
  const api = useApi();
  const joiner = useNetworkJoiner();
  const headingId = useId();
  const rolesId = useId();
  const [url, setUrl] = useState('');
  const [preview, setPreview] = useState<NetworkPreview | null>(null);
  const [legalName, setLegalName] = useState('');
  const [country, setCountry] = useState('');
  const [roles, setRoles] = useState<readonly MemberRole[]>(['clinic']);
  const [compared, setCompared] = useState(false);

  const inspect = useAction(async () => {
    setPreview(null);
    setCompared(false);
    setPreview((await api.network.inspect({ url })).preview);
  });
  const join = useAction(async (checked: NetworkPreview) => {
    if (joiner === null) throw new Error('This window cannot sign as the node.');
    onJoined(await joiner.join({ url: checked.url, fingerprint: checked.fingerprint, legalName, country, roles }));
  });

  // A refusal of the URL (the body's own words, or its schema's) is shown at the field, with its label.
  const urlRefusal =
    inspect.error instanceof ContractError && inspect.error.code === 'E_BAD_REQUEST'
      ? (refusalProblems(inspect.error.message, URL_FIELDS)?.[0] ?? prefixedProblem(inspect.error.message, URL_FIELDS))
      : null;
  const urlProblem = urlRefusal !== null && urlRefusal.field === 'url' ? urlRefusal.message : null;

  const submitUrl = (event: FormEvent): void => {
    event.preventDefault();
    if (url.trim() !== '' && !inspect.busy) void inspect.run();
  };
  const problem =
    legalName.trim() === ''
      ? 'Enter the institution’s legal name.'
      : !/^[A-Za-z]{2}$/.test(country.trim())
        ? 'Enter the country as two letters (ISO 3166, for example CH).'
        : roles.length === 0
          ? 'Choose at least one role.'
          : !compared
            ? 'Confirm that you compared the fingerprint.'
            : null;
  const submitJoin = (event: FormEvent): void => {
    event.preventDefault();
    if (preview !== null && problem === null && !join.busy) void join.run(preview);
  };

  return (
    <div className="settings-block">
      <h3 id={headingId}>Join a network</h3>
      <form className="form subform" aria-label="Network server" onSubmit={submitUrl} noValidate>
        <TextField
          label="Server URL"
          value={url}
          onValue={(next) => {
            setUrl(next);
            inspect.clearError();
          }}
          spellCheck={false}
          autoComplete="off"
          hint="The address the network operator gave you, for example https://network.example.org."
          problem={urlProblem}
        />
        <SubmitRow label="Check the network" problem={url.trim() === '' ? 'Enter the server’s URL.' : null} busy={inspect.busy} busyText="Fetching the network map…" />
        {inspect.error !== null && urlProblem === null && <ErrorNote error={inspect.error} what="The network could not be checked" />}
      </form>
      {preview !== null && (
        <form className="form subform" aria-labelledby={headingId} onSubmit={submitJoin} noValidate>
          <dl className="facts">
            <Fact term="Network">{preview.name}</Fact>
            <Fact term="Members">{preview.members}</Fact>
            <Fact term="Fingerprint">
              <code className="network-fingerprint">{preview.fingerprint}</code>
            </Fact>
          </dl>
          <p className="muted">
            Compare this fingerprint with the one the network operator gives you by another channel (a phone call, their
            letter). The node will trust this network’s key from now on.
          </p>
          <label className="checkbox">
            <input type="checkbox" checked={compared} onChange={(event) => setCompared(event.target.checked)} /> I compared the
            fingerprint and it matches
          </label>
          <TextField label="Institution’s legal name" value={legalName} onValue={setLegalName} autoComplete="organization" />
          <TextField label="Country" value={country} onValue={setCountry} className="field--narrow" hint="Two letters, ISO 3166 (CH, DE, US…)." />
          <fieldset className="field" aria-describedby={rolesId}>
            <legend className="field__label">Roles in the network</legend>
            {MEMBER_ROLES.map((role) => (
              <label key={role} className="checkbox">
                <input
                  type="checkbox"
                  checked={roles.includes(role)}
                  onChange={(event) => setRoles((previous) => (event.target.checked ? [...previous, role] : previous.filter((r) => r !== role)))}
                />{' '}
                {ROLE_LABELS[role]}
              </label>
            ))}
            <p id={rolesId} className="field__hint">
              The network operator approves the roles with the membership.
            </p>
          </fieldset>
          <SubmitRow label="Send the join request" problem={problem} busy={join.busy} busyText="Signing and sending…" />
          {join.error !== null && <ErrorNote error={join.error} what="The join request was not sent" />}
        </form>
      )}
    </div>
  );
}
