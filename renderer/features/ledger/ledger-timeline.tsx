import { memo, useEffect, useId, useRef, type Ref } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import type { LedgerEntryView, LedgerVerification } from '../../ledger/ledger-service';
import { LedgerFilters } from './ledger-filters';
import { entriesWord, entryLabel, formatCount, entryTimes, entryTrust, ledgerTime, operatorLabel, shortHash, SIGNING_ORDER_NOTE, timesOutOfOrderNewestFirst, trustLabel } from './ledger-format';
import { TrustMark } from './trust-mark';
import type { LedgerTimeline } from './use-ledger-timeline';
import { entryNotaryLabel, entryNotaryState } from './entry-notary-state';
import { useNotaryProgress } from './use-notary-progress';

/** The ledger's entries, newest first, with filters and "Load older entries". */
export function LedgerTimelineView({
  timeline,
  names,
  namesError,
  verification,
}: {
  timeline: LedgerTimeline;
  names: Readonly<Record<string, string>>;
  namesError: unknown;
  verification: LedgerVerification | null;
}) {
  const headingId = useId();
  const { list, loadOlder, setHoldCheck } = timeline;
  // Scrolled down past the newest rows: entries signed now wait behind "N new entries" rather than
  // pushing the rows being read down the page.
  const body = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    setHoldCheck(() => (body.current?.getBoundingClientRect().top ?? 0) < 0);
    return () => setHoldCheck(null);
  }, [setHoldCheck]);
  const operators = Object.entries(names)
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

  return (
    <section className="panel ledger-timeline" aria-labelledby={headingId}>
      <div className="ledger-timeline__top">
        <h2 id={headingId}>Entries</h2>
        <button type="button" className="button button--small" onClick={timeline.refresh}>
          Refresh
        </button>
      </div>
      <LedgerFilters inputs={timeline.inputs} onChange={timeline.setInputs} operators={operators} />
      {namesError !== null && (
        <p role="alert" className="note note--error">
          Operator names could not be loaded, so operators are shown by pseudonym: {vaultErrorMessage(namesError)}
        </p>
      )}
      {list.phase === 'loading' && (
        <p role="status" className="loading-text">
          Loading entries…
        </p>
      )}
      {list.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The entries could not be loaded: {vaultErrorMessage(list.error)}</p>
          <button type="button" className="button" onClick={timeline.refresh}>
            Retry
          </button>
        </div>
      )}
      {list.phase === 'ready' && list.rows.length === 0 && (
        <p role="status" className="ledger-empty">
          {isFiltered(timeline) ? 'No entries match these filters.' : 'The ledger has no entries yet.'}
        </p>
      )}
      {list.phase === 'ready' && list.rows.length > 0 && (
        <>
          <p role="status" className="muted ledger-timeline__count">
            {entriesWord(list.rows.length)} shown, newest first{list.more ? '' : ' (all)'}.
          </p>
          {timesOutOfOrderNewestFirst(list.rows) && <p className="muted ledger-timeline__order">{SIGNING_ORDER_NOTE}</p>}
          {list.pending.length > 0 && (
            <p role="status" className="ledger-timeline__new">
              <button type="button" className="button button--small" onClick={timeline.showNew}>
                {newEntriesLabel(list.pending.length, list.pendingGap)}
              </button>
            </p>
          )}
          <EntryTable
            bodyRef={body}
            rows={list.rows}
            names={names}
            verification={verification}
            labelledBy={headingId}
            focusSeq={list.firstOfLastPage}
          />
          <div className="form-actions ledger-timeline__more">
            {list.more ? (
              <button type="button" className="button" disabled={loadOlder.busy} aria-busy={loadOlder.busy || undefined} onClick={() => void loadOlder.run()}>
                Load older entries
              </button>
            ) : (
              <p className="muted">No older entries.</p>
            )}
            {loadOlder.busy && (
              <p role="status" className="form-actions__reason">
                Loading older entries…
              </p>
            )}
          </div>
          <ActionError error={loadOlder.error} />
        </>
      )}
    </section>
  );
}

