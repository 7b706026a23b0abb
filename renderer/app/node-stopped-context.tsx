import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useVault } from '../vault/vault-context';
import { useApi, useBodyEvent, useConnectionLost } from './api-context';
import { watchResponses } from './response-watch';

/** Why the window stopped showing the node: it announced its stop, or it dropped and could not be reached again. */
export type NodeStop = 'stopped' | 'unreachable';

const NodeStoppedContext = createContext<NodeStop | null>(null);
/** Since when (ms since the epoch) a question to the body has gone unanswered past the limit; null while it answers. */
const NodeSilentContext = createContext<number | null>(null);
/** Whether the "has stopped" screen is on show, and how that screen says so (the banner goes then). */
const StoppedScreenContext = createContext<{ readonly shown: boolean; readonly setShown: (shown: boolean) => void }>({ shown: false, setShown: () => undefined });

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
  // A hung body (stopped process, blocked thread) announces nothing and keeps the connection: ask it.
  const api = useApi();
  const [silentSince, setSilentSince] = useState<number | null>(null);
  useEffect(() => watchResponses(() => api.app.info({}), (responding, since) => setSilentSince(responding ? null : since)), [api]);
  const [screenShown, setScreenShown] = useState(false);
  const stoppedScreen = useMemo(() => ({ shown: screenShown, setShown: setScreenShown }), [screenShown]);
  return (
    <NodeStoppedContext.Provider value={stopped}>
      <NodeSilentContext.Provider value={stopped === null ? silentSince : null}>
        <StoppedScreenContext.Provider value={stoppedScreen}>{children}</StoppedScreenContext.Provider>
      </NodeSilentContext.Provider>
    </NodeStoppedContext.Provider>
  );
}

/**
 * Called by the "has stopped" screen while it is on show. Screens kept after a stop (the recovery
 * key, the restore summary, startup) do not call it, so the banner still says the node went away.
 */
export function useStoppedScreenOnShow(): void {
  const { setShown } = useContext(StoppedScreenContext);
  useEffect(() => {
    setShown(true);
    return () => setShown(false);
  }, [setShown]);
}

/** True while the "has stopped" screen says it: a "shutting down…" banner above it would be stale (tester T2 S35 F8). */
export function useStoppedScreenShown(): boolean {
  return useContext(StoppedScreenContext).shown;
}

/**
 * Since when the body has not answered (ms since the epoch), or null while it answers. While it
 * does not, the window claims nothing about the vault or the listeners (they may not be serving),
 * but keeps what is on screen and the vault open in the mind: a body that answers again carries on.
 */
export function useNodeSilentSince(): number | null {
  return useContext(NodeSilentContext);
}

/** True once the body announced its stop or could no longer be reached. */
export function useNodeStopped(): boolean {
  return useContext(NodeStoppedContext) !== null;
}

/** How the node stopped (null while it runs). */
export function useNodeStop(): NodeStop | null {
  return useContext(NodeStoppedContext);
}
