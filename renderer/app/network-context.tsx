import { createContext, useContext, type ReactNode } from 'react';
import type { NetworkJoiner } from '../network/network-join';
import type { RelayMessenger } from '../network/relay-messenger';

/** The mind's network features: joining, and (where this window has them) relay messages. */
export type NetworkMind = NetworkJoiner & Partial<RelayMessenger>;

const NetworkContext = createContext<NetworkMind | null>(null);

/** Gives Settings › Network the mind's network features (main.tsx: `vault.network`), or null where this window has none. */
export function NetworkProvider({ network, children }: { network: NetworkMind | null; children: ReactNode }) {
  return <NetworkContext.Provider value={network}>{children}</NetworkContext.Provider>;
}

export function useNetworkJoiner(): NetworkJoiner | null {
  return useContext(NetworkContext);
}

/** The relay messenger, or null where this window has none. */
export function useRelayMessenger(): RelayMessenger | null {
  const network = useContext(NetworkContext);
  return network?.messages !== undefined && network.sendNote !== undefined ? (network as RelayMessenger) : null;
}
