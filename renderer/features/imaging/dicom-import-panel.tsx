import { useId, useRef, useState, type DragEvent } from 'react';
import type { HdmsApi } from '../../../shared/ipc/contract';
import { DICOM_STREAM_MAX_BYTES, type DicomImportResult } from '../../../shared/ipc/dicom-contract';
import { INTAKE_FILE_MAX_BYTES } from '../../../shared/ipc/intake-contract';
import { useApi } from '../../app/api-context';
import { useImportsAtLock } from '../../app/imports-at-lock';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { CHUNK_BYTES, withBytes } from '../../vault/intake-bytes';
import { useCurrentOperator } from '../../vault/vault-context';
import { toBase64Url } from '../../vault/vault-crypto';
import { filesOfDrop } from '../intake/file-import-panel';
import { planDicomImport } from './dicomdir-plan';
import { pickedBlob, PickedFileUnreadable, readWhole, type PickedFile } from './picked-file';

/** One file's line in the results: its name (never sent to the body) and what became of it. */
export interface DicomImportRow {
  readonly name: string;
  readonly outcome: DicomImportResult['outcome'] | 'in-quarantine' | 'too-large' | 'cancelled' | 'error' | 'missing' | 'no-file';
  readonly reason?: string;
}

/**
 * A file's row from the body's answer. A duplicate of bytes quarantined before (a damaged or held
 * file imported again) is `in-quarantine`: it is not in the studies, so it is no "Duplicate (stored
 * before)" (QA s32 D3); the entry may have been discarded since, so the words do not say it waits
 * there (T1 F3). When a copy of the instance is stored, the body answers a plain duplicate.
 */
export function importRowOf(name: string, result: Omit<DicomImportResult, 'file'>): DicomImportRow {
  const outcome = result.outcome === 'duplicate' && result.inQuarantine === true ? 'in-quarantine' : result.outcome;
  return { name, outcome, ...(result.reason !== undefined ? { reason: result.reason } : {}) };
}

export const OUTCOME_LABELS: Readonly<Record<DicomImportRow['outcome'], string>> = {
  stored: 'Stored',
  duplicate: 'Duplicate (stored before)',
  'in-quarantine': 'Quarantined before (not stored)',
  conflict: 'Stored, conflicts with an earlier copy',
  held: 'Held in quarantine',
  quarantined: 'Quarantined',
  'not-dicom': 'Not DICOM',
  directory: 'DICOMDIR (index of the files)',
  missing: 'Missing (named by the DICOMDIR)',
  'no-file': 'DICOMDIR record without a file',
  failed: 'Not stored',
  'too-large': 'Too large',
  cancelled: 'Cancelled',
  error: 'Not imported',
};

/** Bytes sent per call: small enough that progress moves and cancel takes effect soon. */
const BATCH_BYTES = 8 * 1024 * 1024;
/**
 * Files sent per call: progress counts files the body has answered for, so a call of 63 small
 * files left it at "0 of 300" for seconds (QA-12 D6); a few files per call keep it moving.
 */
const BATCH_FILES = 8;

/** Outcomes that need someone to look: not filed, or filed nowhere a study shows it. */
const NEEDS_ATTENTION: ReadonlySet<DicomImportRow['outcome']> = new Set(['held', 'quarantined', 'in-quarantine', 'not-dicom', 'missing', 'no-file', 'failed', 'too-large', 'error']);

/** Stored with a note from the node (its character set is not known, H6 s38 finding 6): read, but worth a look. */
const storedWithNote = (row: DicomImportRow): boolean => (row.outcome === 'stored' || row.outcome === 'conflict') && row.reason !== undefined;

/**
 * The rows that need attention first (quarantined, held, missing, not DICOM…), then those stored
 * with a note, then the others, each group in its order.
 */
