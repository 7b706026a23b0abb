import { createContext, useCallback, useContext, useRef, useSyncExternalStore, type ReactNode } from 'react';
import type { IndexingState, OperatorSummary, VaultPhase, VaultService } from './vault-service';

const VaultContext = createContext<VaultService | null>(null);

/** Gives every component the one VaultService of this window, constructed in main.tsx. */
export function VaultProvider({ vault, children }: { vault: VaultService; children: ReactNode }) {
  return <VaultContext.Provider value={vault}>{children}</VaultContext.Provider>;
}

/** The vault: keys, search, records. Calls reject with VaultError. */
export function useVault(): VaultService {
  const vault = useContext(VaultContext);
  if (vault === null) throw new Error('useVault() needs a <VaultProvider> above it.');
  return vault;
}

/** absent / locked / unlocked, re-rendering the caller whenever it changes (lock, auto-lock, unlock). */
export function useVaultPhase(): VaultPhase {
  const vault = useVault();
  const subscribe = useCallback((listener: () => void) => vault.subscribe(listener), [vault]);
  return useSyncExternalStore(subscribe, () => vault.phase());
}

function sameOperator(a: OperatorSummary | null, b: OperatorSummary | null): boolean {
  if (a === null || b === null) return a === b;
  return a.operatorId === b.operatorId && a.name === b.name && a.role === b.role && a.disabled === b.disabled;
}

/**
 * The operator who unlocked the vault, or null. The snapshot is kept stable while its fields are
 * unchanged, so an implementation that builds a new object on every call does not loop React.
 */
export function useCurrentOperator(): OperatorSummary | null {
  const vault = useVault();
  const last = useRef<OperatorSummary | null>(null);
  const subscribe = useCallback((listener: () => void) => vault.subscribe(listener), [vault]);
  const snapshot = useCallback(() => {
    const next = vault.currentOperator();
    if (!sameOperator(last.current, next)) last.current = next;
    return last.current;
  }, [vault]);
  return useSyncExternalStore(subscribe, snapshot);
}

/**
 * Whether the vault's views are being built (replay, rebuild, restore) and how far the running
 * replay got, re-rendering the caller when busy flips and, a few times a second, with progress.
 * Kept stable while its fields are unchanged, like useCurrentOperator.
 */
export function useVaultIndexing(): IndexingState {
  const vault = useVault();
  const last = useRef<IndexingState>({ busy: false, applied: 0 });
  const subscribe = useCallback((listener: () => void) => vault.subscribe(listener), [vault]);
  const snapshot = useCallback(() => {
    const next = vault.indexing();
    if (next.busy !== last.current.busy || next.applied !== last.current.applied) last.current = next;
    return last.current;
  }, [vault]);
  return useSyncExternalStore(subscribe, snapshot);
}
