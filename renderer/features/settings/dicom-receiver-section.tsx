import { useId } from 'react';
import type { DicomSettings } from '../../../shared/ipc/dicom-contract';
import { useApi } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
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
  issuers: string;
}

function draftOf(settings: DicomSettings): Draft {
  return {
    aeTitle: settings.aeTitle,
    port: String(settings.port),
    bindAddress: settings.bindAddress,
    allowedCallers: settings.allowedCallers.map((caller) => `${caller.aeTitle} ${caller.address}`).join('\n'),
    maxAssociations: String(settings.maxAssociations),
    issuers: Object.entries(settings.issuerAuthorities)
      .map(([issuer, authority]) => `${issuer} = ${authority}`)
      .join('\n'),
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
    issuerAuthorities: Object.fromEntries(
      lines(draft.issuers).map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, line] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      }),
    ),
  };
}

function draftProblem(draft: Draft): string | null {
  if (draft.aeTitle.trim() === '' || draft.aeTitle.trim().length > 16) return 'The AE title is 1 to 16 characters.';
  if (!/^\d{1,5}$/.test(draft.port.trim())) return 'The port is a whole number from 0 to 65535.';
  if (draft.bindAddress.trim() === '') return 'Give the address to listen on.';
  if (!/^\d{1,2}$/.test(draft.maxAssociations.trim())) return 'Give the number of associations at once (1 to 64).';
  if (lines(draft.allowedCallers).some((line) => line.split(/\s+/).length !== 2)) return 'Each allowed caller is an AE title and an IP address on one line.';
  return null;
}

function listenerText(answer: Answer): string {
  const { listener } = answer;
  if (listener.state === 'listening') return `Listening as ${answer.settings.aeTitle} on ${listener.address ?? answer.settings.bindAddress}, port ${listener.port ?? answer.settings.port}.`;
  return `${listenerStateName(listener.state)}${listener.reason === undefined ? '.' : `: ${listener.reason}`}`;
}

/** Settings › DICOM receiver (administrators): its AE title, where it listens, who may associate, and the issuer map. */
export function DicomReceiverSection() {
  const api = useApi();
  const headingId = useId();
  const callersId = useId();
  const issuersId = useId();
  const { loaded, draft, saved, save, change, submit } = useSettingsDraft({
    load: () => api.dicom.getSettings({}),
    store: (settings: Parameters<typeof api.dicom.updateSettings>[0]) => api.dicom.updateSettings(settings),
    draftOf,
    changeOf: dicomChangeOf,
    problemOf: draftProblem,
  });

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
            {loaded.answer.portOverride !== null && ` This run uses port ${loaded.answer.portOverride} from the command line (--dicom-port).`}
          </p>
          <TextField label="AE title" value={draft.aeTitle} onValue={(aeTitle) => change({ aeTitle })} spellCheck={false} autoComplete="off" className="field--narrow" hint="The called AE title senders use (up to 16 characters)." />
          <TextField label="Port" value={draft.port} onValue={(port) => change({ port })} inputMode="numeric" className="field--narrow" hint="0 turns the receiver off. The usual DICOM port is 11112 (or 104)." />
          <TextField label="Bind address" value={draft.bindAddress} onValue={(bindAddress) => change({ bindAddress })} spellCheck={false} autoComplete="off" hint="127.0.0.1 (this computer only), or this computer’s LAN address." />
          <div className="field">
            <label htmlFor={callersId} className="field__label">
              Allowed callers
            </label>
            <textarea id={callersId} className="input textarea" rows={4} value={draft.allowedCallers} spellCheck={false} onChange={(event) => change({ allowedCallers: event.target.value })} />
            <p className="field__hint">One per line: the calling AE title, a space, its IP address.</p>
          </div>
          <TextField label="Associations at once" value={draft.maxAssociations} onValue={(maxAssociations) => change({ maxAssociations })} inputMode="numeric" className="field--narrow" hint="More are asked to retry later." />
          <div className="field">
            <label htmlFor={issuersId} className="field__label">
              Issuer of Patient ID → assigning authority
            </label>
            <textarea id={issuersId} className="input textarea" rows={3} value={draft.issuers} spellCheck={false} onChange={(event) => change({ issuers: event.target.value })} />
            <p className="field__hint">One per line, e.g. “RADIOLOGY = NORTHCLINIC”, so studies land on the patients HL7 messages made.</p>
          </div>
          <SubmitRow label="Save receiver settings" problem={draftProblem(draft)} busy={save.busy} busyText="Saving and restarting the receiver…" />
          {saved && <p className="saved-note">Receiver settings saved.</p>}
          <ActionError error={save.error} />
        </form>
      )}
    </section>
  );
}
