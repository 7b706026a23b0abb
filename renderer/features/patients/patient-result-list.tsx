import { observeElementRect, useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useImperativeHandle, useRef, useState, useSyncExternalStore, type KeyboardEvent, type ReactNode, type Ref } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import { useCssVars } from '../../app/use-css-vars';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import type { PatientHit } from '../../vault/vault-service';
import type { HitCache } from './hit-cache';
import { sexLabel } from './record-format';

/** The list's height when the layout cannot be measured (first paint, test DOMs): about a screenful. */
const FALLBACK_VIEWPORT_HEIGHT = 480;
const OVERSCAN = 5;
const PAGE_STEP = 10;
/** The extra height of a row found through a study: one line that says which study. */
export const MATCH_LINE_HEIGHT = 22;
const NO_MATCHES: Readonly<Record<string, readonly string[]>> = {};

export interface ResultListHandle {
  /** Moves keyboard focus to a row (from the search box: the first). */
  focusRow(index: number): void;
}

/** The virtualizer's element measurement, with a fallback height where layout reports none. */
function observeRectWithFallback(instance: Virtualizer<HTMLDivElement, Element>, onRect: (rect: { width: number; height: number }) => void) {
  return observeElementRect(instance, (rect) =>
    onRect(rect.height > 0 ? rect : { width: rect.width, height: FALLBACK_VIEWPORT_HEIGHT }),
  );
}

export function openPatient(patientId: string): void {
  window.location.hash = hrefForPath('patients', patientId);
}

/**
 * The search results: only the rows in view (plus a few) exist in the DOM, so 100 000 hits scroll
 * as fast as 10. Rows are decrypted lazily through the cache as they come into view. Arrow keys,
 * Page Up/Down, Home and End move between rows; Enter opens the patient. A patient found through
 * a study (an accession number, a description word) gets a second line naming that study, so an
 * accession number typed does not lead to the wrong patient (H9).
 */
