import { useId, useMemo, useState, type ReactNode } from 'react';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import type { RawMessage } from '../../vault/vault-service';
import { formatBytes } from '../settings/data-section';
import { decodeHl7, parseHl7Tree, segmentLines, type Hl7Field, type Hl7Segment } from './hl7-tree';
import { CharsetOptions } from './message-parts';
import { BinaryRawInput, DicomRawInput } from './raw-input-view';

/**
 * A raw HL7 v2 message the mind opened (a quarantined input, or the message a record came from),
 * as a segment/field tree: one disclosure per segment, a table of its fields with their names,
 * and each field's components below its value. "Read as" re-decodes the bytes with another charset;
 * "Show as" gives the segments as plain text lines instead, which is all a message without an MSH
 * header at its start gets (it declares no delimiters to split on).
 */
export function RawMessageView({ readKey, load, backHref, backText, header }: { readKey: string; load: () => Promise<RawMessage>; backHref: string; backText: string; header?: ReactNode }) {
  const raw = useVaultRead(readKey, load);
  return (
    <>
      <p className="breadcrumb">
        <a href={backHref}>← {backText}</a>
      </p>
      {/* Whose message it is, when it is a patient's (QA s32 #3). */}
      {header}
      {raw.phase === 'loading' && <p role="status">Opening the raw message…</p>}
      {raw.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The raw message could not be opened: {vaultErrorMessage(raw.error)}</p>
          <button type="button" className="button" onClick={raw.reload}>
            Retry
          </button>
        </div>
      )}
      {raw.phase === 'ready' && <RawInput message={raw.value} />}
    </>
  );
}

/** HL7 channels' bytes as the segment tree; a DICOM instance as its elements; anything else (a device report) as bytes. */
function RawInput({ message }: { message: RawMessage }) {
  if (message.channel === 'dicom') return <DicomRawInput message={message} />;
  if (message.channel === 'devices') return <BinaryRawInput message={message} />;
  return <RawMessageTree message={message} />;
}

export function RawMessageTree({ message }: { message: RawMessage }) {
  const headingId = useId();
  const charsetId = useId();
  const [charset, setCharset] = useState<string>('');
  const [shown, setShown] = useState<'tree' | 'text'>('tree');
  const decoded = useMemo(() => decodeHl7(message.bytes, charset === '' ? (message.charset ?? null) : charset), [message, charset]);
  const tree = useMemo(() => parseHl7Tree(decoded.text), [decoded]);
  const lines = useMemo(() => segmentLines(decoded.text), [decoded]);
  const d = tree.delimiters;
  // Without a header no delimiters are declared: a tree split on guessed ones would be nonsense (QA s34 D1).
  const asText = !tree.header || shown === 'text';
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Raw message (journal sequence {message.seq})</h2>
      <p className="muted">
        {formatBytes(message.bytes.length)}, {lines.length === 1 ? '1 segment' : `${lines.length} segments`}, read as {decoded.charset}
        {charset === '' && message.charsetChosenAtReprocess === true ? ', chosen at reprocess' : ''}.{' '}
        {tree.header ? (
          <>
            Delimiters: field <code>{d.field}</code>, component <code>{d.component}</code>, repetition <code>{d.repetition}</code>, escape <code>{d.escape}</code>,
            subcomponent <code>{d.subcomponent}</code>.
          </>
        ) : null}
      </p>
      {!tree.header && lines.length > 0 && <p className="note">No MSH segment at the start: shown as text.</p>}
      <div className="raw-controls">
        <div className="field raw-charset">
          <label htmlFor={charsetId} className="field__label">
            Read as
          </label>
          <select id={charsetId} className="input" value={charset} onChange={(event) => setCharset(event.target.value)}>
            <CharsetOptions emptyLabel="As declared (MSH-18)" />
          </select>
        </div>
        {tree.header && (
          <fieldset className="raw-shown">
            <legend className="field__label">Show as</legend>
            <label>
              <input type="radio" name={`${headingId}-shown`} checked={shown === 'tree'} onChange={() => setShown('tree')} /> Tree
            </label>
            <label>
              <input type="radio" name={`${headingId}-shown`} checked={shown === 'text'} onChange={() => setShown('text')} /> Plain text
            </label>
          </fieldset>
        )}
      </div>
      {lines.length === 0 ? (
        <p>No HL7 segment could be read from these bytes.</p>
      ) : asText ? (
        <ol className="hl7-text" aria-label="Segments as text">
          {lines.map((line, index) => (
            <li key={index}>
              <code>{line}</code>
            </li>
          ))}
        </ol>
      ) : (
        <ol className="hl7-tree" aria-label="Segments">
          {tree.segments.map((segment) => (
            <SegmentNode key={segment.index} segment={segment} />
          ))}
        </ol>
      )}
    </section>
  );
}

function SegmentNode({ segment }: { segment: Hl7Segment }) {
  const tableId = useId();
  const present = segment.fields.filter((field) => field.value !== '');
  return (
    <li className="hl7-tree__segment">
      <details open>
        <summary id={tableId}>
          <code className="hl7-tree__id">{segment.id}</code> {segment.name ?? 'Segment'}{' '}
          <span className="muted">
            (line {segment.index}, {present.length === 1 ? '1 field' : `${present.length} fields`} with a value)
          </span>
        </summary>
        {present.length > 0 && (
          <div className="table-wrap">
            <table className="data-table hl7-fields" aria-labelledby={tableId}>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {present.map((field) => (
                  <FieldRow key={field.position} segment={segment.id} field={field} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </li>
  );
}

function FieldRow({ segment, field }: { segment: string; field: Hl7Field }) {
  const label = `${segment}-${field.position}`;
  const structured = field.repetitions.some((rep) => rep.components.length > 1);
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{field.name ?? ''}</td>
      <td className="hl7-fields__value">
        <code className="path">{field.value}</code>
        {structured && (
          <ol className="hl7-tree__components" aria-label={`Components of ${label}`}>
            {field.repetitions.map((rep, repIndex) =>
              rep.components
                .filter((component) => component.value !== '')
                .map((component) => (
                  <li key={`${repIndex}.${component.position}`}>
                    <span className="muted">
                      {label}
                      {field.repetitions.length > 1 ? `(${repIndex + 1})` : ''}.{component.position}
                    </span>{' '}
                    <code>{component.value}</code>
                    {component.subcomponents.length > 1 && (
                      <span className="muted"> ({component.subcomponents.length} subcomponents: {component.subcomponents.join(' · ')})</span>
                    )}
                  </li>
                )),
            )}
          </ol>
        )}
      </td>
    </tr>
  );
}
