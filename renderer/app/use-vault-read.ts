import { useCallback, useEffect, useRef, useState } from 'react';

export type ReadState<T> =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly value: T };

type Keyed<T> = ReadState<T> & { readonly key: string };

/**
 * Loads one thing from the vault for the page showing it, once per `key`. Reads that journal an
 * access event (opening a patient or a record) must not run twice for one visit, so the request
 * is remembered per key and survives React's development double-mount.
 */
export function useVaultRead<T>(key: string, load: () => Promise<T>): ReadState<T> & { readonly reload: () => void } {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Keyed<T> | null>(null);
  const latest = useRef(load);
  const pending = useRef<{ key: string; promise: Promise<T> } | null>(null);
  const fullKey = `${attempt}\u0000${key}`;

  useEffect(() => {
    latest.current = load;
  });

  useEffect(() => {
    if (pending.current?.key !== fullKey) pending.current = { key: fullKey, promise: latest.current() };
    let current = true;
    pending.current.promise.then(
      (value) => {
        if (current) setState({ key: fullKey, phase: 'ready', value });
      },
      (error: unknown) => {
        if (current) setState({ key: fullKey, phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [fullKey]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const shown: ReadState<T> = state !== null && state.key === fullKey ? state : { phase: 'loading' };
  return { ...shown, reload };
}
