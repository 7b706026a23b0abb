import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Hl7Charset, IntakeMessageResult } from '../../../shared/ipc/intake-contract';
import { SubmitRow } from '../../app/form/submit-row';
import { hrefForPath } from '../../app/router/hash-route';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { ActionError } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { QuarantineEntry } from '../../vault/vault-service';
import { isHl7Charset } from './hl7-tree';
import { AckCodes, CharsetOverrideField, MessageCells, MessageHeads, flagWords } from './message-parts';
import { When } from './monitor-tables';

const STATUS_WORDS = { open: 'Open', reprocessed: 'Reprocessed', discarded: 'Discarded' } as const;

export function senderOf(entry: QuarantineEntry): string {
  const { sendingApplication, sendingFacility, source } = entry.detail;
  const system = [sendingApplication ?? '', sendingFacility ?? ''].filter((part) => part !== '').join(' | ');
  return system !== '' ? system : (source ?? '');
}

type Pending = { readonly action: 'reprocess' | 'discard'; readonly entry: QuarantineEntry };

/**
 * Quarantined inputs (from the vault's quarantine view): why each was not accepted, with "View raw",
 * "Reprocess…" (the mind opens the raw bytes and sends them again, optionally read with another
 * charset) and "Discard…" (confirmed). Both are journaled by the body; the list then refreshes.
 */
export function QuarantinePanel({ entries, onChanged }: { entries: readonly QuarantineEntry[]; onChanged: () => void }) {
  const headingId = useId();
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<ReactNode>(null);
  const open = entries.filter((entry) => entry.status === 'open').length;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Quarantine</h2>
      <p className="muted">
        Messages that could not be accepted (or were accepted without a patient to file them under), sealed in the vault
        with the reason. {open === 1 ? '1 is waiting.' : `${open} are waiting.`}
      </p>
      {notice !== null && (
        <div role="status" className="note note--ok">
          {notice}
        </div>
      )}
      {entries.length === 0 ? (
        <p>Nothing is in quarantine.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Reason</th>
                <th scope="col">Sender</th>
                <MessageHeads />
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.seq}>
                  <td>
                    <When iso={entry.at} />
                  </td>
                  <th scope="row" className="quarantine__reason">
                    {entry.detail.reason}
                  </th>
                  <td>{senderOf(entry)}</td>
                  <MessageCells message={{ messageType: entry.detail.messageType, controlId: entry.detail.messageId, acks: entry.detail.acks }} />
                  <td>{STATUS_WORDS[entry.status]}</td>
                  <td>
                    <div className="table-actions">
                      {entry.objectId !== null && (
                        <a className="button" href={hrefForPath('intake', 'raw', String(entry.seq))} aria-label={`View raw message ${entry.seq}`}>
                          View raw
                        </a>
                      )}
                      {entry.status === 'open' && (
                        <>
                          {entry.objectId !== null && (
                            <button type="button" className="button" aria-label={`Reprocess message ${entry.seq}`} onClick={() => setPending({ action: 'reprocess', entry })}>
                              Reprocess…
                            </button>
                          )}
                          <button type="button" className="button button--danger-outline" aria-label={`Discard message ${entry.seq}`} onClick={() => setPending({ action: 'discard', entry })}>
                            Discard…
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pending !== null && (
        <QuarantineDialog
          pending={pending}
          onClose={() => setPending(null)}
          onDone={(text) => {
            setPending(null);
            setNotice(text);
            onChanged();
          }}
        />
      )}
    </section>
  );
}

function resultText(resolved: boolean, results: readonly IntakeMessageResult[]): ReactNode {
  if (results.length === 0) return 'Reprocessed: no message was found in the bytes. The entry stays in quarantine.';
  return (
    <>
      <p>{resolved ? 'Reprocessed: every message was stored.' : 'Reprocessed, but not every message was stored: the entry stays in quarantine.'}</p>
      <ul className="plain-list">
        {results.map((result) => (
          <li key={`${result.file}.${result.index}`}>
            {result.messageType} <code>{result.controlId}</code> <AckCodes acks={[result.ack]} /> {flagWords(result).join(', ')}
            {result.reason === undefined ? '' : ` — ${result.reason}`}
          </li>
        ))}
      </ul>
    </>
  );
}

function QuarantineDialog({ pending, onClose, onDone }: { pending: Pending; onClose: () => void; onDone: (notice: ReactNode) => void }) {
  const vault = useVault();
  const dialog = useModalDialog();
  const titleId = useId();
  const charsetId = useId();
  const { entry, action } = pending;
  const initial = entry.detail.charset !== undefined && isHl7Charset(entry.detail.charset) ? entry.detail.charset : '';
  const [charset, setCharset] = useState<'' | Hl7Charset>(initial);

  const run = useAction(async () => {
    if (action === 'discard') {
      await vault.discardQuarantined(entry.seq);
      onDone(`The quarantined message ${entry.detail.messageId ?? entry.seq} was discarded.`);
      return;
    }
    const answer = await vault.reprocessQuarantined(entry.seq, charset === '' ? {} : { charset });
    onDone(resultText(answer.resolved, answer.results));
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!run.busy) void run.run();
  };
  const name = entry.detail.messageId === undefined || entry.detail.messageId === '' ? `from ${senderOf(entry)}` : entry.detail.messageId;

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!run.busy) onClose();
      }}
    >
      <form className="form" onSubmit={submit} noValidate>
        <h2 id={titleId}>{action === 'discard' ? `Discard message ${name}?` : `Reprocess message ${name}?`}</h2>
        <p>Reason it was quarantined: {entry.detail.reason}</p>
        {action === 'discard' ? (
          <p>
            The message is marked discarded and leaves the list of open items. Its raw bytes stay sealed in the vault,
            and the journal records who discarded it.
          </p>
        ) : (
          <>
            <p>The raw message is sent through the intake again, as if it had just arrived. The journal records the reprocess.</p>
            <CharsetOverrideField id={charsetId} value={charset} onChange={setCharset} />
          </>
        )}
        <SubmitRow
          label={action === 'discard' ? 'Discard message' : 'Reprocess message'}
          problem={null}
          busy={run.busy}
          busyText={action === 'discard' ? 'Discarding…' : 'Reprocessing…'}
          danger={action === 'discard'}
        >
          <button type="button" className="button" onClick={onClose} disabled={run.busy}>
            Cancel
          </button>
        </SubmitRow>
        <ActionError error={run.error} />
      </form>
    </dialog>
  );
}
