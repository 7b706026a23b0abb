import { Fragment } from 'react';
import { HL7_CHARSETS, type Hl7Charset } from '../../../shared/ipc/intake-contract';

/**
 * What the intake views (recent messages, file import results, quarantine) show alike for one HL7
 * message: its type, control id and ACK codes, its flags and reason, and the charset override
 * field of an import or a reprocess.
 */

const ACK_WORDS: Readonly<Record<string, string>> = {
  AA: 'accepted',
  AE: 'error, may be retried',
  AR: 'rejected',
  CA: 'commit accepted',
  CE: 'commit error',
  CR: 'commit rejected',
};

/** ACK codes with their meaning for screen readers and on hover; rejections marked. */
export function AckCodes({ acks }: { acks: readonly string[] }) {
  if (acks.length === 0) return <span className="muted">None asked for</span>;
  return (
    <span className="ack-codes">
      {acks.map((code, index) => (
        <span key={`${code}${index}`} className={code === 'AA' || code === 'CA' ? 'ack ack--ok' : 'ack ack--error'} title={ACK_WORDS[code] ?? code}>
          {code}
          <span className="visually-hidden"> ({ACK_WORDS[code] ?? 'unknown code'})</span>
        </span>
      ))}
    </span>
  );
}

export function flagWords(message: { readonly duplicate?: boolean | undefined; readonly conflict?: boolean | undefined; readonly quarantined?: boolean | undefined }): string[] {
  return [message.duplicate === true ? 'Duplicate' : '', message.conflict === true ? 'Conflict' : '', message.quarantined === true ? 'Quarantined' : ''].filter((word) => word !== '');
}

/** One message's identity and acknowledgement, as far as it is known. */
export interface MessageSummary {
  readonly messageType?: string | undefined;
  readonly controlId?: string | undefined;
  readonly acks: readonly string[];
}

/** The column heads of MessageCells. */
export function MessageHeads() {
  return (
    <>
      <th scope="col" className="col-type">
        Type
      </th>
      <th scope="col">Control id</th>
      <th scope="col" className="col-ack">
        ACK
      </th>
    </>
  );
}

/**
 * A message's Type, Control id and ACK cells; three empty cells for `null` (no message). In a
 * table of fixed columns (fit-table) a type or control id longer than its column is cut with an
 * ellipsis, whole in its title.
 */
export function MessageCells({ message, answer = null }: { message: MessageSummary | null; answer?: { readonly code: string; readonly meaning: string } | null }) {
  const type = message?.messageType ?? '';
  return (
    <>
      <td className="cell-clip cell-type" title={type === '' ? undefined : type}>
        {/* A break opportunity after each ^: where the cell may wrap (the quarantine), "ADT^A01^ / ADT_A01" reads whole (F14). */}
        {type.split(/(?<=\^)/).map((piece, index) => (
          <Fragment key={index}>
            {index > 0 && <wbr />}
            {piece}
          </Fragment>
        ))}
      </td>
      <td>{message?.controlId === undefined ? '' : <code title={message.controlId}>{message.controlId}</code>}</td>
      <td>{message === null ? '' : answer !== null ? <OtherAnswer {...answer} /> : <AckCodes acks={message.acks} />}</td>
    </>
  );
}

/**
 * What an input that is not HL7 was answered (a DIMSE status): the code as an ACK badge, its meaning
 * in words under it (hidden inside the badge, it showed as an empty sliver of the badge: T1 F10).
 */
function OtherAnswer({ code, meaning }: { code: string; meaning: string }) {
  return (
    <span className="other-answer" title={`${code === '—' ? '' : `${code}: `}${meaning}`}>
      <span className={code === 'C000' ? 'ack ack--error' : code === '0000' ? 'ack ack--ok' : 'muted'}>{code}</span>{' '}
      <span className="other-answer__meaning">{meaning}</span>
    </span>
  );
}

/** The column heads of OutcomeCells. */
export function OutcomeHeads() {
  return (
    <>
      <th scope="col" className="col-flags">
        Flags
      </th>
      <th scope="col">Reason</th>
    </>
  );
}

/** What became of a message: its flags (Duplicate, Conflict, …) and the reason it was not accepted, wrapped at spaces. */
export function OutcomeCells({ flags, reason }: { flags: readonly string[]; reason: string }) {
  return (
    <>
      <td>{flags.join(', ')}</td>
      <td className="cell-words" title={reason === '' ? undefined : reason}>
        <WholeWords text={reason} />
      </td>
    </>
  );
}

/**
 * Text that wraps at spaces only: a word with a hyphen ("UTF-8", "MSH-12") or a DICOM tag
 * ("(7FE0,0010)") is kept whole, where a browser would otherwise break after the hyphen or the
 * comma in a narrow cell (issue 11, 1,000 px). A token joined by "/" or ":" ("MSH-1/MSH-2:") may
 * wrap after them, and only there (QA s34 D2); its parts are kept whole. A very long token stays
 * breakable so it cannot widen the table past the window.
 */
export function WholeWords({ text }: { text: string }) {
  return (
    <>
      {text.split(/(\s+)/).map((part, index) => {
        const pieces = part.length > WHOLE_WORD_MAX ? [part] : part.split(/(?<=[/:])(?=.)/);
        return pieces.length === 1 ? (
          <WholeWord key={index} part={part} />
        ) : (
          <span key={index}>
            {pieces.map((piece, at) => (
              <Fragment key={at}>
                {at > 0 && <wbr />}
                <WholeWord part={piece} />
              </Fragment>
            ))}
          </span>
        );
      })}
    </>
  );
}

function WholeWord({ part }: { part: string }) {
  return (part.includes('-') || DICOM_TAG.test(part)) && part.length <= WHOLE_WORD_MAX ? <span className="whole-word">{part}</span> : <>{part}</>;
}
const WHOLE_WORD_MAX = 32;
/** A DICOM tag, "(7FE0,0010)": a browser would break it after the comma (issue 12 tester, 1,000 px). */
const DICOM_TAG = /\([0-9A-Fa-fx]{4},[0-9A-Fa-fx]{4}\)/;

/** The charset to read messages with when MSH-18 is empty ('' = the listener's default). */
export function CharsetOverrideField({ id, value, onChange }: { id: string; value: '' | Hl7Charset; onChange: (charset: '' | Hl7Charset) => void }) {
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        Charset when MSH-18 is empty
      </label>
      <select id={id} className="input select field--narrow" value={value} onChange={(event) => onChange(event.target.value as '' | Hl7Charset)}>
        <CharsetOptions emptyLabel="The listener’s default" />
      </select>
    </div>
  );
}

/** The options of a charset select: `emptyLabel` for '' (no override), then every HL7 charset. */
export function CharsetOptions({ emptyLabel }: { emptyLabel: string }) {
  return (
    <>
      <option value="">{emptyLabel}</option>
      {HL7_CHARSETS.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </>
  );
}
