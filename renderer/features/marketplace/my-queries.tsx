import { useCallback, useEffect, useId, useState } from 'react';
import type { KeyListEntry } from '../../../shared/research/cohort-answer';
import { DECLINE_WORDS, DEID_PROFILE_WORDS } from '../../../shared/research/query-answer';
import type { BasketItem } from '../../../shared/research/research-meta';
import { ErrorNote } from '../../app/error-note';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { ClinicResult, MyQuerySummary, QueryResults } from '../../research/research-queries';
import { useVaultIndexing } from '../../vault/vault-context';
import { DistributionBars } from './distribution-bars';
import { bucketInWords, distributionsOf, filtersInWords, purposeInWords } from './query-words';

/** KEY-list rows shown before "Show all". */
const ROWS_SHOWN = 50;

/**
 * Marketplace › Your queries (issue 14 item 5, a research institute node): each query with how
 * many clinics answered; a query's results per clinic as they arrive (the count bucket or "fewer
 * than N", the KEY list with its distributions, the offer), who has not answered yet, and the
 * selection of KEY-list rows into the purchase basket.
 */
export function MyQueries({ selected, onSelect, basket, onBasket }: { selected: string | null; onSelect: (queryId: string) => void; basket: readonly BasketItem[]; onBasket: (items: readonly BasketItem[]) => Promise<void> }) {
  const search = useDataSearch();
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; queries: MyQuerySummary[] }>({ phase: 'loading' });

  const load = useCallback(() => {
    search?.queries.list().then(
      (queries) => setLoaded({ phase: 'ready', queries }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [search]);
  // Answers arrive through the relay and reach the views by a replay: read again after each.
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy, selected]);

  if (search === null) return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Your queries</h2>
      {loaded.phase === 'loading' && <p role="status">Loading your queries…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="Your queries could not be loaded" />}
      {loaded.phase === 'ready' && loaded.queries.length === 0 && <p className="muted">No query sent yet.</p>}
      {loaded.phase === 'ready' && loaded.queries.length > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Terms</th>
                <th scope="col">Filters and purpose</th>
                <th scope="col">Answers</th>
                <th scope="col">
                  <span className="visually-hidden">Results</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.queries.map((query) => (
                <tr key={query.queryId} aria-current={query.queryId === selected || undefined}>
                  <td>
                    <time dateTime={query.postedAt}>{new Date(query.postedAt).toLocaleString()}</time>
                  </td>
                  <th scope="row">{query.query.terms.join(' · ')}</th>
                  <td>
                    {filtersInWords(query.query)}
                    <br />
                    <span className="muted">{purposeInWords(query.query)}</span>
                  </td>
                  <td>
                    {query.answered + query.declined} of {query.clinicsAsked} clinics{query.declined > 0 ? ` (${query.declined} declined)` : ''}
                    {query.expired ? '; expired' : ''}
                  </td>
                  <td>
                    <button type="button" className="button" onClick={() => onSelect(query.queryId)} aria-pressed={query.queryId === selected}>
                      Show results
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected !== null && <Results queryId={selected} basket={basket} onBasket={onBasket} />}
    </section>
  );
}

function Results({ queryId, basket, onBasket }: { queryId: string; basket: readonly BasketItem[]; onBasket: (items: readonly BasketItem[]) => Promise<void> }) {
  const search = useDataSearch()!;
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; results: QueryResults }>({ phase: 'loading' });
  const load = useCallback(() => {
    search.queries.results(queryId).then(
      (results) => setLoaded({ phase: 'ready', results }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [search, queryId]);
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

  return (
    <div className="query-results" aria-labelledby={headingId}>
      <h3 id={headingId}>Results</h3>
      {loaded.phase === 'loading' && <p role="status">Loading the answers…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The answers could not be loaded" />}
      {loaded.phase === 'ready' && (
        <>
          <p role="status" className="muted">
            {loaded.results.clinics.filter((c) => c.state === 'answered' || c.state === 'declined').length} of {loaded.results.clinics.length} clinics have answered
            {loaded.results.summary.expired ? '; the query has expired' : ''}.
          </p>
          {loaded.results.clinics.map((clinic) => (
            <ClinicAnswer key={clinic.clinic} queryId={queryId} clinic={clinic} basket={basket} onBasket={onBasket} />
          ))}
        </>
      )}
    </div>
  );
}

function ClinicAnswer({ queryId, clinic, basket, onBasket }: { queryId: string; clinic: ClinicResult; basket: readonly BasketItem[]; onBasket: (items: readonly BasketItem[]) => Promise<void> }) {
  const headingId = useId();
  const inBasket = basket.find((item) => item.queryId === queryId && item.clinic === clinic.clinic) ?? null;
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set(inBasket?.keys ?? []));
  const [showAll, setShowAll] = useState(false);
  const answer = clinic.answer;
  const save = useAction(async (keys: ReadonlySet<string>) => {
    const others = basket.filter((item) => !(item.queryId === queryId && item.clinic === clinic.clinic));
    await onBasket(keys.size === 0 || answer?.offer === null || answer === null ? others : [...others, { queryId, clinic: clinic.clinic, offer: answer.offer, keys: answer.keyList.map((entry) => entry.key).filter((key) => keys.has(key)) }]);
  });

  return (
    <article className="clinic-answer" aria-labelledby={headingId}>
      <h4 id={headingId}>{clinic.institution}</h4>
      {clinic.state === 'waiting' && <p className="muted">Not answered yet.</p>}
      {clinic.state === 'no answer' && <p className="muted">No answer before the query expired.</p>}
      {clinic.declined !== null && <p>Declined: {DECLINE_WORDS[clinic.declined.reason]}.</p>}
      {answer !== null && (
        <>
          <dl className="facts">
            <div className="fact">
              <dt>Matching patients</dt>
              <dd>
                {bucketInWords(answer.bucket)}
                {answer.repeat ? ' — the clinic’s earlier answer to the same query' : ''}
              </dd>
            </div>
            {answer.offer !== null && (
              <div className="fact">
                <dt>Offer</dt>
                <dd>
                  {answer.offer.pricePerRecord} PHD per record · {DEID_PROFILE_WORDS[answer.offer.profile]} (k = {answer.offer.k}) · {answer.offer.records.toLocaleString('en')} records · until {new Date(answer.offer.validUntil).toLocaleString()}
                </dd>
              </div>
            )}
          </dl>
          {answer.keyList.length > 0 && (
            <>
              <DistributionBars distributions={distributionsOf(answer.keyList)} total={answer.keyList.length} />
              {answer.keyListTruncated && <p className="muted">The clinic lists a random {answer.keyList.length.toLocaleString('en')} of its matching patients.</p>}
              <div className="form-actions">
                <button type="button" className="button" onClick={() => setChosen(new Set(answer.keyList.map((entry) => entry.key)))}>
                  Select all {answer.keyList.length.toLocaleString('en')}
                </button>
                <button type="button" className="button" onClick={() => setChosen(new Set())} disabled={chosen.size === 0}>
                  Clear the selection
                </button>
                <button type="button" className="button button--primary" disabled={save.busy} onClick={() => void save.run(chosen)}>
                  {inBasket === null ? `Add ${chosen.size.toLocaleString('en')} to the basket` : `Update the basket (${chosen.size.toLocaleString('en')})`}
                </button>
              </div>
              {save.error !== null && <ErrorNote error={save.error} what="The basket was not changed" />}
              <KeyListTable entries={showAll ? answer.keyList : answer.keyList.slice(0, ROWS_SHOWN)} chosen={chosen} onChosen={setChosen} label={`KEY list of ${clinic.institution}`} />
              {!showAll && answer.keyList.length > ROWS_SHOWN && (
                <button type="button" className="button button--link" onClick={() => setShowAll(true)}>
                  Show all {answer.keyList.length.toLocaleString('en')} rows
                </button>
              )}
            </>
          )}
        </>
      )}
    </article>
  );
}

function KeyListTable({ entries, chosen, onChosen, label }: { entries: readonly KeyListEntry[]; chosen: ReadonlySet<string>; onChosen: (keys: ReadonlySet<string>) => void; label: string }) {
  const toggle = (key: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(key);
    else next.delete(key);
    onChosen(next);
  };
  return (
    <div className="table-wrap">
      <table className="data-table key-list" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Select</th>
            <th scope="col">Key</th>
            <th scope="col">Age band</th>
            <th scope="col">Sex</th>
            <th scope="col">Data types</th>
            <th scope="col">Years</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.key}>
              <td>
                <input type="checkbox" aria-label={`Select key ${entry.key.slice(0, 8)}`} checked={chosen.has(entry.key)} onChange={(event) => toggle(entry.key, event.target.checked)} />
              </td>
              <td>
                <code>{entry.key.slice(0, 8)}…</code>
              </td>
              <td>{entry.ageBand ?? <span className="muted">not shown</span>}</td>
              <td>{entry.sex === 'F' ? 'female' : entry.sex === 'M' ? 'male' : (entry.sex ?? <span className="muted">not shown</span>)}</td>
              <td>{entry.dataTypes.length === 0 ? <span className="muted">none shown</span> : entry.dataTypes.join(', ')}</td>
              <td>{entry.years ?? <span className="muted">not shown</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
