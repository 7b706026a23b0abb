import { createContext, useContext, type ReactNode } from 'react';
import type { ResearchConsent } from '../research/research-consent';

const ResearchContext = createContext<ResearchConsent | null>(null);

/** Gives the patient page and Settings the mind's research consent (main.tsx: `vault.research`), or null where this window has none. */
export function ResearchProvider({ research, children }: { research: ResearchConsent | null; children: ReactNode }) {
  return <ResearchContext.Provider value={research}>{children}</ResearchContext.Provider>;
}

export function useResearchConsent(): ResearchConsent | null {
  return useContext(ResearchContext);
}
