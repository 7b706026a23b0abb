import { useId, useMemo } from 'react';
import { readDicomElements } from '../../../shared/dicom/dicom-elements';
import type { RawMessage } from '../../vault/vault-service';
import { TagTable } from '../imaging/viewer/tag-table';
import { formatBytes } from '../settings/data-section';
import { HEX_DUMP_BYTES, hexDump } from './raw-input';

/** How much of the input this page holds: all of it, or its start (an input over the mind's whole-object limit). */
function sizeLine(message: RawMessage): string {
  const total = message.totalBytes ?? message.bytes.length;
  const shown = Math.min(message.bytes.length, HEX_DUMP_BYTES);
  const dumped = shown < total ? `; its first ${formatBytes(shown)} below` : '';
  return message.totalBytes !== undefined ? `${formatBytes(total)}; the first ${formatBytes(message.bytes.length)} were opened to read it${dumped}.` : `${formatBytes(total)}${dumped}.`;
}

function FirstBytes({ message }: { message: RawMessage }) {
  const headingId = useId();
  const lines = useMemo(() => hexDump(message.bytes), [message]);
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>First bytes</h3>
      <pre className="raw-hex">{lines.join('\n')}</pre>
    </section>
  );
}

/**
 * A quarantined DICOM input (issue 12): the elements dicom-parser read before Pixel Data or before
 * it stopped, with why it stopped, and the first bytes. Shown in this page only, like the HL7 tree.
 */
export function DicomRawInput({ message }: { message: RawMessage }) {
  const headingId = useId();
  const tableId = useId();
  const read = useMemo(() => readDicomElements(message.bytes), [message]);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Quarantined DICOM input (journal sequence {message.seq})</h2>
      <p className="muted">
        {sizeLine(message)} {read.form === 'part10' ? 'A DICOM Part 10 file (File Meta Information first).' : read.form === 'bare' ? 'A data set without File Meta Information.' : ''}
      </p>
      {read.problem !== null && <p className="note">Reading stopped: {read.problem}</p>}
      {read.rows.length > 0 && (
        <section aria-labelledby={tableId}>
          <h3 id={tableId}>Elements that could be read</h3>
          <div className="table-wrap">
            <TagTable rows={read.rows} labelledBy={tableId} />
          </div>
        </section>
      )}
      <FirstBytes message={message} />
    </section>
  );
}

/** A quarantined input that is neither HL7 text nor DICOM (a device report): its size and first bytes. */
export function BinaryRawInput({ message }: { message: RawMessage }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Quarantined input (journal sequence {message.seq})</h2>
      <p className="muted">{sizeLine(message)}</p>
      <FirstBytes message={message} />
    </section>
  );
}
