import { createContext, useContext, type ReactNode } from 'react';
import type { QueryInbox } from '../research/query-inbox';
import type { ResearchConsent } from '../research/research-consent';
import type { ResearchQueries } from '../research/research-queries';
import type { Purchases } from '../research/purchases';
import type { PurchasedDatasets } from '../research/purchased-datasets';

/** The network's data search in the mind: a clinic's incoming queries, a research institute's own queries and basket. */
export interface DataSearch {
  readonly inbox: QueryInbox;
  readonly queries: ResearchQueries;
  /** The purchase request and its acceptance (issue 15); absent in tests that give none. */
  readonly purchases?: Purchases;
  /** The researcher's delivered datasets: keys, opening, the dataset page (issue 15 item 7). */
  readonly datasets?: PurchasedDatasets;
}

const ResearchContext = createContext<ResearchConsent | null>(null);
const DataSearchContext = createContext<DataSearch | null>(null);

/**
 * Gives the patient page, Settings and the Marketplace the mind's research features (main.tsx:
 * `vault.research`, `vault.dataSearch`), or null where this window has none.
 */
export function ResearchProvider({ research, dataSearch = null, children }: { research: ResearchConsent | null; dataSearch?: DataSearch | null; children: ReactNode }) {
  return (
    <ResearchContext.Provider value={research}>
      <DataSearchContext.Provider value={dataSearch}>{children}</DataSearchContext.Provider>
    </ResearchContext.Provider>
  );
}

export function useResearchConsent(): ResearchConsent | null {
  return useContext(ResearchContext);
}

export function useDataSearch(): DataSearch | null {
  return useContext(DataSearchContext);
}
