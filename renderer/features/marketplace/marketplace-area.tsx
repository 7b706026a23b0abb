import { useCallback, useEffect, useState } from 'react';
import type { NetworkState } from '../../../shared/ipc/network-contract';
import type { BasketItem } from '../../../shared/research/research-meta';
import { useApi, useBodyEvent } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { useDataSearch, useResearchConsent } from '../../app/research-context';
import { hrefForPath } from '../../app/router/hash-route';
import { useCurrentOperator } from '../../vault/vault-context';
import { BasketSection } from './basket-section';
import { IncomingQueries } from './incoming-queries';
import { MyPurchases } from './my-purchases';
import { MyQueries } from './my-queries';
import { PurchaseRequests } from './purchase-requests';
import { PurchasedDatasets } from './purchased-datasets';
import { QueryForm } from './query-form';

/**
 * The Marketplace (issue 14): the network's data search. A clinic sees the queries researchers
 * sent it and what it answered; a research institute sends queries, reads the answers per clinic
 * and fills its purchase basket, then requests the purchase (issue 15); a clinic accepts or declines
 * purchase requests. A node with both roles sees both. Everything here needs the
 * node's identity key, which only an administrator's or clinician's session holds.
 */
export function MarketplaceArea() {
  const api = useApi();
  const operator = useCurrentOperator();
  const search = useDataSearch();
  const research = useResearchConsent();
  const [network, setNetwork] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; state: NetworkState | null }>({ phase: 'loading' });
  const [answering, setAnswering] = useState<'automatic' | 'review'>('review');
  const [selected, setSelected] = useState<string | null>(null);
  const [basket, setBasket] = useState<readonly BasketItem[]>([]);
  const clinical = operator?.role === 'admin' || operator?.role === 'clinician';

  useEffect(() => {
    api.network.status({}).then(
      ({ state }) => setNetwork({ phase: 'ready', state }),
      (error: unknown) => setNetwork({ phase: 'failed', error }),
    );
  }, [api]);
  useBodyEvent('network.changed', ({ state }) => setNetwork({ phase: 'ready', state }));
  useEffect(() => {
    if (!clinical) return;
    research?.policy().then(
      (policy) => setAnswering(policy.answering),
      () => undefined,
    );
    search?.queries.basket().then(setBasket, () => undefined);
  }, [clinical, research, search]);

  const changeBasket = useCallback(
    async (items: readonly BasketItem[]) => {
      await search!.queries.setBasket(items);
      setBasket(await search!.queries.basket());
    },
    [search],
  );

  if (!clinical || search === null) {
    return (
      <div className="panel">
        <h2>Marketplace</h2>
        <p>Queries are signed with this node’s identity key, which only an administrator’s or a clinician’s session holds: sign in as one to send or answer queries.</p>
      </div>
    );
  }
  if (network.phase === 'loading') return <p role="status">Loading the network state…</p>;
  if (network.phase === 'failed') return <ErrorNote error={network.error} what="The network state could not be loaded" />;
  const state = network.state;
  if (state === null || state.status !== 'approved') {
    return (
      <div className="panel">
        <h2>Marketplace</h2>
        <p>
          The marketplace works across a network: {state === null ? 'this node has not joined one yet' : 'this node’s membership is not approved yet'}.{' '}
          <a href={hrefForPath('settings')}>Settings › Network</a>
        </p>
      </div>
    );
  }
  const names = new Map((state.map?.members ?? []).map((member) => [member.address, member.legalName]));
  const isClinic = state.roles.includes('clinic');
  const isResearch = state.roles.includes('research');
  return (
    <>
      {isResearch && (
        <>
          <QueryForm onSent={setSelected} />
          <MyQueries selected={selected} onSelect={setSelected} basket={basket} onBasket={changeBasket} />
          <BasketSection basket={basket} names={names} onBasket={changeBasket} />
          <MyPurchases basketSize={basket.length} node={state.node} />
          <PurchasedDatasets />
        </>
      )}
      {isClinic && <IncomingQueries answering={answering} />}
      {isClinic && <PurchaseRequests answering={answering} />}
      {!isClinic && !isResearch && (
        <div className="panel">
          <h2>Marketplace</h2>
          <p>This node joined the network without the clinic or research institute role: it neither answers nor sends queries.</p>
        </div>
      )}
    </>
  );
}
