import { useId, useState } from 'react';
import { useLedger } from '../../app/ledger-context';
import { hrefForPath } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { MessageDetail } from '../../vault/vault-service';
import { STATUS_WORDS } from './message-browser';
import { AckCodes } from './message-parts';
import { When, count } from './monitor-tables';
import { recordName, recordTypeLabel, recordValue } from '../patients/record-format';
import { RawMessageTree } from './raw-message-view';

const CHANNEL_WORDS: Readonly<Record<string, string>> = {
  'hl7-mllp': 'MLLP (network)',
  'hl7-file': 'File import',
  // Not a sender's channel: an operator ran a quarantined message again (edited or not); the act is journaled as `intake.reprocessed`.
  'hl7-reprocess': 'Reprocessed from the quarantine by an operator',
  demo: 'Demo data',
};

/** Why a message has no acknowledgment text to show. */
/** MSH-9's message code ("MFN" of "MFN^M02^MFN_M02"). */
function typeCode(messageType: string): string {
  return messageType.split('^')[0]!.toUpperCase() || 'These';
}

function noAckWords(channel: string): string {
  if (channel === 'hl7-file') return 'A file import sends no acknowledgment message; the code is what the import reported.';
  if (channel === 'hl7-reprocess') return 'No acknowledgment goes to the sender when an operator reprocesses a message; the code is what the reprocess reported.';
  return 'The acknowledgment text was not kept for this message (it arrived before this node journaled acknowledgments); the code is what was sent.';
}

/**
 * `#/intake/messages/<seq>`: one message of the message browser: what it was, the ACK that was
 * sent (as journaled with it), the patient its records were filed under (opening the page is an
 * access of that patient, journaled by openMessage), and (on request, since opening it is journaled
 * as an access of its own) the raw message as a segment/field tree.
 */
export function MessageDetailPage({ seq }: { seq: number }) {
  const vault = useVault();
  const detail = useVaultRead(`message:${seq}`, () => vault.openMessage(seq));
  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForPath('intake', 'messages')}>← Back to the message browser</a>
      </p>
      {detail.phase === 'loading' && <p role="status">Opening the message…</p>}
      {detail.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The message could not be opened: {vaultErrorMessage(detail.error)}</p>
          <button type="button" className="button" onClick={detail.reload}>
            Retry
          </button>
        </div>
      )}
      {detail.phase === 'ready' && <MessageFacts detail={detail.value} />}
    </>
  );
}

type OperatorNames = Readonly<Record<string, string>>;

const NO_NAMES: OperatorNames = {};

/**
 * The operator names this session may see, as the ledger screens show them (every operator for an
 * administrator, oneself otherwise: LedgerService.operatorNames); none while loading or without a ledger.
 */
function useOperatorNames(): OperatorNames {
  const ledger = useLedger();
  const names = useVaultRead('message:operator-names', () => (ledger === null ? Promise.resolve(NO_NAMES) : ledger.operatorNames()));
  return names.phase === 'ready' ? names.value : NO_NAMES;
}

/**
 * Who ran a reprocess, in a sentence (F12): the name when this session may know it, "another
 * operator" when not (as "Who accessed this record" words it), "the operator" when the journal does not say.
 */
export function reprocessorWords(pseudonym: string | undefined, names: OperatorNames): string {
  if (pseudonym === undefined) return 'the operator';
  return names[pseudonym] ?? 'another operator';
}

/** An ACK text as lines, one segment a line (HL7 separates segments with CR). */
export function ackLines(text: string): string {
  return text.split(/\r\n?|\n/).join('\n');
}

