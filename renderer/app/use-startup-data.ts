import { useCallback, useEffect, useState } from 'react';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { AppInfo } from '../../shared/ipc/app-contract';
import type { Prefs } from '../../shared/ipc/prefs-contract';
import type { VaultStatus } from '../../shared/ipc/vault-contract';

export interface StartupData {
  readonly info: AppInfo;
  readonly prefs: Prefs;
  readonly vault: VaultStatus;
}

export type StartupState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly data: StartupData };

/** Loads what the first screen needs, all at once; `retry` starts over after a failure. */
export function useStartupData(api: HdmsApi): { state: StartupState; retry: () => void } {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<StartupState>({ phase: 'loading' });

  useEffect(() => {
    let current = true;
    Promise.all([api.app.info({}), api.prefs.get({}), api.vault.status({})]).then(
      ([info, prefs, vault]) => {
        if (current) setState({ phase: 'ready', data: { info, prefs, vault } });
      },
      (error: unknown) => {
        if (current) setState({ phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [api, attempt]);

  const retry = useCallback(() => {
    setState({ phase: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  return { state, retry };
}