export function rowsNeedingAttentionFirst(rows: readonly DicomImportRow[]): DicomImportRow[] {
  const rest = rows.filter((row) => !NEEDS_ATTENTION.has(row.outcome));
  return [...rows.filter((row) => NEEDS_ATTENTION.has(row.outcome)), ...rest.filter(storedWithNote), ...rest.filter((row) => !storedWithNote(row))];
}

/** A line of the results table: one file, or a run of files a Cancel left unsent (H6 s38 finding 10: 292 rows of "Cancelled"). */
export type ImportTableRow = { readonly kind: 'file'; readonly row: DicomImportRow } | { readonly kind: 'cancelled'; readonly names: readonly string[] };

/** The table's lines: consecutive cancelled files (two or more) as one line; a lone one stays a file's line. */
export function importTableRows(rows: readonly DicomImportRow[]): ImportTableRow[] {
  const lines: ImportTableRow[] = [];
  let run: DicomImportRow[] = [];
  const flush = (): void => {
    if (run.length === 1) lines.push({ kind: 'file', row: run[0]! });
    else if (run.length > 1) lines.push({ kind: 'cancelled', names: run.map((row) => row.name) });
    run = [];
  };
  for (const row of rows) {
    if (row.outcome === 'cancelled') {
      run.push(row);
      continue;
    }
    flush();
    lines.push({ kind: 'file', row });
  }
  flush();
  return lines;
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/**
 * The import's summary: how many files, and what became of them, each outcome counted; a warning
 * (not the green of success) when any file was neither stored nor a duplicate, or the DICOMDIR
 * names files that are not there.
 */
export function importSummary(rows: readonly DicomImportRow[]): { readonly text: string; readonly warn: boolean } {
  const count = new Map<DicomImportRow['outcome'], number>();
  for (const row of rows) count.set(row.outcome, (count.get(row.outcome) ?? 0) + 1);
  const n = (outcome: DicomImportRow['outcome']): number => count.get(outcome) ?? 0;
  // Files read, not the DICOMDIR's lines for files that were not there or records without one.
  const files = rows.length - n('missing') - n('no-file');
  const stored = n('stored') + n('conflict');
  const noted = rows.filter(storedWithNote).length;
  const aside = [...(n('conflict') > 0 ? [`${n('conflict')} conflicting with an earlier copy`] : []), ...(noted > 0 ? [`${noted} with a note`] : [])];
  const parts = [`${stored} stored${aside.length > 0 ? ` (${aside.join(', ')})` : ''}`];
  const also: [DicomImportRow['outcome'], string, string][] = [
    ['directory', 'DICOMDIR (the index of the files)', 'DICOMDIRs (the index of the files)'],
    ['duplicate', 'duplicate (stored before)', 'duplicates (stored before)'],
    ['in-quarantine', 'quarantined before (not in the studies)', 'quarantined before (not in the studies)'],
    ['held', 'held in quarantine', 'held in quarantine'],
    ['quarantined', 'quarantined', 'quarantined'],
    ['not-dicom', 'not DICOM', 'not DICOM'],
    ['failed', 'not stored', 'not stored'],
    ['too-large', 'too large', 'too large'],
    ['error', 'not imported', 'not imported'],
    ['cancelled', 'cancelled', 'cancelled'],
  ];
  for (const [outcome, one, many] of also) if (n(outcome) > 0) parts.push(plural(n(outcome), one, many));
  const directory: string[] = [];
  if (n('missing') > 0) directory.push(`${plural(n('missing'), 'file', 'files')} named by the DICOMDIR ${n('missing') === 1 ? 'is' : 'are'} missing`);
  if (n('no-file') > 0) directory.push(`${plural(n('no-file'), 'DICOMDIR record names', 'DICOMDIR records name')} no file`);
  const text = `Of ${plural(files, 'file', 'files')}: ${parts.join(', ')}${directory.length > 0 ? `; ${directory.join('; ')}` : ''}.`;
  const warn = rows.some((row) => row.outcome !== 'stored' && row.outcome !== 'conflict' && row.outcome !== 'duplicate' && row.outcome !== 'directory') || stored + n('duplicate') === 0;
  return { text, warn };
}

/**
 * Imports files one batch at a time through `dicom.importFiles`; names stay in the mind, results
 * come back by index. A batch's files are read only when it is sent, so the mind holds at most
 * one batch (BATCH_BYTES, or one file up to an upload's limit) however large the choice.
 * `cancelled()` is asked between batches: the files not yet sent are listed as cancelled (a batch
 * sent is finished by the body).
 */
export async function importDicomFiles(
  api: Pick<HdmsApi, 'intake' | 'dicom'>,
  files: readonly PickedFile[],
  options: {
    readonly onProgress?: (done: number, total: number) => void;
    readonly cancelled?: () => boolean;
    /** A file streamed on its own: its bytes sealed so far, of its size. */
    readonly onBytes?: (sent: number, size: number) => void;
    /** Files of the operator's choice answered before these (the DICOMDIRs read in the mind): they count in its places. */
    readonly counted?: number;
  } = {},
): Promise<DicomImportRow[]> {
  const rows: DicomImportRow[] = [];
  const counted = options.counted ?? 0;
  const of = counted + files.length;
  let index = 0;
  while (index < files.length) {
    if (options.cancelled?.() === true) {
      for (const file of files.slice(index)) rows.push({ name: file.name, outcome: 'cancelled' });
      break;
    }
    // Each file with its place in the whole import (1-based): the body records it as a
    // quarantined file's source, so it must not be the file's place in this call.
    const batch: { file: PickedFile; position: number }[] = [];
    let bytes = 0;
    while (index < files.length && (batch.length === 0 || (batch.length < BATCH_FILES && bytes + files[index]!.size <= BATCH_BYTES))) {
      const file = files[index++]!;
      if (file.size > INTAKE_FILE_MAX_BYTES) {
        // Streamed on its own, chunk by chunk into the body's sealer (it never holds the whole file).
        if (batch.length > 0) {
          index -= 1;
          break;
        }
        rows.push(await streamDicomFile(api, file, options.cancelled, options.onBytes, { file: counted + index, of }));
        continue;
      }
      batch.push({ file, position: counted + index });
      bytes += file.size;
    }
    const readable: { file: PickedFile; position: number; bytes: Uint8Array }[] = [];
    for (const { file, position } of batch) {
      try {
        readable.push({ file, position, bytes: await readWhole(file) });
      } catch (error) {
        rows.push({ name: file.name, outcome: 'error', reason: readFailure(error) });
      }
    }
    if (readable.length > 0) {
      try {
        const { results } = await withBytes(
          api,
          readable.map((item) => item.bytes),
          (carrier) => api.dicom.importFiles({ ...carrier, position: { files: readable.map((item) => item.position), of } }),
        );
        for (const result of results) rows.push(importRowOf(readable[result.file]?.file.name ?? `file ${result.file + 1}`, result));
      } catch (error) {
        for (const { file } of readable) rows.push({ name: file.name, outcome: 'error', reason: error instanceof Error ? error.message : 'The import failed.' });
      }
    }
    options.onProgress?.(index, files.length);
  }
  return rows;
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function readFailure(error: unknown): string {
  return error instanceof PickedFileUnreadable ? error.message : 'The file could not be read.';
}

/**
 * Imports one file larger than an upload holds (dicom.streamBegin/streamAppend): read and sent in
 * chunks, each after the body has sealed what came before; the body answers early when it needs
 * no more (not DICOM). Cancel between chunks aborts it (nothing stored), and so does a file that
 * can no longer be read.
 */
export async function streamDicomFile(
  api: Pick<HdmsApi, 'dicom'>,
  file: PickedFile,
  cancelled?: () => boolean,
  onBytes?: (sent: number, size: number) => void,
  /** The file's place in the operator's import (1-based) and the import's file count. */
  position?: { readonly file: number; readonly of: number },
): Promise<DicomImportRow> {
  if (file.size > DICOM_STREAM_MAX_BYTES) return { name: file.name, outcome: 'too-large', reason: `Larger than ${DICOM_STREAM_MAX_BYTES / (1024 * 1024 * 1024)} GiB: not imported (send it over DICOM instead).` };
  let handle: string | null = null;
  try {
    handle = (await api.dicom.streamBegin(position === undefined ? {} : { position })).handle;
    onBytes?.(0, file.size);
    for (let offset = 0; ; offset += CHUNK_BYTES) {
      if (cancelled?.() === true) {
        await api.dicom.streamAbort({ handle });
        return { name: file.name, outcome: 'cancelled' };
      }
      const end = Math.min(file.size, offset + CHUNK_BYTES);
      const chunk = await file.read(offset, end);
      if (chunk.length !== end - offset) throw new PickedFileUnreadable();
      const answer = await api.dicom.streamAppend({ handle, chunk: toBase64Url(chunk), last: end === file.size });
      onBytes?.(end, file.size);
      if (answer.result !== undefined) return importRowOf(file.name, answer.result);
      if (end === file.size) return { name: file.name, outcome: 'error', reason: 'The node did not say what became of the file.' };
    }
  } catch (error) {
    if (handle !== null) await api.dicom.streamAbort({ handle }).catch(() => undefined);
    if (error instanceof PickedFileUnreadable) return { name: file.name, outcome: 'error', reason: error.message };
    return { name: file.name, outcome: 'error', reason: error instanceof Error ? error.message : 'The import failed.' };
  }
}

/**
 * "Import DICOM files": files, a folder (recursively; a patient CD's DICOMDIR is read and the
 * files its records reference are imported first, those missing listed: dicomdir-plan.ts), or a drop; a progress bar, Cancel, and a per-file
 * result list. Imports go through the same checks, duplicate recognition and records as the
 * DICOM receiver.
 */
export function DicomImportPanel({ onImported }: { onImported: () => void }) {
  const api = useApi();
  const headingId = useId();
  const resultsId = useId();
  const filesId = useId();
  const folderId = useId();
  const [picked, setPicked] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number; bytes?: { sent: number; size: number } } | null>(null);
  const [rows, setRows] = useState<DicomImportRow[] | null>(null);
  const cancel = useRef(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const imports = useImportsAtLock();
  const operatorId = useCurrentOperator()?.operatorId ?? '';

  const run = useAction(async (files: readonly File[]) => {
    setRows(null);
    cancel.current = false;
    setProgress({ done: 0, total: files.length });
    // A lock ends the session the files are sent with: it stops the import (QA-12 D2), and the
    // next unlock is told how many files were not imported (counts only: the names end here).
    const job = imports.start(operatorId, files.length);
    let notImported = 0;
    try {
      // Nothing is read whole here: each file's head (and a DICOMDIR) now, the rest as it is sent.
      const picked = files.map((file) => pickedBlob((file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file));
      // A DICOMDIR is read here: its records choose the files (paths never leave the mind).
      const plan = await planDicomImport(picked);
      notImported = plan.files.length;
      job.progress(0, plan.files.length);
      setProgress({ done: 0, total: plan.files.length });
      const imported = await importDicomFiles(api, plan.files, {
        counted: plan.rows.filter((row) => row.outcome === 'directory').length,
        onProgress: (done, total) => {
          job.progress(done, total);
          setProgress({ done, total });
        },
        cancelled: () => cancel.current || job.stoppedByLock(),
        onBytes: (sent, size) => setProgress((now) => (now === null ? now : { ...now, bytes: { sent, size } })),
      });
      notImported = imported.filter((row) => row.outcome === 'cancelled' || row.outcome === 'error').length;
      if (job.stoppedByLock()) return;
      setRows([...plan.rows, ...imported]);
      setPicked([]);
      onImported();
    } finally {
      job.finish(notImported);
      setProgress(null);
      // The choice is used up (imported, cancelled or stopped): cleared from the fields too, since
      // an input whose value did not change fires no change when the same files are chosen again (T1 F16).
      setPicked([]);
      for (const input of [filesInput.current, folderInput.current]) if (input !== null) input.value = '';
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
  const summary = rows === null ? null : importSummary(rows);

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Import DICOM files</h2>
      <p className="muted">Files, a folder or a patient CD: each instance is checked, sealed and filed like one sent over the network. File names stay on this computer.</p>
      <div className="import-controls">
        <div className="field">
          <label htmlFor={filesId} className="field__label">
            DICOM files
          </label>
          <input ref={filesInput} id={filesId} type="file" multiple className="input" onChange={(event) => setPicked([...(event.target.files ?? [])])} disabled={run.busy} />
        </div>
        <div className="field">
          <label htmlFor={folderId} className="field__label">
            Folder or CD
          </label>
          <input
            ref={folderInput}
            id={folderId}
            type="file"
            className="input"
            // webkitdirectory is not in React's typings; it makes the picker choose a folder.
            {...{ webkitdirectory: '', directory: '' }}
            onChange={(event) => setPicked([...(event.target.files ?? [])].filter((file) => !file.name.startsWith('.')))}
            disabled={run.busy}
          />
        </div>
      </div>
      <div
        role="region"
        aria-label="Drop DICOM files here"
        className={dragging ? 'drop-zone drop-zone--active' : 'drop-zone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <p>Drop DICOM files or folders here.</p>
      </div>
      <div className="form-actions">
        <button type="button" className="button button--primary" disabled={picked.length === 0 || run.busy} aria-busy={run.busy || undefined} onClick={() => void run.run(picked)}>
          Import DICOM files
        </button>
        {picked.length > 0 && !run.busy && <p className="form-actions__reason">{picked.length === 1 ? '1 file chosen.' : `${picked.length} files chosen.`}</p>}
        {progress !== null && (
          <>
            <progress value={progress.done} max={progress.total} aria-label="Import progress" />
            <p role="status" className="form-actions__reason">
              Importing: {progress.done} of {progress.total} files…
              {progress.bytes !== undefined && progress.bytes.sent < progress.bytes.size && ` This file: ${mebibytes(progress.bytes.sent)} of ${mebibytes(progress.bytes.size)} MiB sent.`}
            </p>
            <button type="button" className="button" onClick={() => (cancel.current = true)}>
              Cancel
            </button>
          </>
        )}
      </div>
      <ActionError error={run.error} />
      {rows !== null && summary !== null && (
        <>
          <p role="status" className={summary.warn ? 'note note--warn' : 'note note--ok'}>
            {summary.text}
            {summary.warn && rows.some((row) => NEEDS_ATTENTION.has(row.outcome)) && ' The files that need attention are listed first.'}
          </p>
          <h3 id={resultsId}>Import results</h3>
          <div className="table-wrap">
            <table className="data-table" aria-labelledby={resultsId}>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Result</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {importTableRows(rowsNeedingAttentionFirst(rows)).map((line, index) =>
                  line.kind === 'file' ? (
                    <tr key={`${index}:${line.row.name}`}>
                      <th scope="row">{line.row.name}</th>
                      <td>{OUTCOME_LABELS[line.row.outcome]}</td>
                      <td>{line.row.reason ?? ''}</td>
                    </tr>
                  ) : (
                    <tr key={`${index}:cancelled`}>
                      <th scope="row">
                        <details>
                          <summary>{`${line.names.length} files: ${line.names[0]} … ${line.names.at(-1)}`}</summary>
                          <ul className="plain-list">
                            {line.names.map((name, at) => (
                              <li key={at}>{name}</li>
                            ))}
                          </ul>
                        </details>
                      </th>
                      <td>{OUTCOME_LABELS.cancelled}</td>
                      <td />
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
