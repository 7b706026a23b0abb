import { senderLabel } from '../../../shared/hl7/sender-label';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { DicomReprocessOutcome } from '../../../shared/ipc/dicom-contract';
import { HL7_CHARSETS, type Hl7Charset, type IntakeMessageResult } from '../../../shared/ipc/intake-contract';
import { SubmitRow } from '../../app/form/submit-row';
import { hrefForPath } from '../../app/router/hash-route';
import { useAction } from '../../app/use-action';
import { useModalDialog } from '../../app/use-modal-dialog';
import { ErrorNote } from '../../app/error-note';
import { useVaultRead } from '../../app/use-vault-read';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { QuarantineEntry } from '../../vault/vault-service';
import { editDraft, encodeEdited, hl7CharsetNamed, namedFieldOffset, replacementCount, segmentsOf, type EditedBytes } from './hl7-edit';
import { isHl7Charset } from './hl7-tree';
import { AckCodes, CharsetOverrideField, MessageCells, MessageHeads, WholeWords, flagWords } from './message-parts';
import { When } from './monitor-tables';

const STATUS_WORDS = { open: 'Open', reprocessed: 'Reprocessed', discarded: 'Discarded' } as const;

/** The Status cell: a reprocess held again names the entry that holds the message now (QA2-11 Q2). */
export function statusWords(entry: Pick<QuarantineEntry, 'status' | 'heldAgainAs'>): string {
  const held = entry.heldAgainAs ?? [];
  if (entry.status !== 'reprocessed' || held.length === 0) return STATUS_WORDS[entry.status];
  return `Reprocessed, held again as ${held.length === 1 ? 'entry' : 'entries'} ${held.join(', ')}`;
}

/**
 * Reprocess and Edit send the bytes through HL7 intake again: only for HL7 inputs. A quarantined
 * DICOM instance is reprocessed through the DICOM intake (as stored: no charset, no edit). A
 * device report can be viewed and discarded here; reprocessing one is not built.
 */
export function reprocessesAsHl7(entry: Pick<QuarantineEntry, 'channel'>): boolean {
  return entry.channel.startsWith('hl7');
}

/**
 * Whether Reprocess is offered: HL7 messages and DICOM instances, but not a DICOM instance held
 * (its only reason: no Patient ID), whose same bytes a reprocess can never file (H6 #1).
 */
export function reprocessable(entry: Pick<QuarantineEntry, 'channel' | 'detail'>): boolean {
  return reprocessesAsHl7(entry) || (entry.channel === 'dicom' && entry.detail.disposition !== 'held');
}

const HELD_DICOM_HINT = 'It must be sent or imported again with a Patient ID; reprocessing the same bytes cannot file it.';

/** The reason shown: a DICOM instance held before its reason said what can file it gets the hint. */
export function reasonWords(entry: Pick<QuarantineEntry, 'channel' | 'detail'>): string {
  const reason = entry.detail.reason;
  if (entry.channel !== 'dicom' || entry.detail.disposition !== 'held' || reason.includes(HELD_DICOM_HINT)) return reason;
  return `${reason} ${HELD_DICOM_HINT}`;
}

/**
 * What a quarantined input that is not HL7 was answered, for the ACK column (null for HL7: its ACK
 * codes): `code` fits the column, `meaning` says it in words. A DICOM C-STORE (source
 * `AE@address`) got Cannot Understand (C000) when rejected and Success (0000) when held
 * (dicom-intake.ts); an imported or reprocessed instance and a device report got no HL7
 * acknowledgment, and "None asked for" is HL7's wording.
 */
export function answerWords(entry: Pick<QuarantineEntry, 'channel' | 'detail'>): { readonly code: string; readonly meaning: string } | null {
  if (reprocessesAsHl7(entry)) return null;
  if (entry.channel !== 'dicom') return { code: '—', meaning: 'not HL7: no ACK' };
  const source = entry.detail.source ?? '';
  if (/^reprocess of record \d+$/.test(source)) return { code: '—', meaning: 'no answer: reprocessed' };
  if (/^file \d+ of \d+$/.test(source) || source === 'a file imported' || source === 'a large file imported') return { code: '—', meaning: 'no answer: imported from a file' };
  if (source.includes('@')) return entry.detail.disposition === 'held' ? { code: '0000', meaning: 'DIMSE Success: held' } : { code: 'C000', meaning: 'DIMSE Cannot understand' };
  return { code: '—', meaning: 'answer not recorded' };
}