export function PatientResultList({
  patientIds,
  matchedStudies = NO_MATCHES,
  hits,
  rowHeight,
  labelledBy,
  onLeaveTop,
  ref,
}: {
  patientIds: readonly string[];
  matchedStudies?: Readonly<Record<string, readonly string[]>>;
  hits: HitCache;
  rowHeight: number;
  labelledBy: string;
  onLeaveTop: () => void;
  ref?: Ref<ResultListHandle>;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLUListElement>(null);
  const rows = useRef(new Map<number, HTMLAnchorElement>());
  const pendingFocus = useRef<number | null>(null);
  const [active, setActive] = useState(0);

  const subscribe = useCallback((listener: () => void) => hits.subscribe(listener), [hits]);
  useSyncExternalStore(subscribe, () => hits.snapshot());

  // No React Compiler in this build: the virtualizer re-renders this component on scroll itself.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: patientIds.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => rowHeight + (matchedStudies[patientIds[index] ?? ''] !== undefined ? MATCH_LINE_HEIGHT : 0),
    overscan: OVERSCAN,
    initialRect: { width: 0, height: FALLBACK_VIEWPORT_HEIGHT },
    observeElementRect: observeRectWithFallback,
    getItemKey: (index) => patientIds[index] ?? index,
  });
  const items = virtualizer.getVirtualItems();
  useCssVars(inner, { '--list-height': `${virtualizer.getTotalSize()}px`, '--row-height': `${rowHeight}px` });

  const visibleIds = items.map((item) => patientIds[item.index]).filter((id) => id !== undefined);
  const visibleKey = visibleIds.join('\u0000');
  // Again after the cache was cleared (a replay changed the views, QA11 D1), for the same rows too.
  const generation = hits.generation();
  useEffect(() => {
    if (visibleKey !== '') hits.request(visibleKey.split('\u0000'));
  }, [hits, visibleKey, generation]);

  // Focus follows the active row once it is rendered (it may have to scroll into view first).
  useEffect(() => {
    if (pendingFocus.current === null) return;
    const row = rows.current.get(pendingFocus.current);
    if (row !== undefined) {
      pendingFocus.current = null;
      row.focus();
    }
  });

  const focusRow = useCallback(
    (index: number) => {
      if (patientIds.length === 0) return;
      const target = Math.min(Math.max(index, 0), patientIds.length - 1);
      setActive(target);
      pendingFocus.current = target;
      virtualizer.scrollToIndex(target, { align: 'auto' });
      const row = rows.current.get(target);
      if (row !== undefined) {
        pendingFocus.current = null;
        row.focus();
      }
    },
    [patientIds.length, virtualizer],
  );

  useImperativeHandle(ref, () => ({ focusRow }), [focusRow]);

  const onKeyDown = (event: KeyboardEvent<HTMLAnchorElement>, index: number): void => {
    const id = patientIds[index];
    switch (event.key) {
      case 'ArrowDown':
        focusRow(index + 1);
        break;
      case 'ArrowUp':
        if (index === 0) onLeaveTop();
        else focusRow(index - 1);
        break;
      case 'PageDown':
        focusRow(index + PAGE_STEP);
        break;
      case 'PageUp':
        focusRow(index - PAGE_STEP);
        break;
      case 'Home':
        focusRow(0);
        break;
      case 'End':
        focusRow(patientIds.length - 1);
        break;
      case 'Enter':
        if (id !== undefined) openPatient(id);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const activeIndex = Math.min(active, Math.max(patientIds.length - 1, 0));
  return (
    <div ref={scroller} className="result-list">
      <ul ref={inner} className="result-list__inner" aria-labelledby={labelledBy}>
        {items.map((item) => {
          const id = patientIds[item.index];
          if (id === undefined) return null;
          return (
            <ResultRow
              key={item.key}
              start={item.start}
              size={item.size}
              index={item.index}
              setSize={patientIds.length}
              patientId={id}
              hit={hits.get(id)}
              studyIds={matchedStudies[id]}
              tabbable={item.index === activeIndex}
              rowRef={(element) => {
                if (element === null) rows.current.delete(item.index);
                else rows.current.set(item.index, element);
              }}
              onFocus={() => setActive(item.index)}
              onKeyDown={(event) => onKeyDown(event, item.index)}
            />
          );
        })}
      </ul>
      {hits.error !== null && (
        <p role="alert" className="note note--error">
          Some rows could not be loaded: {vaultErrorMessage(hits.error)}
        </p>
      )}
    </div>
  );
}

interface RowProps {
  start: number;
  size: number;
  index: number;
  setSize: number;
  patientId: string;
  hit: PatientHit | undefined;
  studyIds: readonly string[] | undefined;
  tabbable: boolean;
  rowRef: (element: HTMLAnchorElement | null) => void;
  onFocus: () => void;
  onKeyDown: (event: KeyboardEvent<HTMLAnchorElement>) => void;
}

function ResultRow(props: RowProps) {
  return props.studyIds === undefined ? <RowView {...props} /> : <StudyMatchRow {...props} studyIds={props.studyIds} />;
}

/**
 * A row found through a study: a second line names it (accession number, description, date), read
 * from the patient's study rows (decrypted here, as on the patient's page; not journaled, like the
 * row), and links to it in the viewer (the row itself opens the patient).
 */
function StudyMatchRow(props: RowProps & { studyIds: readonly string[] }) {
  const vault = useVault();
  const studies = useVaultRead(`matched-studies:${props.patientId}`, () => vault.patientStudies(props.patientId));
  if (studies.phase !== 'ready') return <RowView {...props} match={studies.phase === 'failed' ? 'Matched a study (it could not be read).' : 'Matched a study…'} />;
  const shown = props.studyIds.map((id) => studies.value.find((study) => study.studyId === id)).filter((study) => study !== undefined);
  const first = shown[0];
  if (first === undefined) return <RowView {...props} match="Matched a study." />;
  const label = [first.study.accessionNumber, first.study.description, first.study.date].filter((part) => part !== '').join(' · ');
  const named = label === '' ? 'one without accession number, description or date' : label;
  return (
    <RowView
      {...props}
      match={`Matched a study: ${named}${shown.length > 1 ? ` (and ${shown.length - 1} more)` : ''}`}
      after={
        // Beside the row's link, not inside it (no link within a link). The rows are one tab stop
        // (arrow keys move between them); the active row's Open study is the next, so Tab reaches it.
        // Its name says which study, its visible words first.
        <a
          className="result-row__open-study"
          href={hrefForPath('imaging', 'studies', first.studyId)}
          tabIndex={props.tabbable ? 0 : -1}
          aria-label={`Open study ${named}`}
          onFocus={props.onFocus}
        >
          Open study
        </a>
      }
    />
  );
}

function RowView({
  start,
  size,
  index,
  setSize,
  patientId,
  hit,
  studyIds,
  tabbable,
  rowRef,
  onFocus,
  onKeyDown,
  match,
  after,
}: RowProps & { match?: string; after?: ReactNode }) {
  const item = useRef<HTMLLIElement>(null);
  useCssVars(item, { '--row-start': `${start}px`, '--row-height': `${size}px` });
  return (
    <li ref={item} className={studyIds === undefined ? 'result-row' : 'result-row result-row--study'} aria-setsize={setSize} aria-posinset={index + 1}>
      <a
        ref={rowRef}
        className="result-row__link"
        href={hrefForPath('patients', patientId)}
        tabIndex={tabbable ? 0 : -1}
        onFocus={onFocus}
        onKeyDown={onKeyDown}
        aria-busy={hit === undefined || undefined}
      >
        {hit === undefined ? (
          <span className="result-row__loading">Loading…</span>
        ) : (
          <>
            <span className="result-row__name">{hit.name}</span>{' '}
            <span className="result-row__meta">
              <span className="result-row__label">Born</span> {hit.birthDate !== '' ? hit.birthDate : hit.birthDateSent !== undefined ? `not a valid date (sent: ${hit.birthDateSent})` : 'unknown'}
            </span>{' '}
            <span className="result-row__meta">{sexLabel(hit.sex)}</span>{' '}
            <span className="result-row__meta result-row__identifier">{hit.identifier}</span>
          </>
        )}
        {match !== undefined && <span className="result-row__match">{match}</span>}
      </a>
      {after}
    </li>
  );
}
