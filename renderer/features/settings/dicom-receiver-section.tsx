import { useId } from 'react';
import { DicomSettingsSchema, type DicomSettings } from '../../../shared/ipc/dicom-contract';
import { useApi } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { FieldProblemText, TextField } from '../../app/form/text-field';
import { fieldProblems, labelledRefusal, lineProblems, listProblemMessage, refusalProblems, type FieldProblem, type FieldSpecs, type LineProblem } from '../../app/form/field-problems';
import { ContractError } from '../../../shared/ipc/errors';
import { ActionError } from '../../app/vault-errors';
import { useSettingsDraft } from '../../app/form/use-settings-draft';
import { listenerStateName } from '../intake/channel-names';

type Answer = Awaited<ReturnType<ReturnType<typeof useApi>['dicom']['getSettings']>>;

interface Draft {
  aeTitle: string;
  port: string;
  bindAddress: string;
  allowedCallers: string;
  maxAssociations: string;
  maxPduLength: string;
  artimSeconds: string;
  idleTimeoutSeconds: string;
  issuers: string;
  /** The assigning authority for instances sent without Issuer of Patient ID (the map's key ''); empty: none. */
  noIssuerAuthority: string;
}

/**
 * What the issuer settings do not do (QA round 4 D7): they apply as instances arrive, so earlier
 * studies are not re-filed, and a resend is a duplicate; a patient merge moves them (the views
 * resolve merges for studies as for every record).
 */
const REFILE_HINT =
  'A change applies to instances received from then on: studies received before stay under the patient they were filed under (sending them again does not move them: they are duplicates). To move them, have the ADT system send a patient merge (ADT^A40) with the patient in PID-3 and, in MRG-1, the Patient ID with the authority it was filed under (the issuer sent, or what the map or this setting made of it then; empty when none applied).';

function draftOf(settings: DicomSettings): Draft {
  return {
    aeTitle: settings.aeTitle,
    port: String(settings.port),
    bindAddress: settings.bindAddress,
    allowedCallers: settings.allowedCallers.map((caller) => `${caller.aeTitle} ${caller.address}`).join('\n'),
    maxAssociations: String(settings.maxAssociations),
    maxPduLength: String(settings.maxPduLength),
    artimSeconds: String(settings.artimSeconds),
    idleTimeoutSeconds: String(settings.idleTimeoutSeconds),
    issuers: Object.entries(settings.issuerAuthorities)
      .filter(([issuer]) => issuer !== '')
      .map(([issuer, authority]) => `${issuer} = ${authority}`)
      .join('\n'),
    noIssuerAuthority: settings.issuerAuthorities[''] ?? '',
  };
}

const lines = (text: string): string[] =>
  text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** The draft as a settings change; the body validates it (AE titles, addresses, the allow-list rule). */
export function dicomChangeOf(draft: Draft): Partial<DicomSettings> {
  return {
    aeTitle: draft.aeTitle.trim(),
    port: draft.port.trim() === '' ? Number.NaN : Number(draft.port),
    bindAddress: draft.bindAddress.trim(),
    allowedCallers: lines(draft.allowedCallers).map((line) => {
      const [aeTitle = '', address = ''] = line.split(/\s+/);
      return { aeTitle, address };
    }),
    maxAssociations: Number(draft.maxAssociations),
    maxPduLength: Number(draft.maxPduLength),
    artimSeconds: Number(draft.artimSeconds),
    idleTimeoutSeconds: Number(draft.idleTimeoutSeconds),
    issuerAuthorities: Object.fromEntries([
      // The key '' is the body's "no issuer sent" (dicom-intake.ts normalizeInstance).
      ...(draft.noIssuerAuthority.trim() === '' ? [] : [['', draft.noIssuerAuthority.trim()]]),
      ...lines(draft.issuers).map((line) => {
        // A line without "=", or without an issuer before it, is refused before sending (draftProblems).
        const at = line.indexOf('=');
        return [line.slice(0, Math.max(0, at)).trim(), line.slice(at + 1).trim()];
      }),
    ]),
  };
}