export function senderOf(entry: QuarantineEntry): string {
  return senderParts(entry).join(' | ');
}

/**
 * The sending application and facility (MSH-3, MSH-4), or where it came from when neither is
 * known: for an HL7 message in the words the counters and the message browser use ("No readable
 * sender (from 127.0.0.1)", QA s34 D4), for a DICOM instance or a device report its source.
 */
function senderParts(entry: QuarantineEntry): string[] {
  const { sendingApplication, sendingFacility, source } = entry.detail;
  const system = [sendingApplication ?? '', sendingFacility ?? ''].filter((part) => part !== '');
  if (system.length > 0) return system;
  return [entry.channel === 'dicom' || entry.channel === 'devices' ? (source ?? '') : senderLabel(undefined, undefined, source)];
}

/**
 * The sender, application and facility each on a line of its own, never broken inside (they are
 * names such as HOSPITAL-WEST-CAMPUS-BUILDING-7): a long one is cut with an ellipsis, the whole
 * sender in the cell's title.
 */
function SenderCell({ entry }: { entry: QuarantineEntry }) {
  const parts = senderParts(entry);
  return (
    <td className="quarantine__sender" title={parts.join(' | ')}>
      {parts.map((part, index) => (
        <span key={index} className="cell-clip">
          {part}
          {index < parts.length - 1 ? ' | ' : ''}
        </span>
      ))}
    </td>
  );
}

type Action = 'reprocess' | 'discard';
type Pending = { readonly action: Action; readonly entries: readonly QuarantineEntry[] } | { readonly action: 'edit'; readonly entry: QuarantineEntry };

/**
 * One entry as a row group (F14, issue 11): its cells in the first row, headed by when it was
 * received, and its reason on a row of its own under them, across the table to the actions, which
 * span both rows (so the entry is no taller than its stacked buttons). A column of its own left the
 * reason 172 px at 1,000 px (four lines) and cut typical senders and control ids; here the usual
 * reason takes one line, and Sender and Control id get its width. The reason's cell names the
 * entry's row header and "Reason" as its headers, and the row header is described by the reason,
 * so a screen reader reads them together.
 */
function EntryRows({ entry, idPrefix, selected, onToggle, onAct }: { entry: QuarantineEntry; idPrefix: string; selected: boolean; onToggle: () => void; onAct: (pending: Pending) => void }) {
  const entryId = `${idPrefix}-entry`;
  const labelId = `${idPrefix}-label`;
  const reasonId = `${idPrefix}-reason`;
  const reason = reasonWords(entry);
  return (
    <tbody className="quarantine__entry">
      <tr>
        <td className="quarantine__select">
          {entry.status === 'open' && <input type="checkbox" aria-label={`Select ${nounOf(entry)} ${entry.seq}`} checked={selected} onChange={onToggle} />}
        </td>
        <th scope="row" id={entryId} className="quarantine__received" aria-describedby={reasonId}>
          <When iso={entry.at} />
        </th>
        <SenderCell entry={entry} />
        <MessageCells message={{ messageType: entry.detail.messageType, controlId: entry.detail.messageId, acks: entry.detail.acks }} answer={answerWords(entry)} />
        <td className="cell-words">{statusWords(entry)}</td>
        <td rowSpan={2}>
          <div className="quarantine__actions">
            {entry.objectId !== null && (
              <a className="button" href={hrefForPath('intake', 'raw', String(entry.seq))} aria-label={`View raw ${nounOf(entry)} ${entry.seq}`}>
                View raw
              </a>
            )}
            {entry.status === 'open' && (
              <>
                {entry.objectId !== null && reprocessable(entry) && (
                  <button type="button" className="button" aria-label={`Reprocess ${nounOf(entry)} ${entry.seq}`} onClick={() => onAct({ action: 'reprocess', entries: [entry] })}>
                    Reprocess…
                  </button>
                )}
                {entry.objectId !== null && reprocessesAsHl7(entry) && (
                  <button type="button" className="button" aria-label={`Edit and reprocess message ${entry.seq}`} onClick={() => onAct({ action: 'edit', entry })}>
                    Edit…
                  </button>
                )}
                <button type="button" className="button button--danger-outline" aria-label={`Discard ${nounOf(entry)} ${entry.seq}`} onClick={() => onAct({ action: 'discard', entries: [entry] })}>
                  Discard…
                </button>
              </>
            )}
          </div>
        </td>
      </tr>
      <tr className="quarantine__reason-row">
        <td className="quarantine__select" />
        <th scope="row" id={labelId} className="quarantine__reason-label">
          Reason
        </th>
        <td colSpan={ENTRY_COLUMNS - 3 /* select, the label, Actions */} className="quarantine__reason" headers={`${entryId} ${labelId}`} title={reason}>
          {/* At most four lines; the whole reason in the title, on hover or focus, and to a screen reader (QA s34 D2). */}
          <span id={reasonId} className="quarantine__reason-text" tabIndex={0}>
            <WholeWords text={reason} />
          </span>
        </td>
      </tr>
    </tbody>
  );
}

