import { createContext, useContext, useEffect, useLayoutEffect, useRef, type ReactNode } from 'react';
import type { Transport } from '../../shared/ipc/api-client';
import type { EventName, EventPayloadOf, HdmsApi } from '../../shared/ipc/contract';

interface ApiContextValue {
  readonly api: HdmsApi;
  readonly transport: Transport;
}

const ApiContext = createContext<ApiContextValue | null>(null);

/** Gives every component the typed API and the transport's event stream, picked once in main.tsx. */
export function ApiProvider({ api, transport, children }: { api: HdmsApi; transport: Transport; children: ReactNode }) {
  return <ApiContext.Provider value={{ api, transport }}>{children}</ApiContext.Provider>;
}

function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (value === null) throw new Error('useApi() needs an <ApiProvider> above it.');
  return value;
}

/** The typed body API (`api.prefs.update(...)`); failures throw ContractError. */
export function useApi(): HdmsApi {
  return useApiContext().api;
}

/**
 * Subscribes to one body → mind event for the component's lifetime. The latest listener is kept
 * in a ref so callers may pass an inline function without resubscribing on every render.
 * Layout effects, not passive ones: those run after paint, and an event sent between the screen
 * being drawn and then (another window's prefs.changed) was lost for good.
 */
export function useBodyEvent<E extends EventName>(name: E, listener: (payload: EventPayloadOf<E>) => void): void {
  const { transport } = useApiContext();
  const latest = useRef(listener);
  useLayoutEffect(() => {
    latest.current = listener;
  });
  useLayoutEffect(() => transport.subscribe(name, (payload) => latest.current(payload)), [transport, name]);
}

/**
 * Hears, for the component's lifetime, when the connection to the body drops unannounced
 * (Transport.onConnectionLost: the browser shell's socket; Electron's IPC never drops).
 */
export function useConnectionLost(listener: (reachable: boolean) => void): void {
  const { transport } = useApiContext();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => transport.onConnectionLost?.((reachable) => latest.current(reachable)), [transport]);
}
