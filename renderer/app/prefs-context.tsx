import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Prefs } from '../../shared/ipc/prefs-contract';
import { useApi, useBodyEvent } from './api-context';
import { followPrefsOnDocument } from './theme/document-prefs';

interface PrefsContextValue {
  readonly prefs: Prefs;
  /** Applies a change at once, saves it through the body, and rolls back if the body refuses. */
  readonly updatePrefs: (change: Partial<Prefs>) => Promise<void>;
}

const PrefsContext = createContext<PrefsContextValue | null>(null);

/**
 * Owns this window's display preferences: starts from what the body loaded at startup, follows
 * `prefs.changed` (another window or tab changed them) and mirrors them onto <html>.
 */
export function PrefsProvider({ initial, children }: { initial: Prefs; children: ReactNode }) {
  const api = useApi();
  const [prefs, setPrefs] = useState<Prefs>(initial);
  // The last value the body confirmed, to roll back to when an update fails.
  const confirmed = useRef<Prefs>(initial);

  useBodyEvent('prefs.changed', (next) => {
    confirmed.current = next;
    setPrefs(next);
  });

  // Before paint: a first frame in the previous theme or density would flash.
  useLayoutEffect(() => followPrefsOnDocument(prefs), [prefs]);

  const updatePrefs = useCallback(
    async (change: Partial<Prefs>) => {
      setPrefs((current) => ({ ...current, ...change }));
      try {
        const saved = await api.prefs.update(change);
        confirmed.current = saved;
        setPrefs(saved);
      } catch (error) {
        setPrefs(confirmed.current);
        throw error;
      }
    },
    [api],
  );

  const value = useMemo(() => ({ prefs, updatePrefs }), [prefs, updatePrefs]);
  return <PrefsContext.Provider value={value}>{children}</PrefsContext.Provider>;
}

export function usePrefs(): PrefsContextValue {
  const value = useContext(PrefsContext);
  if (value === null) throw new Error('usePrefs() needs a <PrefsProvider> above it.');
  return value;
}
