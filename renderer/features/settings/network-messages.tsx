import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { NetworkState } from '../../../shared/ipc/network-contract';
import { MAX_NOTE_LENGTH } from '../../../shared/network/relay-payload';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useRelayMessenger } from '../../app/network-context';
import { useAction } from '../../app/use-action';
import type { RelayMessageView } from '../../network/relay-messenger';
import { useVaultIndexing } from '../../vault/vault-context';

/**
 * Settings › Network › Messages (issue 10 item 9): notes between member institutions, end to end
 * encrypted through the network's relay. What arrived while the node was locked or offline was
 * journaled by the body and is opened here; the list follows the views (a replay brings new ones).
 */
export function NetworkMessages({ state }: { state: NetworkState }) {
  const messenger = useRelayMessenger();
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; messages: RelayMessageView[] }>({ phase: 'loading' });

  const load = useCallback(() => {
    if (messenger === null) return;
    messenger.messages().then(
      (messages) => setLoaded({ phase: 'ready', messages }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [messenger]);
  // Again whenever a replay ends (a message journaled by the body reaches the views by a replay).
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

  if (messenger === null) return null;
  const names = new Map((state.map?.members ?? []).map((member) => [member.address, member.legalName]));
  const nameOf = (address: string): string => names.get(address) ?? `${address.slice(0, 10)}… (not a current member)`;

  return (
    <div className="settings-block">
      <h3 id={headingId}>Messages</h3>
      <p className="muted">Notes to and from member institutions, encrypted end to end: the network server sees only who writes to whom, and sizes. Never put patient data in a note.</p>
      <NoteForm state={state} onSent={load} />
      {loaded.phase === 'loading' && <p role="status">Loading the messages…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The messages could not be loaded" />}
      {loaded.phase === 'ready' &&
        (loaded.messages.length === 0 ? (
          <p className="muted">No messages yet.</p>
        ) : (
          <ul className="message-list" aria-labelledby={headingId}>
            {loaded.messages.map((message) => (
              <li key={message.key} className="message-list__item">
                <p className="message-list__meta">
                  {message.direction === 'in' ? `From ${nameOf(message.from)}` : `To ${message.to.map(nameOf).join(', ')}`} · {new Date(message.at).toLocaleString()}
                </p>
                {message.payload !== null ? (
                  <>
                    <p className="message-list__subject">{message.payload.subject}</p>
                    <p className="message-list__text">{message.payload.text}</p>
                  </>
                ) : (
                  <p className="note note--warn">{message.problem}</p>
                )}
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

function NoteForm({ state, onSent }: { state: NetworkState; onSent: () => void }) {
  const messenger = useRelayMessenger();
  const recipientId = useId();
  const textId = useId();
  const others = (state.map?.members ?? []).filter((member) => member.address !== state.node);
  const [to, setTo] = useState('');
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [sent, setSent] = useState(false);
  const send = useAction(async () => {
    if (messenger === null) return;
    setSent(false);
    await messenger.sendNote({ to, subject, text });
    setSubject('');
    setText('');
    setSent(true);
    onSent();
  });
  if (others.length === 0) return <p className="muted">No other member to write to yet.</p>;
  const problem = to === '' ? 'Choose a member.' : subject.trim() === '' ? 'Enter a subject.' : text.length > MAX_NOTE_LENGTH ? `At most ${MAX_NOTE_LENGTH.toLocaleString('en')} characters.` : null;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem === null && !send.busy) void send.run();
  };
  return (
    <form className="form subform" aria-label="Send a note" onSubmit={submit} noValidate>
      <div className="field">
        <label className="field__label" htmlFor={recipientId}>
          To
        </label>
        <select id={recipientId} className="input" value={to} onChange={(event) => setTo(event.target.value)}>
          <option value="">Choose a member…</option>
          {others.map((member) => (
            <option key={member.address} value={member.address}>
              {member.legalName} ({member.country})
            </option>
          ))}
        </select>
      </div>
      <TextField label="Subject" value={subject} onValue={setSubject} autoComplete="off" />
      <div className="field">
        <label className="field__label" htmlFor={textId}>
          Note
        </label>
        <textarea id={textId} className="input" rows={4} value={text} maxLength={MAX_NOTE_LENGTH} onChange={(event) => setText(event.target.value)} />
      </div>
      <SubmitRow label="Send the note" problem={problem} busy={send.busy} busyText="Encrypting and sending…" />
      {send.error !== null && <ErrorNote error={send.error} what="The note was not sent" />}
      {sent && send.error === null && (
        <p role="status" className="note">
          Sent. The relay keeps it for up to 7 days until the member’s node is online.
        </p>
      )}
    </form>
  );
}