type Field = keyof DicomSettings | 'noIssuerAuthority';

/** The form's fields as a person reads them (field-problems.ts). */
const FIELDS: FieldSpecs<Field> = {
  aeTitle: { label: 'AE title' },
  port: { label: 'Port' },
  bindAddress: { label: 'Bind address', invalid: 'is not an IP address' },
  allowedCallers: { label: 'Allowed callers', item: 'line', invalid: 'is not an IP address', parts: { aeTitle: 'AE title', address: 'IP address' } },
  maxAssociations: { label: 'Associations at once' },
  issuerAuthorities: { label: 'Issuer of Patient ID → assigning authority', item: 'line' },
  noIssuerAuthority: { label: 'Assigning authority when no issuer is sent' },
  maxPduLength: { label: 'Maximum PDU length (bytes)' },
  artimSeconds: { label: 'ARTIM timeout (seconds)' },
  idleTimeoutSeconds: { label: 'Idle timeout (seconds)' },
};

/** Each field's problem, with its label: what cannot be read at all, then what the contract's schema refuses. */
function draftProblems(draft: Draft): FieldProblem<Field>[] {
  const unreadable: FieldProblem<Field>[] = [];
  if (!/^\d{1,5}$/.test(draft.port.trim())) unreadable.push({ field: 'port', message: 'Port: a whole number from 0 to 65535.' });
  if (!/^\d{1,2}$/.test(draft.maxAssociations.trim())) unreadable.push({ field: 'maxAssociations', message: 'Associations at once: a whole number from 1 to 64.' });
  // Whole numbers only: Number('') is 0 and Number('1e3') 1000, which the schema would take.
  if (!/^\d{1,7}$/.test(draft.maxPduLength.trim())) unreadable.push({ field: 'maxPduLength', message: 'Maximum PDU length (bytes): a whole number from 4096 to 4194304.' });
  if (!/^\d{1,3}$/.test(draft.artimSeconds.trim())) unreadable.push({ field: 'artimSeconds', message: 'ARTIM timeout (seconds): a whole number from 1 to 600.' });
  if (!/^\d{1,4}$/.test(draft.idleTimeoutSeconds.trim())) unreadable.push({ field: 'idleTimeoutSeconds', message: 'Idle timeout (seconds): a whole number from 1 to 3600.' });
  // Every bad line at once (QA s35 T1 F12): those not of two words, and what the schema refuses in the others.
  const shapeless: LineProblem[] = lines(draft.allowedCallers).flatMap((line, index) => (line.split(/\s+/).length === 2 ? [] : [{ index, text: `line ${index + 1}: an AE title, a space and an IP address` }]));
  const callerLines = [
    ...shapeless,
    ...lineProblems(DicomSettingsSchema.partial(), dicomChangeOf(draft), 'allowedCallers', FIELDS).filter((problem) => !shapeless.some((bad) => bad.index === problem.index)),
  ];
  if (callerLines.length > 0) unreadable.push({ field: 'allowedCallers', message: listProblemMessage(FIELDS.allowedCallers, callerLines) });
  const issuerLine = lines(draft.issuers).findIndex((line) => {
    const at = line.indexOf('=');
    return at <= 0 || line.slice(0, at).trim() === '' || line.slice(at + 1).trim() === '';
  });
  const noIssuerLine = lines(draft.issuers).findIndex((line) => line.indexOf('=') >= 0 && line.slice(0, line.indexOf('=')).trim() === '');
  if (noIssuerLine >= 0) {
    unreadable.push({
      field: 'issuerAuthorities',
      message: `Issuer of Patient ID → assigning authority, line ${noIssuerLine + 1}: names no issuer; for instances sent without one, use “Assigning authority when no issuer is sent”.`,
    });
  } else if (issuerLine >= 0) {
    unreadable.push({ field: 'issuerAuthorities', message: `Issuer of Patient ID → assigning authority, line ${issuerLine + 1}: an issuer, "=" and the assigning authority (for example RADIOLOGY = NORTHCLINIC).` });
  }
  const known = new Set(unreadable.map((problem) => problem.field));
  if (draft.noIssuerAuthority.trim().length > 64) unreadable.push({ field: 'noIssuerAuthority', message: 'Assigning authority when no issuer is sent: takes at most 64 characters.' });
  const bySchema = fieldProblems(DicomSettingsSchema.partial(), dicomChangeOf(draft), FIELDS).filter((problem) => problem.field === null || !known.has(problem.field));
  return [...unreadable, ...bySchema];
}