/** The columns of an entry's first row: select, Received, Sender, Type, Control id, ACK, Status, Actions (both rows). */
const ENTRY_COLUMNS = 8;

function nameOf(entry: QuarantineEntry): string {
  if (entry.detail.messageId !== undefined && entry.detail.messageId !== '') return entry.detail.messageId;
  // A DICOM file of an import is known by its place in it ("Discard file from file 10 of 10?" read badly, T1 F11).
  const place = entry.channel === 'dicom' ? /^file (\d+ of \d+)$/.exec(entry.detail.source ?? '') : null;
  return place !== null ? `${place[1]} from an import` : `from ${senderOf(entry)}`;
}

/**
 * What an entry is called (QA round 4 D8b): an HL7 message, a DICOM instance (a file when its
 * bytes named none), a device report.
 */
function nounOf(entry: QuarantineEntry): 'message' | 'instance' | 'file' | 'report' {
  if (entry.channel === 'dicom') return entry.detail.messageId === undefined || entry.detail.messageId === '' ? 'file' : 'instance';
  return entry.channel === 'devices' ? 'report' : 'message';
}

/** The words of the Discard and Reprocess dialogs for these entries, in the words of their channel. */
export function actDialogWords(action: Action, entries: readonly QuarantineEntry[]): { readonly title: string; readonly body: string; readonly submit: string; readonly done: string } {
  const single = entries.length === 1 ? entries[0]! : null;
  const nouns = new Set(entries.map(nounOf));
  const noun = nouns.size === 1 ? [...nouns][0]! : 'entry';
  const plural = noun === 'entry' ? 'entries' : `${noun}s`;
  const what = single !== null ? `${noun} ${nameOf(single)}` : `${entries.length} ${plural}`;
  const verb = action === 'discard' ? 'Discard' : 'Reprocess';
  const submit = single !== null ? `${verb} ${noun}` : `${verb} ${entries.length} ${plural}`;
  const title = `${verb} ${what}?`;
  if (action === 'discard') {
    const body = `${single !== null ? `The ${noun} is` : `The ${plural} are`} marked discarded and hidden from the list (“Show discarded entries” shows them). The raw bytes stay sealed in the vault, and the journal records who discarded ${single !== null ? 'it' : 'each'}.`;
    return { title, body, submit, done: single !== null ? `The quarantined ${noun} ${nameOf(single)} was discarded.` : '' };
  }
  const again =
    noun === 'instance' || noun === 'file'
      ? `${single !== null ? `The stored ${noun} is` : `Each stored ${noun} is`} sent through the DICOM intake again, as an import of its bytes.`
      : noun === 'entry'
        ? 'Each entry is sent through its intake again, as if it had just arrived.'
        : `${single !== null ? `The raw ${noun} is` : `Each raw ${noun} is`} sent through the intake again, as if it had just arrived.`;
  return { title, body: `${again} The journal records the reprocess.`, submit, done: '' };
}