function MessageFacts({ detail }: { detail: MessageDetail }) {
  const { message, patient } = detail;
  const headingId = useId();
  const ackId = useId();
  const recordsId = useId();
  const [showRaw, setShowRaw] = useState(false);
  const names = useOperatorNames();
  // Kept "not mapped" (QA s33 D5: MFN, an inbound ACK): a quarantine record, but nothing waits in the quarantine.
  const keptUnmapped = message.kind === 'intake.quarantine' && message.status === 'not-mapped';
  const quarantined = message.kind === 'intake.quarantine' && !keptUnmapped;
  return (
    <>
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>
          Message {message.controlId === '' ? `(no control id)` : <code>{message.controlId}</code>}
        </h2>
        <dl className="facts">
          <dt>Received</dt>
          <dd>
            <When iso={message.receivedAt} />
          </dd>
          <dt>Via</dt>
          <dd>{CHANNEL_WORDS[message.channel] ?? message.channel}</dd>
          {message.reprocessOf !== undefined && (
            <>
              <dt>Reprocessed from</dt>
              <dd>
                <a href={hrefForPath('intake', 'messages', String(message.reprocessOf.quarantineSeq))}>Quarantined message {message.reprocessOf.quarantineSeq}</a>
                {message.reprocessOf.edited
                  ? `, edited by ${reprocessorWords(detail.reprocessedBy, names)} before it was reprocessed`
                  : `, reprocessed as it was${detail.reprocessedBy === undefined ? '' : ` by ${reprocessorWords(detail.reprocessedBy, names)}`}`}
              </dd>
            </>
          )}
          <dt>Sender (MSH-3 | MSH-4)</dt>
          <dd>{message.sender === '' ? 'Unknown (no readable header)' : message.sender}</dd>
          <dt>Type (MSH-9)</dt>
          <dd>{message.messageType === '' ? 'Unknown' : message.messageType}</dd>
          {message.version !== undefined && (
            <>
              <dt>Version (MSH-12)</dt>
              <dd>{message.version}</dd>
            </>
          )}
          <dt>Status</dt>
          <dd>{STATUS_WORDS[message.status]}</dd>
          {message.reason !== undefined && (
            <>
              <dt>Why it was quarantined</dt>
              <dd>
                {message.reason}
                {message.errorCode !== undefined ? ` (HL7 error ${message.errorCode}${message.errorLocation === undefined ? '' : ` at ${message.errorLocation}`})` : ''}
              </dd>
            </>
          )}
          {message.notes !== undefined && message.notes.length > 0 && (
            <>
              <dt>Mapping notes</dt>
              <dd>{message.notes.join('; ')}</dd>
            </>
          )}
          <dt>Journal sequence</dt>
          <dd>{message.seq}</dd>
        </dl>
        {message.status === 'conflict' && message.controlId !== '' && <SameControlId seq={message.seq} controlId={message.controlId} />}
      </section>
      <section className="panel" aria-labelledby={ackId}>
        <h2 id={ackId}>Acknowledgment sent</h2>
        <p>
          <AckCodes acks={message.acks} />
        </p>
        {message.ackTexts !== undefined && message.ackTexts.length > 0 ? (
          message.ackTexts.map((text, index) => (
            <pre key={index} className="ack-text" aria-label={`Acknowledgment ${index + 1} as sent`}>
              {ackLines(text)}
            </pre>
          ))
        ) : (
          <p className="muted">{keptUnmapped && message.acks.length === 0 ? 'No acknowledgment was sent: HL7 does not acknowledge an acknowledgment (this message is one).' : noAckWords(message.channel)}</p>
        )}
      </section>
      <section className="panel" aria-labelledby={recordsId}>
        <h2 id={recordsId}>What it produced</h2>
        {keptUnmapped ? (
          <p>Nothing to file: {typeCode(message.messageType)} messages name no patient. It is kept as received (type not mapped), and nothing waits in the quarantine.</p>
        ) : quarantined ? (
          <QuarantineOutcome resolution={detail.resolution} names={names} />
        ) : patient === null ? (
          <p>No patient in this vault holds its records any more (the patient may have been erased).</p>
        ) : message.records === 0 ? (
          // An update (ADT^A08 renaming a patient) files no record: say what it did (QA s34 D6).
          <p>
            {typeCode(message.messageType) === 'ADT' ? `It updated the patient’s registration (${message.messageType.split('^').slice(0, 2).join('^')}) of ` : 'It names '}
            <PatientLink patient={patient} />; it filed no records.
          </p>
        ) : (
          <>
            <p>
              {message.records === undefined ? 'Its records' : message.records === 1 ? '1 record' : `${count(message.records)} records`} filed under <PatientLink patient={patient} />
              {detail.records !== undefined && message.records !== undefined && detail.records.length < message.records
                ? ` (the first ${count(detail.records.length)} listed; the rest are on the patient’s page)`
                : ''}
              {detail.records !== undefined ? ':' : '.'}
            </p>
            {detail.records !== undefined && (
              <ul className="plain-list" aria-label="Records it produced">
                {detail.records.map((row) => (
                  <li key={row.recordId}>
                    <a href={hrefForPath('patients', row.patientId, 'records', row.recordId)}>
                      {recordTypeLabel(row.record)}: {recordName(row.record)}
                    </a>
                    {recordValue(row.record) === '' ? '' : ` ${recordValue(row.record)}`}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        {!keptUnmapped && !quarantined && patient !== null && (
          <p className="muted">Seeing the patient and the records here is recorded in the audit trail as an access of the patient (once per half hour of a session, as opening the patient is).</p>
        )}
        {message.objectId !== null &&
          (showRaw ? (
            <RawOfMessage seq={message.seq} />
          ) : (
            <p>
              <button type="button" className="button" onClick={() => setShowRaw(true)}>
                Show the raw message
              </button>{' '}
              <span className="muted">Opening it is recorded in the audit trail.</span>
            </p>
          ))}
      </section>
    </>
  );
}

/** At most this many other messages of one control id are listed on a conflict's page. */
const SAME_CONTROL_ID_SHOWN = 20;

/**
 * A conflict's page (the control id was reused for other content): the other messages this node
 * stored or quarantined with the same control id, newest first, each a link to its page (issue 11
 * tester #5), from the browser's control id search.
 */
function SameControlId({ seq, controlId }: { seq: number; controlId: string }) {
  const vault = useVault();
  const headingId = useId();
  const found = useVaultRead(`message-control:${seq}`, () => vault.messages({ controlId, controlIdExact: true, limit: SAME_CONTROL_ID_SHOWN + 1 }));
  if (found.phase === 'loading') return <p role="status">Looking for the other messages with this control id…</p>;
  if (found.phase === 'failed') {
    return (
      <div role="alert" className="note note--error">
        <p>The other messages with this control id could not be listed: {vaultErrorMessage(found.error)}</p>
        <button type="button" className="button" onClick={found.reload}>
          Retry
        </button>
      </div>
    );
  }
  const others = found.value.messages.filter((other) => other.seq !== seq).slice(0, SAME_CONTROL_ID_SHOWN);
  if (others.length === 0) return <p className="muted">No other message with this control id is in the vault any more (it may have been erased).</p>;
  const more = found.value.more || found.value.messages.filter((other) => other.seq !== seq).length > SAME_CONTROL_ID_SHOWN;
  return (
    <>
      <h3 id={headingId}>
        Other messages with control id <code>{controlId}</code>
      </h3>
      <ul className="plain-list" aria-labelledby={headingId}>
        {others.map((other) => (
          <li key={other.seq}>
            <a href={hrefForPath('intake', 'messages', String(other.seq))}>Message {other.seq}</a>: {other.messageType === '' ? 'type unknown' : other.messageType}, received{' '}
            <When iso={other.receivedAt} />, {STATUS_WORDS[other.status]}
          </li>
        ))}
      </ul>
      {more && <p className="muted">Only the newest {SAME_CONTROL_ID_SHOWN} are listed: search the message browser by this control id for every one.</p>}
    </>
  );
}

/**
 * What a quarantined message produced: nothing while it waits in the quarantine; once reprocessed,
 * the copies that filed its records (links to their message pages) and any quarantine entry it was
 * held in again; once discarded, when (QA round 4 #8).
 */
function QuarantineOutcome({ resolution, names }: { resolution: MessageDetail['resolution']; names: OperatorNames }) {
  if (resolution === undefined) {
    return (
      <p>
        Nothing was filed: the message is in the quarantine. <a href={hrefForPath('intake')}>Open the quarantine on the intake monitor</a>
      </p>
    );
  }
  const on = (
    <>
      {resolution.at === undefined ? '' : ' on '}
      {resolution.at !== undefined && <When iso={resolution.at} />}
    </>
  );
  if (resolution.status === 'discarded') return <p>Nothing was filed: the message was discarded from the quarantine{on}.</p>;
  const { copies, heldAgainAs } = resolution;
  const whatCame =
    copies.length > 0
      ? ` ${copies.length === 1 ? 'The copy that filed its records:' : `The ${copies.length} copies that filed its records:`}`
      : heldAgainAs.length > 0
        ? ''
        : ' The messages it filed are no longer in the vault (their patient may have been erased).';
  return (
    <>
      <p>
        It was reprocessed from the quarantine{on}
        {copies.length === 0 && heldAgainAs.length > 0 ? ', and held in the quarantine again:' : '.'}
        {whatCame}
      </p>
      {copies.length > 0 && (
        <ul className="plain-list">
          {copies.map((copy) => (
            <li key={copy.seq}>
              <a href={hrefForPath('intake', 'messages', String(copy.seq))}>
                Message {copy.seq}
                {copy.controlId === '' ? '' : ` (${copy.controlId})`}
                {copy.edited ? `, edited by ${reprocessorWords(copy.by, names)}` : `, reprocessed as it was${copy.by === undefined ? '' : ` by ${reprocessorWords(copy.by, names)}`}`}
              </a>
            </li>
          ))}
        </ul>
      )}
      {heldAgainAs.length > 0 && (
        <>
          {copies.length > 0 && <p>Part of it was held in the quarantine again:</p>}
          <ul className="plain-list">
            {heldAgainAs.map((seq) => (
              <li key={seq}>
                <a href={hrefForPath('intake', 'messages', String(seq))}>Quarantined message {seq}</a>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function RawOfMessage({ seq }: { seq: number }) {
  const vault = useVault();
  const raw = useVaultRead(`message-raw:${seq}`, () => vault.openMessageRaw(seq));
  if (raw.phase === 'loading') return <p role="status">Opening the raw message…</p>;
  if (raw.phase === 'failed') {
    return (
      <div role="alert" className="note note--error">
        <p>The raw message could not be opened: {vaultErrorMessage(raw.error)}</p>
        <button type="button" className="button" onClick={raw.reload}>
          Retry
        </button>
      </div>
    );
  }
  return <RawMessageTree message={raw.value} />;
}

/** "MRN1 (CLINIC1)" → "MRN1, CLINIC1": inside the link's own parentheses, one pair reads better (H8 F18). */
function flatIdentifier(identifier: string): string {
  const match = /^(.*) \(([^()]*)\)$/.exec(identifier);
  return match === null ? identifier : `${match[1]}, ${match[2]}`;
}

function PatientLink({ patient }: { patient: NonNullable<MessageDetail['patient']> }) {
  return (
    <a href={hrefForPath('patients', patient.patientId)}>
      {patient.name}
      {patient.identifier === '' ? '' : ` (${flatIdentifier(patient.identifier)})`}
    </a>
  );
}
