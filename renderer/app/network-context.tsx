import { createContext, useContext, type ReactNode } from 'react';
import type { NetworkJoiner } from '../network/network-join';

const NetworkContext = createContext<NetworkJoiner | null>(null);

/** Gives Settings › Network the mind's joiner (main.tsx: `vault.network`), or null where this window has none. */
export function NetworkProvider({ network, children }: { network: NetworkJoiner | null; children: ReactNode }) {
  return <NetworkContext.Provider value={network}>{children}</NetworkContext.Provider>;
}

export function useNetworkJoiner(): NetworkJoiner | null {
  return useContext(NetworkContext);
}
