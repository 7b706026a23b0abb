import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { usePrefs } from '../../app/prefs-context';
import { vaultErrorMessage } from '../../app/vault-errors';
import { ImportDemoControl } from '../demo-data/import-demo-control';
import type { IndexingState } from '../../vault/vault-service';
import type { HitCache } from './hit-cache';
import { IndexingNotice } from './indexing-notice';
import { PatientResultList, type ResultListHandle } from './patient-result-list';
import type { PatientSearch } from './use-patient-search';
import { SHORT_HINT, tooShortForPrefix, wholeWordOnly } from './short-query';

const numberFormat = new Intl.NumberFormat('en');

const ROW_HEIGHT = { compact: 44, comfortable: 56 } as const;

function patientsWord(count: number): string {
  return `${numberFormat.format(count)} ${count === 1 ? 'patient' : 'patients'}`;
}

/**
 * The search box, what it found, and the result list; an empty vault offers demo data instead.
 * While the vault is indexing, a notice says results may be incomplete, and no count of 0 taken
 * meanwhile passes for an empty vault.
 */
export function PatientSearchView({
  search,
  hits,
  notice,
  indexing,
  onDataChanged,
  focusRequest = 0,
  onFocused,
}: {
  search: PatientSearch;
  hits: HitCache;
  notice: string | null;
  indexing: IndexingState;
  onDataChanged: () => void;
  /** Raised by "/" (patients-area.tsx): each new value moves focus to the search box. */
  focusRequest?: number;
  /** Called once the box has the focus asked for (so a later visit to the list does not take it again). */
  onFocused?: () => void;
}) {
  const { prefs } = usePrefs();
  const resultsHeadingId = useId();
  const searchHintId = useId();
  const box = useRef<HTMLInputElement>(null);
  const list = useRef<ResultListHandle>(null);
  const { outcome, total } = search;
  /**
   * An import started from the empty-vault screen keeps that screen (its progress, or its error)
   * until it is done, although the patients it brings in show in the count meanwhile.
   */
  const [importing, setImporting] = useState(false);

  useEffect(() => {
    if (focusRequest === 0) return;
    // After this commit's effects: coming from a patient page, the frame moves focus to the new
    // page's heading in its own effect (which runs after this one); the search box wins.
    // The old query is selected, so what is typed next replaces it rather than being appended to it.
    queueMicrotask(() => {
      box.current?.focus();
      box.current?.select();
      onFocused?.();
    });
  }, [focusRequest, onFocused]);

  const imported = (): void => {
    setImporting(false);
    onDataChanged();
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    search.submit();
  };

  const onBoxKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'ArrowDown' && outcome !== null && outcome.patientIds.length > 0) {
      event.preventDefault();
      list.current?.focusRow(0);
    }
  };

  const noticeLine = notice !== null && (
    <p role="status" className="note note--ok">
      {notice}
    </p>
  );

  const emptyVault = (
    <>
      {noticeLine}
      <EmptyVault onStarted={() => setImporting(true)} onImported={imported} />
    </>
  );
  if (importing) return emptyVault;
  if (total === 0 && search.query.trim() === '') {
    if (search.totalComplete && !indexing.busy) return emptyVault;
    // No patients so far, but the views are (or were just) being built: not an empty vault yet.
    return (
      <>
        {noticeLine}
        <IndexingNotice indexing={indexing} />
      </>
    );
  }

  const showingResults = outcome !== null && search.query.trim() !== '';
  return (
    <>
      {noticeLine}
      <IndexingNotice indexing={indexing} />
      <form role="search" className="search-form" onSubmit={submit}>
        <label htmlFor={`${searchHintId}-box`} className="visually-hidden">
          Search records
        </label>
        <input
          ref={box}
          id={`${searchHintId}-box`}
          type="search"
          className="input search-form__box"
          placeholder="Name, MRN, code or word (press / to search)"
          value={search.query}
          onChange={(event) => search.setQuery(event.target.value)}
          onKeyDown={onBoxKeyDown}
          aria-describedby={searchHintId}
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" className="button">
          Search
        </button>
      </form>
      <p id={searchHintId} role="status" className="search-status" aria-live="polite">
        {searchStatus(search)}
      </p>
      {search.error !== null && (
        <p role="alert" className="note note--error">
          The search failed: {vaultErrorMessage(search.error)}
        </p>
      )}
      {search.totalError !== null && (
        <p role="alert" className="note note--error">
          The number of patients could not be loaded: {vaultErrorMessage(search.totalError)}
        </p>
      )}
      {showingResults && outcome.patientIds.length > 0 && (
        <section className="results" aria-labelledby={resultsHeadingId}>
          <h2 id={resultsHeadingId} className="visually-hidden">
            Search results
          </h2>
          <PatientResultList
            key={`${outcome.query}\u0000${outcome.patientIds.length}\u0000${prefs.density}`}
            ref={list}
            patientIds={outcome.patientIds}
            matchedStudies={outcome.matchedStudies}
            hits={hits}
            rowHeight={ROW_HEIGHT[prefs.density]}
            labelledBy={resultsHeadingId}
            onLeaveTop={() => box.current?.focus()}
          />
        </section>
      )}
    </>
  );
}

export { MIN_PREFIX_QUERY } from './short-query';

export function searchStatus(search: Pick<PatientSearch, 'query' | 'total' | 'outcome' | 'searching'>): string {
  const query = search.query.trim();
  if (query === '') {
    const total = search.total === null ? '' : ` ${patientsWord(search.total)} in the vault.`;
    // An MRN is found by its start or by the start of its digits (F9: "1002" finds MRN100234).
    return `Type a name, MRN (or its first digits), code or word…${total}`;
  }
  // One or two Chinese, Japanese or Korean characters are a whole word (a surname: 王, 山田), searched as one; no hint to type more (QA12 D4).
  const wholeWord = wholeWordOnly(query);
  const short = tooShortForPrefix(query);
  const { outcome } = search;
  if (outcome === null || outcome.query !== query) return search.searching ? 'Searching…' : short ? SHORT_HINT : 'Press Enter to search.';
  const took = `${numberFormat.format(Math.round(outcome.tookMs))} ms`;
  // A short query matched no whole word: that says nothing about whether the patient is in the vault, so the hint leads.
  if (outcome.patientIds.length === 0 && short) return `${SHORT_HINT} No name, number or word is exactly “${outcome.query}” (${took}).`;
  if (outcome.patientIds.length === 0 && wholeWord) return `No name, number or word is exactly “${outcome.query}” (${took}).`;
  if (outcome.patientIds.length === 0) return `No patients match “${outcome.query}” (${took}).`;
  if (short) return `${patientsWord(outcome.patientIds.length)} found in ${took} with the whole word “${outcome.query}”. ${SHORT_HINT}`;
  if (wholeWord) return `${patientsWord(outcome.patientIds.length)} found in ${took} with the whole word “${outcome.query}”.`;
  return `${patientsWord(outcome.patientIds.length)} found in ${took}. Use the arrow keys to move through them.`;
}

function EmptyVault({ onStarted, onImported }: { onStarted: () => void; onImported: () => void }) {
  const headingId = useId();
  return (
    <section className="panel panel--lead" aria-labelledby={headingId}>
      <h2 id={headingId}>No patients yet</h2>
      <p>
        Patients appear here as the intake channels receive messages. To try HDMS Node before any system sends data,
        import a synthetic demo population: realistic names, record numbers, visits, lab results and vital signs,
        none of them real people.
      </p>
      <ImportDemoControl onStarted={onStarted} onImported={onImported} />
    </section>
  );
}
