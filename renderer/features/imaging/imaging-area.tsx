import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import { ErrorNote } from '../../app/error-note';
import { useVault, useVaultIndexing, useVaultPhase } from '../../vault/vault-context';
import type { StudyListEntry } from '../../vault/vault-service';
import { DicomImportPanel } from './dicom-import-panel';
import { ReceiverStatus } from './receiver-status';
import { StudyTable } from './study-table';
import { StudyViewer } from './viewer/study-viewer';
import { NotFoundView } from '../../app/layout/not-found-view';

/**
 * Imaging: every DICOM study the receiver (or an import) stored, newest first, each with the
 * patient its Patient ID files it under. Listing studies is like searching: not journaled; the
 * patient's page is where a study's patient is opened (and that opening is journaled).
 */
export function ImagingArea({ path = [] }: { path?: readonly string[] }) {
  const phase = useVaultPhase();
  if (phase !== 'unlocked') return <p className="panel">Unlock the vault to list the imaging studies.</p>;
  if (path[0] === 'studies' && path[1] !== undefined && path.length === 2) return <StudyViewer studyId={path[1]} />;
  if (path.length > 0) return <NotFoundView />;
  return <StudyList />;
}

function StudyList() {
  const vault = useVault();
  const indexing = useVaultIndexing();
  const headingId = useId();
  const filterId = useId();
  const filterHintId = useId();
  const [query, setQuery] = useState('');
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; studies: readonly StudyListEntry[] }>({ phase: 'loading' });
  const load = useCallback(() => {
    vault.studies().then(
      (studies) => setLoaded({ phase: 'ready', studies }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [vault]);
  // Again whenever a replay ends: studies received meanwhile reach the views by a replay.
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);
  // A filter is a blind-index search in the vault (only the studies it finds are decrypted); until
  // the answer for the current words arrives, the previous one stays on screen.
  const [found, setFound] = useState<{ query: string; studies: readonly StudyListEntry[] } | null>(null);
  const [searchError, setSearchError] = useState<unknown>(null);
  useEffect(() => {
    if (query.trim() === '' || indexing.busy) return;
    let current = true;
    vault.studies(query).then(
      (studies) => {
        if (!current) return;
        setFound({ query, studies });
        setSearchError(null);
      },
      (error: unknown) => {
        if (current) setSearchError(error);
      },
    );
    return () => {
      current = false;
    };
  }, [vault, query, indexing.busy]);
  const shown = useMemo(() => (loaded.phase !== 'ready' ? [] : query.trim() === '' || found === null ? loaded.studies : found.studies), [loaded, query, found]);

  return (
    <>
      <p className="page-intro">
        Studies that modalities and PACS send to this node&apos;s DICOM receiver. Each instance is sealed into the vault as
        it arrives and filed under the patient its Patient ID names.
      </p>
      <section className="panel" aria-labelledby={headingId} aria-busy={loaded.phase === 'loading'}>
        <h2 id={headingId}>Studies</h2>
        {loaded.phase === 'loading' && <p role="status">Loading the studies…</p>}
        {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The studies could not be loaded" />}
        {loaded.phase === 'ready' && loaded.studies.length === 0 && <p>No study has been received yet.</p>}
        {loaded.phase === 'ready' && loaded.studies.length > 0 && (
          <>
            <div className="field">
              <label htmlFor={filterId} className="field__label">
                Filter by patient, accession number, modality, date or description
              </label>
              <input id={filterId} className="input" type="search" value={query} onChange={(event) => setQuery(event.target.value)} autoComplete="off" spellCheck={false} aria-describedby={filterHintId} />
              <p id={filterHintId} className="field__hint">
                Dates: a day (2026-01-14 or 14.01.2026), a month (2026-01), a year (2026) or a range (2026-01-10..2026-01-20 or 20260110-20260120).
              </p>
            </div>
            {searchError !== null && <ErrorNote error={searchError} what="The studies could not be searched" />}
            <p className="muted" role="status">
              {shown.length === loaded.studies.length ? (loaded.studies.length === 1 ? '1 study' : `${loaded.studies.length} studies`) : `${shown.length} of ${loaded.studies.length} studies`}, newest first.
            </p>
            {shown.length > 0 && <StudyTable studies={shown} labelledBy={headingId} withPatient />}
          </>
        )}
      </section>
      <DicomImportPanel onImported={load} />
      <ReceiverStatus />
    </>
  );
}
