import { useId } from 'react';
import { ContractError } from '../../../shared/ipc/errors';
import { HL7_CHARSETS, IntakeSettingsSchema, type Hl7Charset, type IntakeSettings, type IntakeSettingsAnswer } from '../../../shared/ipc/intake-contract';
import { fieldProblems, labelledRefusal, refusalProblems, type FieldProblem, type FieldSpecs } from '../../app/form/field-problems';
import { FieldProblemText } from '../../app/form/text-field';
import { useApi } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { ActionError } from '../../app/vault-errors';
import { useSettingsDraft } from '../../app/form/use-settings-draft';
import { listenerStateName } from '../intake/channel-names';

const MIB = 1024 * 1024;

interface Draft {
  port: string;
  bindAddress: string;
  allowedPeers: string;
  maxMessageMiB: string;
  defaultCharset: Hl7Charset;
}

function draftOf(settings: IntakeSettings): Draft {
  return {
    port: String(settings.port),
    bindAddress: settings.bindAddress,
    allowedPeers: settings.allowedPeers.join('\n'),
    maxMessageMiB: String(Math.round((settings.maxMessageBytes / MIB) * 1000) / 1000),
    defaultCharset: settings.defaultCharset,
  };
}

/** The draft as the contract's settings; numbers the body validates (its errors are shown as they come). */
export function settingsOf(draft: Draft): IntakeSettings {
  return {
    port: draft.port.trim() === '' ? Number.NaN : Number(draft.port),
    bindAddress: draft.bindAddress.trim(),
    allowedPeers: draft.allowedPeers
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    maxMessageBytes: Math.round(Number(draft.maxMessageMiB) * MIB),
    defaultCharset: draft.defaultCharset,
  };
}

type Field = keyof IntakeSettings;

/** The form's fields as a person reads them (field-problems.ts). */
const FIELDS: FieldSpecs<Field> = {
  port: { label: 'Port' },
  bindAddress: { label: 'Bind address', invalid: 'is not an IP address' },
  allowedPeers: { label: 'Allowed peers', item: 'line', invalid: 'is not an IP address' },
  maxMessageBytes: { label: 'Maximum message size (MiB)', bound: inMiB },
  defaultCharset: { label: 'Default charset' },
  maxConnectionsPerPeer: { label: 'Connections per peer' },
};

/**
 * A size limit in the field's own unit (MiB), as one would type it: the 1 KiB minimum is "0.001
 * MiB" (rounded up to three decimals, so the value shown is itself accepted), 16 MiB is "16 MiB".
 */
function inMiB(bytes: number): string {
  const mib = bytes / MIB;
  return `${Number.isInteger(mib) ? mib : Math.ceil(mib * 1000) / 1000} MiB`;
}

/**
 * Each field's problem, with its label: what cannot be read as a value at all, then what the
 * contract's own schema refuses (so the body's refusal text never has to be shown). The body still
 * checks the rest: the allow-list rule, a port in use.
 */
function draftProblems(draft: Draft): FieldProblem<Field>[] {
  const unreadable: FieldProblem<Field>[] = [];
  if (!/^\d{1,5}$/.test(draft.port.trim())) unreadable.push({ field: 'port', message: 'Port: a whole number from 0 to 65535.' });
  if (draft.maxMessageMiB.trim() === '' || !Number.isFinite(Number(draft.maxMessageMiB))) unreadable.push({ field: 'maxMessageBytes', message: 'Maximum message size (MiB): give a number.' });
  const known = new Set(unreadable.map((problem) => problem.field));
  const bySchema = fieldProblems(IntakeSettingsSchema.partial(), settingsOf(draft), FIELDS).filter((problem) => problem.field === null || !known.has(problem.field));
  return [...unreadable, ...bySchema];
}

/** What stops the form from being sent at all: the first field problem. */
function draftProblem(draft: Draft): string | null {
  return draftProblems(draft)[0]?.message ?? null;
}

function listenerText(answer: IntakeSettingsAnswer): string {
  const { listener } = answer;
  if (listener.state === 'listening') return `Listening on ${listener.address ?? answer.settings.bindAddress}, port ${listener.port ?? answer.settings.port}.`;
  return `${listenerStateName(listener.state)}${listener.reason === undefined ? '.' : `: ${listener.reason}`}`;
}

