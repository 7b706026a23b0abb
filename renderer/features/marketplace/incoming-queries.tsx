import { useCallback, useEffect, useId, useState } from 'react';
import { ErrorNote } from '../../app/error-note';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { IncomingQuery, IncomingState } from '../../research/query-inbox';
import { useCurrentOperator, useVaultIndexing } from '../../vault/vault-context';
import { filtersInWords, purposeInWords, shortAddress } from './query-words';

const STATE_WORDS: Readonly<Record<IncomingState, string>> = { waiting: 'Waiting', answered: 'Answered', declined: 'Declined', expired: 'Expired' };

/**
 * Marketplace › Incoming queries (issue 14 item 3, a clinic node): the researchers' keyword
 * queries this clinic received, with the researcher's institution from the network map, what was
 * answered (the count bucket, never more here than the researcher got) or why it was declined,
 * lockouts included. Under "review each query" an administrator answers or declines here.
 */
export function IncomingQueries({ answering }: { answering: 'automatic' | 'review' }) {
  const search = useDataSearch();
  const operator = useCurrentOperator();
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; queries: IncomingQuery[] }>({ phase: 'loading' });

  const load = useCallback(() => {
    search?.inbox.incoming().then(
      (queries) => setLoaded({ phase: 'ready', queries }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [search]);
  // Again whenever a replay ends: a query the body journaled, or an answer just given, reaches the views by one.
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

  const act = useAction(async (what: 'answer' | 'decline', queryId: string) => {
    await (what === 'answer' ? search!.inbox.answer(queryId) : search!.inbox.decline(queryId));
    load();
  });

  if (search === null) return null;
  const admin = operator?.role === 'admin';
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Incoming queries</h2>
      <p className="muted">
        {answering === 'automatic'
          ? 'Queries are answered automatically within the research policy (Settings › Research) while the vault is unlocked; they wait while it is locked.'
          : 'An administrator reviews each query (Settings › Research): answer it within the policy, or decline it.'}{' '}
        An answer tells the researcher a count rounded up to the next 10 (or “fewer than” the minimum cell size), a list of
        one-time keys with age bands, sex and data types, and an offer. No name, identifier or date leaves this node.
      </p>
      {act.error !== null && <ErrorNote error={act.error} what="The query was not handled" />}
      {loaded.phase === 'loading' && <p role="status">Loading the queries…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The queries could not be loaded" />}
      {loaded.phase === 'ready' && loaded.queries.length === 0 && <p className="muted">No query has arrived yet.</p>}
      {loaded.phase === 'ready' && loaded.queries.length > 0 && (
        <div className="table-wrap">
          <table className="data-table incoming-queries" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Researcher</th>
                <th scope="col">Terms</th>
                <th scope="col">Filters and purpose</th>
                <th scope="col">Status</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {loaded.queries.map((query) => (
                <tr key={query.queryId}>
                  <td>
                    <time dateTime={new Date(query.receivedAt).toISOString()}>{new Date(query.receivedAt).toLocaleString()}</time>
                  </td>
                  <th scope="row">{query.institution ?? `${shortAddress(query.query.researcher)} (not a current member)`}</th>
                  <td>{query.query.terms.join(' · ')}</td>
                  <td>
                    {filtersInWords(query.query)}
                    <br />
                    <span className="muted">{purposeInWords(query.query)}</span>
                  </td>
                  <td>{STATE_WORDS[query.state]}</td>
                  <td>
                    {query.answered !== null && (
                      <>
                        {query.answered.bucket}
                        {query.answered.repeat ? ' (a repeat: the earlier answer again)' : ''}
                        {query.answered.keys > 0 ? `; ${query.answered.keys.toLocaleString('en')} keys offered` : ''}
                      </>
                    )}
                    {query.declined !== null && (
                      <>
                        {query.declined.reason}
                        {query.declined.lockedUntil !== null ? ` until ${new Date(query.declined.lockedUntil).toLocaleString()}` : ''}
                      </>
                    )}
                    {query.state === 'waiting' &&
                      (admin ? (
                        <span className="row-actions">
                          <button type="button" className="button button--primary" disabled={act.busy} onClick={() => void act.run('answer', query.queryId)}>
                            Answer
                          </button>
                          <button type="button" className="button" disabled={act.busy} onClick={() => void act.run('decline', query.queryId)}>
                            Decline
                          </button>
                        </span>
                      ) : (
                        <span className="muted">An administrator answers it.</span>
                      ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
