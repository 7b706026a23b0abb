import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { subscribeToLedger } from '../../app/ledger-context';
import { useAction, type Action } from '../../app/use-action';
import { coalesce } from './coalesce';
import type { LedgerEntryView, LedgerFilter, LedgerKind, LedgerService } from '../../ledger/ledger-service';

/** Entries per page of the timeline. */
export const LEDGER_PAGE_SIZE = 50;

/** Entries signed during a busy ingest come into the list at most this often (one update, not one per signal). */
export const FOLLOW_INTERVAL_MS = 1000;

/** How long the subject field waits after the last keystroke before it filters. */
export const SUBJECT_FILTER_DELAY_MS = 300;

/** What the filter controls hold: empty means "any". Dates are `YYYY-MM-DD` from date inputs. */
export interface FilterInputs {
  readonly kinds: readonly LedgerKind[];
  readonly operator: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
}

export const NO_FILTER: FilterInputs = { kinds: [], operator: '', from: '', to: '', subject: '' };

/** The service's filter: only what is set, so "no filter" is `{}`. */
export function toLedgerFilter(inputs: FilterInputs): LedgerFilter {
  const subject = inputs.subject.trim();
  return {
    ...(inputs.kinds.length > 0 ? { kinds: inputs.kinds } : {}),
    ...(inputs.operator !== '' ? { operator: inputs.operator } : {}),
    ...(inputs.from !== '' ? { from: inputs.from } : {}),
    ...(inputs.to !== '' ? { to: inputs.to } : {}),
    ...(subject !== '' ? { subject } : {}),
  };
}

export type TimelineList =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | {
      readonly phase: 'ready';
      readonly rows: readonly LedgerEntryView[];
      /** Whether the last page was full, so older entries may exist. */
      readonly more: boolean;
      /** The seq of the first row of the last older page loaded (focus goes there). */
      readonly firstOfLastPage: number | null;
      /** Entries signed since, held back (newest first) because the list is filtered or scrolled down. */
      readonly pending: readonly LedgerEntryView[];
      /** More than a page was signed since: showing them reloads from the newest. */
      readonly pendingGap: boolean;
    };

type Keyed = TimelineList & { readonly key: string };

export interface LedgerTimeline {
  readonly inputs: FilterInputs;
  readonly setInputs: (update: (inputs: FilterInputs) => FilterInputs) => void;
  readonly list: TimelineList;
  readonly loadOlder: Action<[], void>;
  /** Reloads from the newest entry with the same filter. */
  readonly refresh: () => void;
  /**
   * Adds the entries signed since the list loaded on top of it, keeping the rows and older pages
   * shown (no reload, no focus lost); more than a page of them reloads from the newest. With
   * `hold`, they wait in `pending` instead (the list does not move under the reader).
   */
  readonly follow: (hold?: boolean) => void;
  /** Puts the pending entries on top of the list. */
  readonly showNew: () => void;
  /** Set by the view: whether new entries should wait (the reader scrolled down); a filter always holds them. */
  readonly setHoldCheck: (check: (() => boolean) | null) => void;
}

/**
 * The ledger timeline: filter inputs, the entries loaded so far (newest first) and paging. Held
 * above the entry pages, so returning from an entry finds the list as it was. Every filter change
 * starts over from the newest entry; answers for an older filter are dropped.
 */
