import { useCallback, useEffect, useRef, useState } from 'react';
import type { VaultService } from '../../vault/vault-service';

/** Search as the user types, once they pause this long (Enter searches at once). */
export const SEARCH_DEBOUNCE_MS = 150;

export interface SearchOutcome {
  readonly query: string;
  readonly patientIds: readonly string[];
  /** Patients found through a study (accession number, description words): those studies' ids. */
  readonly matchedStudies?: Readonly<Record<string, readonly string[]>>;
  readonly tookMs: number;
}

export interface PatientSearch {
  readonly query: string;
  readonly setQuery: (text: string) => void;
  /** Searches now (Enter). */
  readonly submit: () => void;
  /** The last finished search for a non-empty query; null while the box is empty. */
  readonly outcome: SearchOutcome | null;
  readonly searching: boolean;
  readonly error: unknown;
  /** Every patient in the vault (search('')), null until known. */
  readonly total: number | null;
  /**
   * Whether `total` was counted while the views were complete (no indexing before or during the
   * count): only then does 0 mean an empty vault.
   */
  readonly totalComplete: boolean;
  readonly totalError: unknown;
  /** After the data changed (import, erasure): the total and the current search again. */
  readonly refresh: () => void;
}

/**
 * The Patients area's search: kept above its pages, so going back from a patient finds the list as it was.
 * `indexingBusy` is the vault's indexing().busy: when it turns false, the total and the current
 * search run again by themselves, so results found while the views were still being built
 * become complete without retyping.
 */
export function usePatientSearch(vault: VaultService, indexingBusy = false): PatientSearch {
  const [query, setQueryText] = useState('');
  const [outcome, setOutcome] = useState<SearchOutcome | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [totalComplete, setTotalComplete] = useState(false);
  const [totalError, setTotalError] = useState<unknown>(null);
  /** Counts flips of indexingBusy; a total counted across a flip is not complete. */
  const indexingEpoch = useRef(0);
  const busyNow = useRef(indexingBusy);
  const sequence = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latestQuery = useRef('');

  const run = useCallback(
    async (text: string): Promise<void> => {
      clearTimeout(timer.current);
      const mine = ++sequence.current;
      const trimmed = text.trim();
      if (trimmed === '') {
        setOutcome(null);
        setSearching(false);
        setError(null);
        return;
      }
      setSearching(true);
      try {
        const result = await vault.search(trimmed);
        if (mine !== sequence.current) return;
        setOutcome({ query: trimmed, patientIds: result.patientIds, matchedStudies: result.matchedStudies ?? {}, tookMs: result.tookMs });
        setError(null);
      } catch (caught) {
        if (mine === sequence.current) setError(caught);
      } finally {
        if (mine === sequence.current) setSearching(false);
      }
    },
    [vault],
  );

  const loadTotal = useCallback(() => {
    const epoch = indexingEpoch.current;
    const whileBusy = busyNow.current;
    vault.search('').then(
      (result) => {
        setTotal(result.patientIds.length);
        setTotalComplete(!whileBusy && epoch === indexingEpoch.current);
        setTotalError(null);
      },
      (caught: unknown) => setTotalError(caught),
    );
  }, [vault]);

  useEffect(() => {
    loadTotal();
    return () => clearTimeout(timer.current);
  }, [loadTotal]);

  const setQuery = useCallback(
    (text: string) => {
      setQueryText(text);
      latestQuery.current = text;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void run(text), SEARCH_DEBOUNCE_MS);
    },
    [run],
  );

  const submit = useCallback(() => void run(latestQuery.current), [run]);

  const refresh = useCallback(() => {
    loadTotal();
    if (latestQuery.current.trim() !== '') void run(latestQuery.current);
  }, [loadTotal, run]);

  // Indexing ended: what was found meanwhile may be partial, so count and search again.
  useEffect(() => {
    if (busyNow.current === indexingBusy) return;
    busyNow.current = indexingBusy;
    indexingEpoch.current += 1;
    if (!indexingBusy) refresh();
  }, [indexingBusy, refresh]);

  return { query, setQuery, submit, outcome, searching, error, total, totalComplete, totalError, refresh };
}
