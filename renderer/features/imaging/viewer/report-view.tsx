import { Fragment, useId, useState } from 'react';
import { ErrorNote } from '../../../app/error-note';
import type { InstanceOverview } from './decode/decode-protocol';

/** A text value with its line breaks (CR LF, LF or CR) kept: an SR's findings are paragraphs, not one run-on line (QA explore-12 D7). */
function Lines({ text }: { text: string }) {
  return text.split(/\r\n|\r|\n/u).map((line, index) => (
    <Fragment key={index}>
      {index > 0 && <br />}
      {line}
    </Fragment>
  ));
}

/** A structured report as indented text: each item's concept and value, its relationship when not CONTAINS. */
export function ReportView({ lines }: { lines: NonNullable<InstanceOverview['report']> }) {
  const headingId = useId();
  const [title, ...items] = lines;
  return (
    <section className="viewer-report" aria-labelledby={headingId}>
      <h2 id={headingId}>{title?.concept ?? 'Report'}</h2>
      {title !== undefined && title.value !== '' && (
        <p className="muted">
          <Lines text={title.value} />
        </p>
      )}
      <ul className="viewer-report__items">
        {items.map((line, index) => (
          <li key={index} className={`viewer-report__item viewer-report__item--${Math.min(line.depth, 8)}`}>
            {line.relationship !== '' && line.relationship !== 'CONTAINS' && <span className="muted">{line.relationship.toLowerCase()} · </span>}
            <strong>{line.concept === '' ? '(unnamed)' : line.concept}</strong>
            {line.value !== '' && (
              <>
                : <Lines text={line.value} />
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Hands the document to the browser as a download (a blob URL made for the click and revoked after it). */
function saveDocument(doc: NonNullable<InstanceOverview['document']>, name: string): void {
  const url = URL.createObjectURL(new Blob([doc.bytes as Uint8Array<ArrayBuffer>], { type: doc.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * An encapsulated document (PDF…) offered as a file to save: the app shows no PDF itself. The file
 * leaves the vault in plaintext, so `record` journals the export first (QA4-12 D4); nothing is
 * written when that fails.
 */
export function DocumentOffer({ document: doc, fileName, record }: { document: NonNullable<InstanceOverview['document']>; fileName: string; record: (bytes: number, file: string) => Promise<void> }) {
  const extension = doc.mimeType === 'application/pdf' ? 'pdf' : doc.mimeType === 'text/xml' || doc.mimeType.endsWith('+xml') ? 'xml' : 'bin';
  const [failure, setFailure] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const save = (): void => {
    const file = `${fileName}.${extension}`;
    setSaving(true);
    setFailure(null);
    record(doc.bytes.length, file).then(
      () => {
        setSaving(false);
        saveDocument(doc, file);
      },
      (error: unknown) => {
        setSaving(false);
        setFailure(error);
      },
    );
  };
  return (
    <section className="viewer-report">
      <h2>{doc.title === '' ? 'Encapsulated document' : doc.title}</h2>
      <p>
        A {doc.mimeType === 'application/pdf' ? 'PDF' : doc.mimeType} document of {Math.ceil(doc.bytes.length / 1024)} KiB. It is not shown here: save it and open it with your document viewer.
        The file holds patient data; keep it where your clinic keeps such files.
      </p>
      <button type="button" className="button button--primary" disabled={saving} onClick={save}>
        Save the document
      </button>
      {failure !== null && <ErrorNote error={failure} what="The document was not saved" />}
    </section>
  );
}