function draftProblem(draft: Draft): string | null {
  return draftProblems(draft)[0]?.message ?? null;
}

function listenerText(answer: Answer): string {
  const { listener } = answer;
  if (listener.state === 'listening') return `Listening as ${answer.settings.aeTitle} on ${listener.address ?? answer.settings.bindAddress}, port ${listener.port ?? answer.settings.port}.`;
  return `${listenerStateName(listener.state)}${listener.reason === undefined ? '.' : `: ${listener.reason}`}`;
}

/** Settings › DICOM receiver (administrators): its AE title, where it listens, who may associate, its limits and timeouts, and the issuer map. */
export function DicomReceiverSection() {
  const api = useApi();
  const headingId = useId();
  const callersId = useId();
  const issuersId = useId();
  const callersProblemId = useId();
  const issuersProblemId = useId();
  const issuersHintId = useId();
  const { loaded, draft, saved, attempted, save, change, submit } = useSettingsDraft({
    load: () => api.dicom.getSettings({}),
    store: (settings: Parameters<typeof api.dicom.updateSettings>[0]) => api.dicom.updateSettings(settings),
    draftOf,
    changeOf: dicomChangeOf,
    problemOf: draftProblem,
  });

  // Each field's own problem: the draft's, else what the body refused when the draft was sent.
  const refused = save.error instanceof ContractError && save.error.code === 'E_BAD_REQUEST' ? (refusalProblems(save.error.message, FIELDS) ?? labelledRefusal(save.error.message, FIELDS)) : null;
  const problems = draft === null ? [] : draftProblems(draft);
  const problemOf = (field: Field): string | null => (problems.find((p) => p.field === field) ?? refused?.find((p) => p.field === field))?.message ?? null;
  const callersProblem = problemOf('allowedCallers');
  const issuersProblem = problemOf('issuerAuthorities');

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>DICOM receiver</h2>
      <p className="muted">
        Modalities and PACS send studies to this AE title and port (C-STORE). By default only this computer may connect;
        a network address needs an allow-list of calling AE titles, each with the address it connects from.
      </p>
      {loaded.phase === 'loading' && <p role="status">Loading the receiver settings…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The receiver settings could not be loaded" />}
      {loaded.phase === 'ready' && draft !== null && (
        <form className="form subform" onSubmit={submit} noValidate>
          <p className="muted" role="status">
            Now: {listenerText(loaded.answer)}
            {loaded.answer.portOverride !== null && ` This run uses port ${loaded.answer.portOverride} from the command line (--dicom-port); the saved port applies on the next start without it.`}
          </p>
          <TextField label="AE title" value={draft.aeTitle} onValue={(aeTitle) => change({ aeTitle })} spellCheck={false} autoComplete="off" className="field--narrow" hint="The called AE title senders use (up to 16 characters)." problem={problemOf('aeTitle')} />
          <TextField label="Port" value={draft.port} onValue={(port) => change({ port })} inputMode="numeric" className="field--narrow" hint="0 turns the receiver off. The usual DICOM port is 11112 (or 104)." problem={problemOf('port')} />
          <TextField label="Bind address" value={draft.bindAddress} onValue={(bindAddress) => change({ bindAddress })} spellCheck={false} autoComplete="off" hint="127.0.0.1 (this computer only), or this computer’s LAN address." problem={problemOf('bindAddress')} />
          <div className="field">
            <label htmlFor={callersId} className="field__label">
              Allowed callers
            </label>
            <textarea
              id={callersId}
              className="input textarea"
              rows={4}
              value={draft.allowedCallers}
              spellCheck={false}
              aria-invalid={callersProblem !== null || undefined}
              aria-describedby={callersProblem === null ? undefined : callersProblemId}
              onChange={(event) => change({ allowedCallers: event.target.value })}
            />
            <p className="field__hint">One per line: the calling AE title, a space, its IP address.</p>
            {callersProblem !== null && <FieldProblemText id={callersProblemId} text={callersProblem} />}
          </div>
          <TextField label="Associations at once" value={draft.maxAssociations} onValue={(maxAssociations) => change({ maxAssociations })} inputMode="numeric" className="field--narrow" hint="More are asked to retry later." problem={problemOf('maxAssociations')} />
          <TextField
            label="Maximum PDU length (bytes)"
            value={draft.maxPduLength}
            onValue={(maxPduLength) => change({ maxPduLength })}
            inputMode="numeric"
            className="field--narrow"
            hint="The largest message piece senders may send: 4096 to 4194304 bytes (262144 = 256 KiB is usual)."
            problem={problemOf('maxPduLength')}
          />
          <TextField
            label="ARTIM timeout (seconds)"
            value={draft.artimSeconds}
            onValue={(artimSeconds) => change({ artimSeconds })}
            inputMode="numeric"
            className="field--narrow"
            hint="How long a connection may take to ask for an association, or to close after one ends (1 to 600)."
            problem={problemOf('artimSeconds')}
          />
          <TextField
            label="Idle timeout (seconds)"
            value={draft.idleTimeoutSeconds}
            onValue={(idleTimeoutSeconds) => change({ idleTimeoutSeconds })}
            inputMode="numeric"
            className="field--narrow"
            hint="How long a sender may go silent mid-association before it is cut off (1 to 3600)."
            problem={problemOf('idleTimeoutSeconds')}
          />
          <div className="field">
            <label htmlFor={issuersId} className="field__label">
              Issuer of Patient ID → assigning authority
            </label>
            <textarea
              id={issuersId}
              className="input textarea"
              rows={3}
              value={draft.issuers}
              spellCheck={false}
              aria-invalid={issuersProblem !== null || undefined}
              aria-describedby={issuersProblem === null ? issuersHintId : `${issuersHintId} ${issuersProblemId}`}
              onChange={(event) => change({ issuers: event.target.value })}
            />
            <p id={issuersHintId} className="field__hint">
              One per line, e.g. “RADIOLOGY = NORTHCLINIC”, so studies land on the patients HL7 messages made. An issuer not listed is its own assigning authority. {REFILE_HINT}
            </p>
            {issuersProblem !== null && <FieldProblemText id={issuersProblemId} text={issuersProblem} />}
          </div>
          <TextField
            label="Assigning authority when no issuer is sent"
            value={draft.noIssuerAuthority}
            onValue={(noIssuerAuthority) => change({ noIssuerAuthority })}
            spellCheck={false}
            autoComplete="off"
            className="field--narrow"
            hint={`For modalities that send a Patient ID without an Issuer of Patient ID (0010,0021): their studies are filed under this HL7 assigning authority’s patient with that ID (e.g. RADCLINIC). Set it only when every such sender uses that authority’s numbers. Empty: such a Patient ID is not matched to any authority’s patient. ${REFILE_HINT}`}
            problem={problemOf('noIssuerAuthority')}
          />
          {/* Enabled until the person tries to send: each field shows its own problem meanwhile (README, forms). */}
          <SubmitRow label="Save receiver settings" problem={attempted ? draftProblem(draft) : null} busy={save.busy} busyText="Saving and restarting the receiver…" />
          {saved && <p className="saved-note">Receiver settings saved.</p>}
          {/* A refusal the fields show already is not repeated. */}
          {(refused === null || refused.some((p) => p.field === null)) && <ActionError error={save.error} />}
        </form>
      )}
    </section>
  );
}
