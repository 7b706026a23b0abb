import { createContext, useContext, useState, type ReactNode } from 'react';
import { useVault } from '../vault/vault-context';
import { useBodyEvent } from './api-context';

const NodeStoppedContext = createContext(false);

/**
 * Whether the body has announced that it stops (`app.stopping`: quit from the tray, SIGTERM, a
 * restart). From then on nothing the body ran is running: the listeners are closed and every
 * operator session has ended. So the mind closes its own session too (the vault's keys are zeroed;
 * the body's `vault.lock` answer is not waited for) and the screens stop claiming that anything is
 * listening or unlocked (issue 11, Errors).
 */
export function NodeStoppedProvider({ children }: { children: ReactNode }) {
  const vault = useVault();
  const [stopped, setStopped] = useState(false);
  useBodyEvent('app.stopping', () => {
    setStopped(true);
    vault.lock();
  });
  return <NodeStoppedContext.Provider value={stopped}>{children}</NodeStoppedContext.Provider>;
}

/** True once the body announced its stop. */
export function useNodeStopped(): boolean {
  return useContext(NodeStoppedContext);
}
