import { createContext, useCallback, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { LedgerService, LedgerVerification } from '../ledger/ledger-service';

const LedgerContext = createContext<LedgerService | null>(null);

/**
 * Gives every component the one LedgerService of this window (constructed in main.tsx next to the
 * vault), or null where this window has none: the ledger screens then say so instead of failing.
 */
export function LedgerProvider({ ledger, children }: { ledger: LedgerService | null; children: ReactNode }) {
  return <LedgerContext.Provider value={ledger}>{children}</LedgerContext.Provider>;
}

/** The signed ledger (usable while the vault is unlocked), or null when this window has none. */
export function useLedger(): LedgerService | null {
  return useContext(LedgerContext);
}

/** The signed ledger, for components only rendered where one exists. */
export function useRequiredLedger(): LedgerService {
  const ledger = useContext(LedgerContext);
  if (ledger === null) throw new Error('useRequiredLedger() needs a <LedgerProvider> with a ledger above it.');
  return ledger;
}

/**
 * What an implementation may add to LedgerService (the real one does): a change signal (entries
 * added, a verification finished) and the writer's last failure. Used when present.
 */
interface LedgerExtras {
  subscribe?: (listener: () => void) => () => void;
  writerProblem?: () => string | null;
}

/** Without a change signal, how often to look at the ledger's last verification again. */
export const LEDGER_POLL_MS = 2000;

/** Calls `listener` when the ledger changes (entries signed, a verification finished); polls where the service has no signal. */
export function subscribeToLedger(ledger: LedgerService & LedgerExtras, listener: () => void): () => void {
  if (typeof ledger.subscribe === 'function') return ledger.subscribe(listener);
  const timer = setInterval(listener, LEDGER_POLL_MS);
  return () => clearInterval(timer);
}

/**
 * The ledger's last verification (the one run at unlock, or the last "Verify ledger"), following
 * it as it changes: the verification at unlock may finish after a page opened.
 */
export function useLastVerification(ledger: LedgerService): LedgerVerification | null {
  const subscribe = useCallback((listener: () => void) => subscribeToLedger(ledger, listener), [ledger]);
  return useSyncExternalStore(subscribe, () => ledger.lastVerification());
}

/** The ledger writer's last failure (entries are not being signed), or null; null where the service does not say. */
export function useLedgerWriterProblem(ledger: LedgerService): string | null {
  const subscribe = useCallback((listener: () => void) => subscribeToLedger(ledger, listener), [ledger]);
  return useSyncExternalStore(subscribe, () => {
    const extras = ledger as LedgerService & LedgerExtras;
    return typeof extras.writerProblem === 'function' ? extras.writerProblem() : null;
  });
}
