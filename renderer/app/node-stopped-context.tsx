import { createContext, useContext, useState, type ReactNode } from 'react';
import { useVault } from '../vault/vault-context';
import { useBodyEvent, useConnectionLost } from './api-context';

/** Why the window stopped showing the node: it announced its stop, or it dropped and could not be reached again. */
export type NodeStop = 'stopped' | 'unreachable';

const NodeStoppedContext = createContext<NodeStop | null>(null);

/**
 * Whether the body has stopped: it announced it (`app.stopping`: quit from the tray, SIGTERM, a
 * restart), or the shell's socket dropped and the node could not be reached again (a crash or a
 * kill announces nothing). From then on nothing the body ran is running: the listeners are closed
 * and every operator session has ended. So the mind closes its own session too (the vault's keys
 * are zeroed; the body's `vault.lock` answer is not waited for) and the screens stop claiming that
 * anything is listening or unlocked (issue 11, Errors). A drop after which the node answers again
 * still ended this window's session in the body, so the window locks and asks to unlock.
 */
export function NodeStoppedProvider({ children }: { children: ReactNode }) {
  const vault = useVault();
  const [stopped, setStopped] = useState<NodeStop | null>(null);
  useBodyEvent('app.stopping', () => {
    setStopped('stopped');
    vault.lock();
  });
  useConnectionLost((reachable) => {
    vault.lock();
    if (!reachable) setStopped((current) => current ?? 'unreachable');
  });
  return <NodeStoppedContext.Provider value={stopped}>{children}</NodeStoppedContext.Provider>;
}

/** True once the body announced its stop or could no longer be reached. */
export function useNodeStopped(): boolean {
  return useContext(NodeStoppedContext) !== null;
}

/** How the node stopped (null while it runs). */
export function useNodeStop(): NodeStop | null {
  return useContext(NodeStoppedContext);
}