/**
 * Quarantined inputs (from the vault's quarantine view): why each was not accepted, with "View raw",
 * "Reprocess…" (the mind opens the raw bytes and sends them again, optionally read with another
 * charset, which may override MSH-18), "Edit…" (the operator corrects a copy and reprocesses it;
 * the original stays in the vault) and "Discard…" (confirmed); open items can be selected and
 * reprocessed or discarded together. Every act is journaled by the body; the list then refreshes.
 * Discarded and reprocessed items are hidden unless asked for. At 1,000 px the actions stack and each
 * reason sits on a row of its own under its entry (EntryRows), so no column is covered or cut off; the
 * reason wraps at spaces (and after "/" or ":") only, and shows at most four lines until hovered
 * or focused.
 */
export function QuarantinePanel({ entries, onChanged }: { entries: readonly QuarantineEntry[]; onChanged: () => void }) {
  const headingId = useId();
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<ReactNode>(null);
  const [showDiscarded, setShowDiscarded] = useState(false);
  const [showReprocessed, setShowReprocessed] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const open = entries.filter((entry) => entry.status === 'open');
  const discarded = entries.filter((entry) => entry.status === 'discarded').length;
  const reprocessed = entries.filter((entry) => entry.status === 'reprocessed').length;
  // Handled entries leave the working list (H8 F14): the list shows what is waiting unless asked.
  const shown = entries.filter((entry) => (entry.status === 'discarded' ? showDiscarded : entry.status === 'reprocessed' ? showReprocessed : true));
  // Only open entries can be selected; a selection of entries since resolved is dropped.
  const chosen = open.filter((entry) => selected.has(entry.seq));
  const chosenReprocessable = chosen.filter(reprocessable);
  const allChosen = open.length > 0 && chosen.length === open.length;

  const toggle = (seq: number): void => {
    const next = new Set(selected);
    if (next.has(seq)) next.delete(seq);
    else next.add(seq);
    setSelected(next);
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Quarantine</h2>
      <p className="muted">
        HL7 messages, DICOM instances and device reports that could not be accepted (or were accepted without a patient to
        file them under), sealed in the vault with the reason. {open.length === 1 ? '1 is waiting.' : `${open.length} are waiting.`}
      </p>
      {notice !== null && (
        <div role="status" className="note note--ok">
          {notice}
        </div>
      )}
      <div className="quarantine-bar">
        <div className="table-actions">
          <label className="checkbox">
            <input type="checkbox" checked={showDiscarded} onChange={(event) => setShowDiscarded(event.target.checked)} />
            <span>Show discarded entries ({discarded})</span>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={showReprocessed} onChange={(event) => setShowReprocessed(event.target.checked)} />
            <span>Show reprocessed entries ({reprocessed})</span>
          </label>
        </div>
        {open.length > 0 && (
          <div className="table-actions">
            <button type="button" className="button" disabled={chosenReprocessable.length === 0} onClick={() => setPending({ action: 'reprocess', entries: chosenReprocessable })}>
              Reprocess selected ({chosenReprocessable.length})…
            </button>
            <button type="button" className="button button--danger-outline" disabled={chosen.length === 0} onClick={() => setPending({ action: 'discard', entries: chosen })}>
              Discard selected ({chosen.length})…
            </button>
          </div>
        )}
      </div>
      {shown.length === 0 ? (
        <p>{entries.length === 0 ? 'Nothing is in quarantine.' : 'Nothing is waiting in quarantine.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table quarantine-table fit-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col" className="quarantine__select">
                  <input
                    type="checkbox"
                    aria-label="Select every waiting message"
                    checked={allChosen}
                    disabled={open.length === 0}
                    onChange={() => setSelected(allChosen ? new Set() : new Set(open.map((entry) => entry.seq)))}
                  />
                </th>
                <th scope="col" className="col-when">
                  Received
                </th>
                <th scope="col">Sender</th>
                <MessageHeads />
                <th scope="col" className="col-quarantine-status">
                  Status
                </th>
                <th scope="col" className="col-actions">
                  Actions
                </th>
              </tr>
            </thead>
            {shown.map((entry) => (
              <EntryRows key={entry.seq} entry={entry} idPrefix={`${headingId}-${entry.seq}`} selected={selected.has(entry.seq)} onToggle={() => toggle(entry.seq)} onAct={setPending} />
            ))}
          </table>
        </div>
      )}
      {pending !== null && (
        <QuarantineDialog
          pending={pending}
          onClose={() => setPending(null)}
          onDone={(text) => {
            setPending(null);
            setSelected(new Set());
            setNotice(text);
            onChanged();
          }}
        />
      )}
    </section>
  );
}

/** What a DICOM reprocess did, in words. */
export function dicomResultText(outcome: DicomReprocessOutcome): string {
  const why = outcome.reason === undefined ? '' : ` ${outcome.reason}`;
  switch (outcome.outcome) {
    // A stored instance's reason is a note on it (e.g. a character set this build does not know).
    case 'stored':
      return `Reprocessed: the instance was stored.${why}`;
    case 'conflict':
      return `Reprocessed: the instance was stored, flagged as a conflict with an earlier copy of the same SOP Instance UID.${why}`;
    case 'duplicate':
      if (outcome.inQuarantine === true) {
        const reason = (outcome.reason ?? '').replace(/^(?:Already in the quarantine|Quarantined before) \([^)]*\)\.\s*/, '');
        return `Reprocessed, but the same bytes are in the quarantine already (this entry or another), so nothing was stored: the entry stays in quarantine.${reason === '' ? '' : ` ${reason}`}`;
      }
      return 'Reprocessed: the same instance was stored before; nothing was stored again.';
    case 'held':
    case 'quarantined':
      return `Reprocessed, but the instance is in quarantine again (entry ${outcome.seq ?? '?'}):${why}`;
    case 'not-dicom':
    case 'directory':
    case 'failed':
      return `Reprocessed, but nothing was stored: the entry stays in quarantine.${why}`;
  }
}