export function useLedgerTimeline(ledger: LedgerService): LedgerTimeline {
  const [inputs, setInputState] = useState<FilterInputs>(NO_FILTER);
  // The subject is typed: it filters once typing pauses. Every other control filters at once.
  const [subject, setSubject] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setSubject(inputs.subject), SUBJECT_FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [inputs.subject]);

  const filter = useMemo(
    () => toLedgerFilter({ ...inputs, subject }),
    [inputs, subject],
  );
  const [attempt, setAttempt] = useState(0);
  const key = `${attempt}\u0000${JSON.stringify(filter)}`;
  const [state, setState] = useState<Keyed | null>(null);
  const signalledWhileLoading = useRef(false);
  const changed = useRef<(() => void) | null>(null);
  const holdNew = useRef<(() => boolean) | null>(null);
  const currentKey = useRef(key);
  useEffect(() => {
    currentKey.current = key;
  });

  useEffect(() => {
    let current = true;
    ledger.entries(filter, { limit: LEDGER_PAGE_SIZE }).then(
      (rows) => {
        if (!current) return;
        // Signed while this page was loading: looked for again once the list has rendered (the effect below).
        setState({ key, phase: 'ready', rows, more: rows.length >= LEDGER_PAGE_SIZE, firstOfLastPage: null, pending: [], pendingGap: false });
      },
      (error: unknown) => {
        if (current) setState({ key, phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
    // `key` names the filter and the attempt exactly.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ledger, key]);

  const list: TimelineList = state !== null && state.key === key ? state : { phase: 'loading' };

  const loadOlder = useAction(async (): Promise<void> => {
    if (list.phase !== 'ready') return;
    const last = list.rows.at(-1);
    if (last === undefined) return;
    const older = await ledger.entries(filter, { beforeSeq: last.seq, limit: LEDGER_PAGE_SIZE });
    setState((prev) => {
      if (prev === null || prev.key !== key || prev.phase !== 'ready' || currentKey.current !== key) return prev;
      const known = new Set(prev.rows.map((row) => row.seq));
      const fresh = older.filter((row) => !known.has(row.seq));
      return {
        ...prev,
        rows: [...prev.rows, ...fresh],
        more: older.length >= LEDGER_PAGE_SIZE,
        firstOfLastPage: fresh[0]?.seq ?? null,
      };
    });
  });

  const setInputs = useCallback((update: (inputs: FilterInputs) => FilterInputs) => setInputState(update), []);
  const refresh = useCallback(() => setAttempt((n) => n + 1), []);
  const shownNewest = list.phase === 'ready' ? (list.rows[0]?.seq ?? -1) : null;
  const follow = useCallback(
    (hold = false) => {
      // Still loading (or failed): nothing to add to. The load under way looks again when it lands; Retry is there.
      if (shownNewest === null) {
        signalledWhileLoading.current = true;
        return;
      }
      ledger.entries(filter, { limit: LEDGER_PAGE_SIZE }).then(
        (rows) => {
          if (currentKey.current !== key) return;
          const newer = rows.filter((row) => row.seq > shownNewest);
          // A whole page newer than the list: entries between it and the list may be missing.
          const gap = newer.length >= LEDGER_PAGE_SIZE;
          if (gap && !hold) return refresh();
          setState((prev) => {
            if (prev === null || prev.key !== key || prev.phase !== 'ready') return prev;
            const newest = Math.max(prev.rows[0]?.seq ?? -1, prev.pending[0]?.seq ?? -1);
            // Nothing new: the same state, so nothing renders again.
            if (!newer.some((row) => row.seq > newest)) return prev;
            if (hold) return { ...prev, pending: newer, pendingGap: gap };
            const fresh = newer.filter((row) => row.seq > (prev.rows[0]?.seq ?? -1));
            return { ...prev, rows: [...fresh, ...prev.rows], pending: [], pendingGap: false };
          });
        },
        // The list stays as it was; Refresh is there.
        () => undefined,
      );
    },
    [ledger, filter, key, shownNewest, refresh],
  );

  const pendingGap = list.phase === 'ready' && list.pendingGap;
  const showNew = useCallback(() => {
    if (pendingGap) return refresh();
    setState((prev) => {
      if (prev === null || prev.key !== key || prev.phase !== 'ready' || prev.pending.length === 0) return prev;
      const newest = prev.rows[0]?.seq ?? -1;
      return { ...prev, rows: [...prev.pending.filter((row) => row.seq > newest), ...prev.rows], pending: [], pendingGap: false };
    });
  }, [pendingGap, key, refresh]);
  const setHoldCheck = useCallback((check: (() => boolean) | null) => {
    holdNew.current = check;
  }, []);

  // Entries signed while the list is open come into it (like a log view), at most once a second
  // however busy the signing; held back behind "N new entries" when filtered or scrolled down.
  const filtered = Object.keys(filter).length > 0;
  useEffect(() => {
    changed.current = () => follow(filtered || holdNew.current?.() === true);
  });
  // After the render that shows a loaded list, not in the load's own callback: there `follow` still
  // saw no list and only noted the signal again, so an entry signed during the load stayed out.
  const ready = list.phase === 'ready';
  useEffect(() => {
    if (!ready || !signalledWhileLoading.current) return;
    signalledWhileLoading.current = false;
    changed.current?.();
  }, [ready, key]);
  useEffect(() => {
    const coalesced = coalesce(() => changed.current?.(), FOLLOW_INTERVAL_MS);
    const unsubscribe = subscribeToLedger(ledger, coalesced.signal);
    return () => {
      unsubscribe();
      coalesced.cancel();
    };
  }, [ledger]);

  return { inputs, setInputs, list, loadOlder, refresh, follow, showNew, setHoldCheck };
}
