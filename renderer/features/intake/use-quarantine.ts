import { useCallback, useEffect, useRef, useState } from 'react';
import { useBodyEvent } from '../../app/api-context';
import { useVault, useVaultIndexing } from '../../vault/vault-context';
import type { QuarantineEntry } from '../../vault/vault-service';
import { INTAKE_REFRESH_MS, useThrottled } from './use-throttled';

export type QuarantineState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly entries: readonly QuarantineEntry[] };

/**
 * The vault's quarantine view, read again whenever the views finish indexing (new journal
 * records: a quarantined message, a reprocess or discard) and on `journal.appended`, at most once
 * per INTAKE_REFRESH_MS while records keep arriving (each read decrypts every entry).
 */
export function useQuarantine(): QuarantineState & { readonly reload: () => void } {
  const vault = useVault();
  const indexing = useVaultIndexing();
  const [state, setState] = useState<QuarantineState>({ phase: 'loading' });
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    vault.quarantine().then(
      (entries) => {
        if (mine === generation.current) setState({ phase: 'ready', entries });
      },
      (error: unknown) => {
        if (mine === generation.current) setState({ phase: 'failed', error });
      },
    );
  }, [vault]);

  useEffect(() => {
    if (!indexing.busy) reload();
  }, [indexing.busy, reload]);
  useEffect(
    () => () => {
      generation.current++;
    },
    [],
  );
  const reloadSoon = useThrottled(reload, INTAKE_REFRESH_MS);
  useBodyEvent('journal.appended', reloadSoon);
  return { ...state, reload };
}