/** A message of an HL7 reprocess held in quarantine again, as a new entry (not answered as before). */
function heldAgain(result: IntakeMessageResult): boolean {
  return result.quarantined === true && result.duplicate !== true;
}

/** Whether an HL7 reprocess filed every message (settled and none held again as a new entry). */
export function filedEveryMessage(resolved: boolean, results: readonly IntakeMessageResult[]): boolean {
  return resolved && !results.some(heldAgain);
}

/** What an HL7 reprocess did, in one sentence: a run held again settles its entry, the new entry waits (QA2-11 Q2). */
export function hl7ResultSentence(resolved: boolean, results: readonly IntakeMessageResult[]): string {
  if (results.length === 0) return 'Reprocessed: no message was found in the bytes. The entry stays in quarantine.';
  if (filedEveryMessage(resolved, results)) return 'Reprocessed: every message was stored.';
  if (resolved) return 'Reprocessed, but held in quarantine again as a new entry: this entry is marked reprocessed; fix or discard the new one.';
  return 'Reprocessed, but not every message was stored: the entry stays in quarantine.';
}

function resultText(resolved: boolean, results: readonly IntakeMessageResult[], dicom?: DicomReprocessOutcome): ReactNode {
  if (dicom !== undefined) return dicomResultText(dicom);
  if (results.length === 0) return hl7ResultSentence(resolved, results);
  return (
    <>
      <p>{hl7ResultSentence(resolved, results)}</p>
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

/** Why an HL7 reprocess left its message in quarantine, for the bulk result (H8 F13: it named none). */
export function stillQuarantinedWhy(answer: { readonly resolved: boolean; readonly results: readonly IntakeMessageResult[] }): string {
  if (answer.results.length === 0) return 'no message was found in the bytes';
  const held = answer.results.find(heldAgain);
  if (held !== undefined) return `held again as a new entry${held.reason === undefined ? '' : `: ${held.reason}`}`;
  const duplicate = answer.results.find((result) => result.duplicate === true);
  if (duplicate !== undefined) return `a duplicate of a message received before, answered as before and not stored again${duplicate.reason === undefined ? '' : ` (${duplicate.reason})`}`;
  return answer.results.find((result) => result.ack !== 'AA' && result.reason !== undefined)?.reason ?? 'not every message was stored';
}

/** What a bulk act did: a sentence, then each entry that failed or is still in quarantine, by name, with why. */
export function bulkText(action: Action, outcomes: readonly { readonly name: string; readonly resolved: boolean | null; readonly error?: string; readonly why?: string }[]): ReactNode {
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  const staying = outcomes.filter((outcome) => outcome.resolved === false);
  const done = outcomes.length - failed.length;
  const stillOpen = staying.length;
  const head =
    action === 'discard'
      ? `${done} of ${outcomes.length} discarded.`
      : `${done} of ${outcomes.length} reprocessed: ${done - stillOpen} stored${stillOpen > 0 ? `, ${stillOpen} still in quarantine` : ''}.`;
  return (
    <>
      <p>{head}</p>
      {failed.length + staying.length > 0 && (
        <ul className="plain-list">
          {staying.map((outcome, index) => (
            <li key={`s${index}`}>{`${outcome.name} is still in quarantine${outcome.why === undefined ? '.' : `: ${outcome.why}`}`}</li>
          ))}
          {failed.map((outcome, index) => (
            <li key={`f${index}`}>
              {outcome.name}: {outcome.error}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** What MSH-18 of the received message says, for the "Read as" hint. */
function declaredWords(declared: string | undefined): string {
  if (declared === undefined || declared.trim() === '') return 'MSH-18 is empty';
  return hl7CharsetNamed(declared) === null ? 'MSH-18 names a character set this node does not read' : `MSH-18 says ${declared.trim()}`;
}

/** Said when the dialog opened the bytes as UTF-8 though MSH-18 names a single-byte charset (hl7-edit.ts defaultReadAs). */
function detectedWords(declared: string | undefined, readAs: Hl7Charset, chosen: boolean): string {
  const named = hl7CharsetNamed(declared);
  return !chosen && named !== null && named !== readAs && readAs === 'UNICODE UTF-8' ? ', but the bytes read as UTF-8' : '';
}

/** How the edited copy will be written, in words (nothing to say for all-ASCII text). */
export function storedWords(stored: EditedBytes | null): string {
  if (stored === null || stored.charset === undefined) return '';
  if (stored.msh18Set) return 'It is written as UTF-8, and its MSH-18 is set to UNICODE UTF-8 so that it is read with the same characters.';
  return `It is written in ${stored.charset}, as its MSH-18 says.`;
}

function QuarantineDialog({ pending, onClose, onDone }: { pending: Pending; onClose: () => void; onDone: (notice: ReactNode) => void }) {
  if (pending.action === 'edit') return <EditDialog entry={pending.entry} onClose={onClose} onDone={onDone} />;
  return <ActDialog action={pending.action} entries={pending.entries} onClose={onClose} onDone={onDone} />;
}

function ActDialog({ action, entries, onClose, onDone }: { action: Action; entries: readonly QuarantineEntry[]; onClose: () => void; onDone: (notice: ReactNode) => void }) {
  const vault = useVault();
  const dialog = useModalDialog();
  const titleId = useId();
  const charsetId = useId();
  const single = entries.length === 1 ? entries[0]! : null;
  const initial = single?.detail.charset !== undefined && isHl7Charset(single.detail.charset) ? single.detail.charset : '';
  const [charset, setCharset] = useState<'' | Hl7Charset>(initial);
  const [override, setOverride] = useState(false);
  const [progress, setProgress] = useState(0);

  const run = useAction(async () => {
    const options = charset === '' ? {} : { charset, ...(override ? { charsetOverride: true } : {}) };
    if (single !== null) {
      if (action === 'discard') {
        await vault.discardQuarantined(single.seq);
        onDone(actDialogWords('discard', [single]).done);
        return;
      }
      const answer = await vault.reprocessQuarantined(single.seq, single.channel === 'dicom' ? {} : options);
      onDone(resultText(answer.resolved, answer.results, answer.dicom));
      return;
    }
    // One at a time: each is its own journaled act, and one failure does not stop the rest.
    const outcomes: { name: string; resolved: boolean | null; error?: string; why?: string }[] = [];
    for (const [index, entry] of entries.entries()) {
      setProgress(index + 1);
      try {
        if (action === 'discard') {
          await vault.discardQuarantined(entry.seq);
          outcomes.push({ name: nameOf(entry), resolved: null });
        } else {
          const answer = await vault.reprocessQuarantined(entry.seq, entry.channel === 'dicom' ? {} : options);
          // A DICOM instance in quarantine again settles its entry, but was not stored.
          const stored =
            answer.dicom === undefined
              ? filedEveryMessage(answer.resolved, answer.results)
              : answer.dicom.outcome === 'stored' || answer.dicom.outcome === 'conflict' || (answer.dicom.outcome === 'duplicate' && answer.dicom.inQuarantine !== true);
          const why = stored ? undefined : answer.dicom === undefined ? stillQuarantinedWhy(answer) : dicomResultText(answer.dicom);
          outcomes.push({ name: nameOf(entry), resolved: stored, ...(why === undefined ? {} : { why }) });
        }
      } catch (error) {
        outcomes.push({ name: nameOf(entry), resolved: null, error: vaultErrorMessage(error) });
      }
    }
    onDone(bulkText(action, outcomes));
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!run.busy) void run.run();
  };
  const words = actDialogWords(action, entries);
  const anyHl7 = entries.some(reprocessesAsHl7);

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
        <h2 id={titleId}>{words.title}</h2>
        {single !== null && <p>Reason it was quarantined: {single.detail.reason}</p>}
        {action === 'discard' ? (
          <p>{words.body}</p>
        ) : (
          <>
            <p>{words.body}</p>
            {anyHl7 && (
              <>
                <CharsetOverrideField id={charsetId} value={charset} onChange={setCharset} />
                <div className="field">
                  <label className="checkbox">
                    <input type="checkbox" checked={override} disabled={charset === ''} onChange={(event) => setOverride(event.target.checked)} />
                    <span>Use this charset even when MSH-18 names another (the sender declares the wrong one)</span>
                  </label>
                </div>
              </>
            )}
          </>
        )}
        {run.busy && single === null && (
          <p role="status">
            {action === 'discard' ? 'Discarding' : 'Reprocessing'} {progress} of {entries.length}…
          </p>
        )}
        <SubmitRow
          label={words.submit}
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

/**
 * Edit-then-reprocess: the raw message (opened, so journaled as a quarantine view) in a text box,
 * one segment a line, read as the charset chosen under "Read as" (at first MSH-18's when it names a
 * supported one, else what the quarantine reason leaves: hl7-edit.ts defaultReadAs). Characters a
 * decoding could not read show as "�" with a warning, and the copy is not sent with them unless the
 * operator says to keep them. The corrected copy is reprocessed as an edit (journaled so by the
 * body), written so that its bytes and MSH-18 agree (encodeEdited), while the quarantine record
 * keeps the original bytes.
 */
function EditDialog({ entry, onClose, onDone }: { entry: QuarantineEntry; onClose: () => void; onDone: (notice: ReactNode) => void }) {
  const vault = useVault();
  const dialog = useModalDialog();
  const titleId = useId();
  const textId = useId();
  const hintId = useId();
  const readAsId = useId();
  const readAsHintId = useId();
  const raw = useVaultRead(`quarantine-edit:${entry.seq}`, () => vault.openQuarantinedRaw(entry.seq));
  const [readAs, setReadAs] = useState<Hl7Charset | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [keepUnreadable, setKeepUnreadable] = useState(false);
  const opened = raw.phase === 'ready' ? raw.value : null;
  const draft = useMemo(() => (opened === null ? null : editDraft(opened, entry.detail.reason, readAs ?? undefined)), [opened, entry.detail.reason, readAs]);
  const value = text ?? (draft === null ? '' : draft.text);
  const box = useRef<HTMLTextAreaElement>(null);
  const placed = useRef(false);
  // Once opened, the caret goes to the field the reason names, which scrolls it into view (H8 F11).
  useEffect(() => {
    const element = box.current;
    if (placed.current || element === null || draft === null) return;
    placed.current = true;
    const at = namedFieldOffset(draft.text, entry.detail.reason);
    if (at === null) return;
    element.focus();
    element.setSelectionRange(at, at);
  }, [draft, entry.detail.reason]);
  const unreadable = replacementCount(value);
  const startsWithMsh = segmentsOf(value)[0]?.startsWith('MSH') === true;
  const stored = useMemo(() => (draft !== null && startsWithMsh ? encodeEdited(value) : null), [draft, startsWithMsh, value]);
  const problem =
    raw.phase !== 'ready'
      ? 'The message is still opening.'
      : !startsWithMsh
        ? 'The message must start with its MSH segment.'
        : unreadable > 0 && !keepUnreadable
          ? 'The message holds characters that could not be read (“�”): choose another “Read as”, or tick the box to keep them.'
          : null;

  const run = useAction(async () => {
    const edited = encodeEdited(value);
    const answer = await vault.reprocessQuarantined(entry.seq, {
      edited: edited.bytes,
      ...(edited.charset === undefined ? {} : { charset: edited.charset, charsetOverride: edited.override }),
    });
    onDone(resultText(answer.resolved, answer.results));
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!run.busy && problem === null) void run.run();
  };

  return (
    <dialog
      ref={dialog}
      className="dialog dialog--wide"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!run.busy) onClose();
      }}
    >
      <form className="form" onSubmit={submit} noValidate>
        <h2 id={titleId}>Edit and reprocess message {nameOf(entry)}</h2>
        <p>Reason it was quarantined: {entry.detail.reason}</p>
        {raw.phase === 'loading' && <p role="status">Opening the raw message…</p>}
        {raw.phase === 'failed' && <ErrorNote error={raw.error} what="The raw message could not be opened" />}
        {draft !== null && (
          <>
            <div className="field">
              <label htmlFor={readAsId} className="field__label">
                Read as
              </label>
              <select
                id={readAsId}
                className="input select field--narrow"
                value={draft.readAs}
                aria-describedby={readAsHintId}
                onChange={(event) => {
                  setReadAs(event.target.value as Hl7Charset);
                  setText(null);
                  setKeepUnreadable(false);
                }}
              >
                {HL7_CHARSETS.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
              <p id={readAsHintId} className="field__hint">
                The character set the received bytes are read with ({declaredWords(opened?.charset)}
                {detectedWords(opened?.charset, draft.readAs, readAs !== null)}). Choosing another reads the
                original bytes again: edits made so far are replaced.
              </p>
            </div>
            {unreadable > 0 && (
              <div className="note note--warn" role="alert">
                <p>
                  {unreadable === 1 ? '1 character' : `${unreadable} characters`} could not be read as {draft.readAs} and
                  {unreadable === 1 ? ' shows' : ' show'} as “�”. The message was probably written in another character set:
                  choose it under “Read as”. Sent as it is, the “�” would be filed in place of the real characters.
                </p>
                <label className="checkbox">
                  <input type="checkbox" checked={keepUnreadable} onChange={(event) => setKeepUnreadable(event.target.checked)} />
                  <span>Keep the “�” characters: they cannot be read in any character set</span>
                </label>
              </div>
            )}
          </>
        )}
        {raw.phase === 'ready' && (
          <div className="field">
            <label htmlFor={textId} className="field__label">
              Message, one segment a line
            </label>
            <textarea
              id={textId}
              ref={box}
              className="input textarea quarantine-edit__text"
              value={value}
              onChange={(event) => setText(event.target.value)}
              spellCheck={false}
              aria-describedby={hintId}
              rows={Math.min(16, Math.max(6, segmentsOf(value).length + 1))}
            />
            <p id={hintId} className="field__hint">
              The corrected copy is sent through the intake and journaled as an edit by you; the original stays sealed in the
              vault with this quarantine entry. {storedWords(stored)}
            </p>
          </div>
        )}
        <SubmitRow label="Reprocess the edited message" problem={problem} busy={run.busy} busyText="Reprocessing…">
          <button type="button" className="button" onClick={onClose} disabled={run.busy}>
            Cancel
          </button>
        </SubmitRow>
        <ActionError error={run.error} />
      </form>
    </dialog>
  );
}