/** Settings › HL7 listener (administrators): where the MLLP listener listens, who may connect, limits. */
export function Hl7ListenerSection() {
  const api = useApi();
  const headingId = useId();
  const charsetId = useId();
  const peersId = useId();
  const peersHintId = useId();
  const peersProblemId = useId();
  const { loaded, draft, saved, attempted, save, change, submit } = useSettingsDraft({
    load: () => api.hl7.getSettings({}),
    store: (settings: Parameters<typeof api.hl7.updateSettings>[0]) => api.hl7.updateSettings(settings),
    draftOf,
    changeOf: settingsOf,
    problemOf: draftProblem,
  });

  // Each field's own problem: the draft's, else what the body refused when the draft was sent.
  const refused = save.error instanceof ContractError && save.error.code === 'E_BAD_REQUEST' ? (refusalProblems(save.error.message, FIELDS) ?? labelledRefusal(save.error.message, FIELDS)) : null;
  const problems = draft === null ? [] : draftProblems(draft);
  const problemOf = (field: Field): string | null => (problems.find((p) => p.field === field) ?? refused?.find((p) => p.field === field))?.message ?? null;

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>HL7 listener</h2>
      <p className="muted">
        Sending systems (the EHR, the lab, an interface engine) deliver HL7 v2 over MLLP to this port. By default the
        listener accepts connections from this computer only (127.0.0.1). Binding to a network (LAN) address requires an
        allow-list: only the peer addresses listed may connect.
      </p>
      {loaded.phase === 'loading' && <p role="status">Loading the listener settings…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The listener settings could not be loaded" />}
      {loaded.phase === 'ready' && draft !== null && (
        <form className="form subform" onSubmit={submit} noValidate>
          <p className="muted" role="status">
            Now: {listenerText(loaded.answer)}
            {loaded.answer.portOverride !== null && ` This run uses port ${loaded.answer.portOverride} from the command line (--mllp-port); the saved port applies on the next start without it.`}
          </p>
          <TextField label="Port" value={draft.port} onValue={(port) => change({ port })} inputMode="numeric" className="field--narrow" hint="0 turns the listener off. The usual MLLP port is 2575." problem={problemOf('port')} />
          <TextField
            label="Bind address"
            value={draft.bindAddress}
            onValue={(bindAddress) => change({ bindAddress })}
            spellCheck={false}
            autoComplete="off"
            hint="127.0.0.1 (this computer only), or this computer’s LAN address to accept messages from other machines."
            problem={problemOf('bindAddress')}
          />
          <div className="field">
            <label htmlFor={peersId} className="field__label">
              Allowed peers
            </label>
            <textarea
              id={peersId}
              className="input textarea"
              rows={4}
              value={draft.allowedPeers}
              spellCheck={false}
              aria-describedby={problemOf('allowedPeers') === null ? peersHintId : `${peersHintId} ${peersProblemId}`}
              aria-invalid={problemOf('allowedPeers') !== null || undefined}
              onChange={(event) => change({ allowedPeers: event.target.value })}
            />
            <p id={peersHintId} className="field__hint">
              One IP address per line. Required when the bind address is not a loopback address; when given, only these
              addresses may connect.
            </p>
            {problemOf('allowedPeers') !== null && <FieldProblemText id={peersProblemId} text={problemOf('allowedPeers')!} />}
          </div>
          <TextField
            label="Maximum message size (MiB)"
            value={draft.maxMessageMiB}
            onValue={(maxMessageMiB) => change({ maxMessageMiB })}
            inputMode="decimal"
            className="field--narrow"
            hint="Larger messages are answered AR and not stored. At most 16 MiB."
            problem={problemOf('maxMessageBytes')}
          />
          <div className="field">
            <label htmlFor={charsetId} className="field__label">
              Default charset
            </label>
            <select id={charsetId} className="input select field--narrow" value={draft.defaultCharset} onChange={(event) => change({ defaultCharset: event.target.value as Hl7Charset })}>
              {HL7_CHARSETS.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <p className="field__hint">For messages whose MSH-18 is empty.</p>
          </div>
          {/* Enabled until the person tries to send: each field shows its own problem meanwhile (README, forms). */}
          <SubmitRow label="Save listener settings" problem={attempted ? draftProblem(draft) : null} busy={save.busy} busyText="Saving and restarting the listener…" />
          {saved && <p className="saved-note">Listener settings saved.</p>}
          {/* A refusal the fields show already is not repeated. */}
          {(refused === null || refused.some((p) => p.field === null)) && <ActionError error={save.error} />}
        </form>
      )}
    </section>
  );
}