function newEntriesLabel(count: number, more: boolean): string {
  const words = count === 1 && !more ? '1 new entry' : `${formatCount(count)}${more ? '+' : ''} new entries`;
  return `${words} — show`;
}

function isFiltered(timeline: LedgerTimeline): boolean {
  const { kinds, operator, from, to, subject } = timeline.inputs;
  return kinds.length > 0 || operator !== '' || from !== '' || to !== '' || subject.trim() !== '';
}

/** Memoized: rows only change when entries come in, not when the "new entries" bar or a filter input does. */
const EntryTable = memo(function EntryTable({
  bodyRef,
  rows,
  names,
  verification,
  labelledBy,
  focusSeq,
}: {
  rows: readonly LedgerEntryView[];
  names: Readonly<Record<string, string>>;
  verification: LedgerVerification | null;
  labelledBy: string;
  focusSeq: number | null;
  bodyRef: Ref<HTMLTableSectionElement>;
}) {
  const progress = useNotaryProgress();
  // After "Load older entries", focus moves to the first entry loaded, where reading continues.
  const focusLink = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (focusSeq !== null) focusLink.current?.focus();
  }, [focusSeq]);

  return (
    <div className="table-wrap">
      <table className="data-table ledger-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Operator</th>
            <th scope="col">Subject</th>
            <th scope="col">Verification</th>
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {rows.map((entry) => {
            const trust = entryTrust(entry, verification);
            const notaryState = entryNotaryState(entry, progress);
            return (
              <tr key={entry.seq} className={`ledger-table__row ledger-table__row--${trust.state}`}>
                <th scope="row" className="ledger-table__seq">
                  <a
                    ref={entry.seq === focusSeq ? focusLink : undefined}
                    href={hrefForPath('ledger', String(entry.seq))}
                    aria-label={`Entry ${entry.seq}`}
                  >
                    {entry.seq}
                  </a>
                </th>
                <EntryTimes entry={entry} />
                <td>
                  <span className="ledger-kind">
                    <span className="ledger-kind__label">{entryLabel(entry, names)}</span>{' '}
                    <code className="ledger-kind__raw">{entry.kind}</code>
                  </span>
                </td>
                <td>
                  {entry.operator === '' || names[entry.operator] !== undefined ? (
                    operatorLabel(entry.operator, names)
                  ) : (
                    // A pseudonym, shortened: whole on one line (QA s32 finding 5: "Utf0wX…" / "4duU"), the full value in its title.
                    <code className="hash nowrap" title={entry.operator}>
                      {shortHash(entry.operator)}
                    </code>
                  )}
                </td>
                <td>
                  {entry.subject === '' ? (
                    <span className="muted">None</span>
                  ) : (
                    <>
                      {entry.subjectName !== undefined && <span className="ledger-subject-name">{entry.subjectName} </span>}
                      <code className="hash nowrap" title={entry.subject}>
                        {shortHash(entry.subject)}
                      </code>
                    </>
                  )}
                </td>
                <td>
                  <TrustMark trust={trust} label={trustLabel(trust)} />
                  {notaryState !== null && <span className={`ledger-notary-state ledger-notary-state--${notaryState}`}> · {entryNotaryLabel(entry, notaryState)}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
});

/** How long after its act an entry may be signed and still show one time (the signer batches). */
const SIGNED_LATER_MS = 60_000;

/**
 * When the act happened (its summary's `at`; the signing time for entries without one), and when
 * it was signed when that was much later: an auditor's session cannot sign, so its sign-in and
 * lock are signed at the next clinical session. The entry's page shows both always.
 */
function EntryTimes({ entry }: { entry: Pick<LedgerEntryView, 'createdAt' | 'summary'> }) {
  const { happened, signed } = entryTimes(entry);
  const signedLater = Date.parse(signed) - Date.parse(happened) > SIGNED_LATER_MS;
  return (
    <td className="ledger-table__time">
      <time dateTime={happened}>{ledgerTime(happened)}</time>
      {signedLater && (
        <span className="ledger-table__signed">
          {' '}
          (signed <time dateTime={entry.createdAt}>{ledgerTime(entry.createdAt)}</time>)
        </span>
      )}
    </td>
  );
}
