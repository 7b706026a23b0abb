import { useId, useState, type DragEvent } from 'react';
import type { Hl7Charset } from '../../../shared/ipc/intake-contract';
import { useApi } from '../../app/api-context';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { mappingLabel } from '../patients/record-format';
import { importHl7Files, type ImportFile, type ImportRow } from './intake-upload';
import { CharsetOverrideField, MessageCells, MessageHeads, OutcomeCells, OutcomeHeads, flagWords } from './message-parts';
import { count } from './monitor-tables';

/** Reads picked or dropped files into memory (the mind opens no file itself: the user hands them over). */
async function readFiles(files: readonly File[]): Promise<ImportFile[]> {
  return Promise.all(
    files.map(async (file) => ({
      name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
      bytes: new Uint8Array(await file.arrayBuffer()),
    })),
  );
}

type Entry = FileSystemEntry;

function isFileEntry(entry: Entry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectoryEntry(entry: Entry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

/** Every file under a dropped entry (folders recursively; hidden files left out), with its path. */
async function filesOfEntry(entry: Entry): Promise<File[]> {
  if (entry.name.startsWith('.')) return [];
  if (isFileEntry(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    const path = entry.fullPath.replace(/^\//, '');
    return [path === '' || path === file.name ? file : new File([file], path, { type: file.type, lastModified: file.lastModified })];
  }
  if (isDirectoryEntry(entry)) {
    const reader = entry.createReader();
    const children: Entry[] = [];
    // readEntries answers in batches until it answers none.
    for (;;) {
      const batch = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      children.push(...batch);
    }
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return (await Promise.all(children.map(filesOfEntry))).flat();
  }
  return [];
}

/** The files of a drop: folders through webkitGetAsEntry where the browser offers it, else the plain file list. */
export async function filesOfDrop(data: DataTransfer): Promise<File[]> {
  const items = [...data.items].filter((item) => item.kind === 'file');
  const entries = items.map((item) => (typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null));
  if (entries.length > 0 && entries.every((entry) => entry !== null)) {
    return (await Promise.all(entries.map((entry) => filesOfEntry(entry!)))).flat();
  }
  return [...data.files];
}

/**
 * What an import did, in parts that add up to `messages` (issue 11 tester: a rejected message was
 * counted both as quarantined and as not accepted): stored, duplicates (answered as before),
 * quarantined (`rejected` of them answered with an error, the others held), and `errors`: not
 * accepted and not quarantined either.
 */
export interface ImportSummary {
  readonly messages: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly quarantined: number;
  /** Of the quarantined: answered with an error code (AR, AE…); the rest were held (AA). */
  readonly rejected: number;
  readonly errors: number;
  readonly unreadFiles: number;
  /** `<file>: <note>` for each file holding a batch whose BTS-1 / FTS-1 count was wrong (its messages were processed all the same). */
  readonly batchNotes: readonly string[];
}

export function summarize(rows: readonly ImportRow[]): ImportSummary {
  const results = rows.flatMap((row) => (row.result === null ? [] : [row.result]));
  const duplicates = results.filter((r) => r.duplicate === true);
  const rest = results.filter((r) => r.duplicate !== true);
  const quarantined = rest.filter((r) => r.quarantined === true);
  const others = rest.filter((r) => r.quarantined !== true);
  return {
    messages: results.length,
    accepted: others.filter((r) => r.ack === 'AA').length,
    duplicates: duplicates.length,
    quarantined: quarantined.length,
    rejected: quarantined.filter((r) => r.ack !== 'AA').length,
    errors: others.filter((r) => r.ack !== 'AA').length,
    unreadFiles: rows.filter((row) => row.result === null).length,
    batchNotes: [...new Set(rows.flatMap((row) => (row.result?.batchNote === undefined ? [] : [`${row.fileName}: ${row.result.batchNote}`])))],
  };
}

export function importSummaryText(summary: ImportSummary): string {
  const held = summary.quarantined - summary.rejected;
  const how = summary.quarantined === 0 ? '' : held === 0 ? ' (rejected)' : summary.rejected === 0 ? ' (held)' : ` (${count(summary.rejected)} rejected, ${count(held)} held)`;
  const parts = [
    `${count(summary.accepted)} stored`,
    `${count(summary.duplicates)} ${summary.duplicates === 1 ? 'duplicate' : 'duplicates'}`,
    `${count(summary.quarantined)} quarantined${how}`,
    ...(summary.errors === 0 ? [] : [`${count(summary.errors)} not accepted`]),
  ];
  const files = summary.unreadFiles === 0 ? '' : `; ${count(summary.unreadFiles)} ${summary.unreadFiles === 1 ? 'file' : 'files'} not imported`;
  const notes = summary.batchNotes.map((note) => ` ${note}; every message in it was processed.`).join('');
  return `Import finished: ${count(summary.messages)} ${summary.messages === 1 ? 'message' : 'messages'}: ${parts.join(', ')}${files}.${notes}`;
}

/**
 * "Import HL7 files": a file picker (several files), a folder picker, and a drop zone for files
 * and folders. The bytes go through the same pipeline as the MLLP listener (stored, duplicates
 * recognized, rejects quarantined); the results are listed per message.
 */
export function FileImportPanel({ onImported }: { onImported: () => void }) {
  const api = useApi();
  const headingId = useId();
  const resultsId = useId();
  const filesId = useId();
  const folderId = useId();
  const charsetId = useId();
  const [picked, setPicked] = useState<File[]>([]);
  const [charset, setCharset] = useState<'' | Hl7Charset>('');
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [rows, setRows] = useState<ImportRow[] | null>(null);

  const run = useAction(async (files: readonly File[]) => {
    setRows(null);
    setProgress({ done: 0, total: files.length });
    try {
      const read = await readFiles(files);
      const result = await importHl7Files(api, read, {
        ...(charset === '' ? {} : { charset }),
        onProgress: (done, total) => setProgress({ done, total }),
      });
      setRows(result);
      setPicked([]);
      onImported();
    } finally {
      setProgress(null);
    }
  });

  const drop = (event: DragEvent<HTMLDivElement>): void => {
    event.preventDefault();
    setDragging(false);
    if (run.busy) return;
    void filesOfDrop(event.dataTransfer).then((files) => {
      if (files.length > 0) void run.run(files);
    });
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Import HL7 files</h2>
      <p className="muted">
        Files with one message, several, or FHS/BHS batches go through the same checks as messages over the network:
        each is stored and acknowledged, duplicates are recognized, and messages that cannot be accepted are
        quarantined. File names stay on this computer.
      </p>
      <div className="import-controls">
        <div className="field">
          <label htmlFor={filesId} className="field__label">
            HL7 files
          </label>
          <input id={filesId} type="file" multiple className="input" onChange={(event) => setPicked([...(event.target.files ?? [])])} disabled={run.busy} />
        </div>
        <div className="field">
          <label htmlFor={folderId} className="field__label">
            Folder of HL7 files
          </label>
          <input
            id={folderId}
            type="file"
            className="input"
            // webkitdirectory is not in React's typings; it makes the picker choose a folder.
            {...{ webkitdirectory: '', directory: '' }}
            onChange={(event) => setPicked([...(event.target.files ?? [])].filter((file) => !file.name.startsWith('.')))}
            disabled={run.busy}
          />
        </div>
        <CharsetOverrideField id={charsetId} value={charset} onChange={setCharset} />
      </div>
      <div
        role="region"
        aria-label="Drop HL7 files here"
        className={dragging ? 'drop-zone drop-zone--active' : 'drop-zone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <p>Drop HL7 files or folders here.</p>
      </div>
      <div className="form-actions">
        <button type="button" className="button button--primary" disabled={picked.length === 0 || run.busy} aria-busy={run.busy || undefined} onClick={() => void run.run(picked)}>
          Import HL7 files
        </button>
        {picked.length > 0 && !run.busy && (
          <p className="form-actions__reason">
            {picked.length === 1 ? '1 file chosen.' : `${count(picked.length)} files chosen.`}
          </p>
        )}
        {progress !== null && (
          <p role="status" className="form-actions__reason">
            Importing: {count(progress.done)} of {count(progress.total)} files…
          </p>
        )}
      </div>
      <ActionError error={run.error} />
      {rows !== null && (
        <>
          <p role="status" className={summarize(rows).batchNotes.length === 0 ? 'note note--ok' : 'note note--warn'}>
            {importSummaryText(summarize(rows))}
          </p>
          <h3 id={resultsId}>Import results</h3>
          <ImportResults rows={rows} labelledBy={resultsId} />
        </>
      )}
    </section>
  );
}

function ImportResults({ rows, labelledBy }: { rows: readonly ImportRow[]; labelledBy: string }) {
  if (rows.length === 0) return <p>No files were imported.</p>;
  return (
    <div className="table-wrap">
      <table className="data-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">File no.</th>
            <th scope="col">Message</th>
            <MessageHeads />
            <OutcomeHeads />
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const r = row.result;
            return (
              <tr key={`${row.fileName}|${index}`}>
                <th scope="row" className="path">
                  {row.fileName}
                </th>
                <td className="nowrap">{`file ${count(row.place)} of ${count(row.of)}`}</td>
                <td>{r === null ? '' : r.index + 1}</td>
                <MessageCells message={r === null ? null : { messageType: r.messageType, controlId: r.controlId, acks: [r.ack] }} />
                <OutcomeCells
                  flags={r === null ? [] : [...flagWords(r), r.mapping === undefined || r.mapping === 'mapped' ? '' : mappingLabel(r.mapping)].filter((w) => w !== '')}
                  reason={r === null ? (row.problem ?? '') : (r.reason ?? '')}
                />
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
