import { useState } from 'react';
import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { VaultStatus } from '../../shared/ipc/vault-contract';
import { FirstRunScreen } from '../features/first-run/first-run-screen';
import { ApiProvider, useApi } from './api-context';
import { AppInfoContext } from './app-info-context';
import { AppFrame } from './layout/app-frame';
import { StoppingBanner } from './layout/stopping-banner';
import { PrefsProvider } from './prefs-context';
import { LoadingScreen, StartupErrorScreen } from './startup-screens';
import { useStartupData } from './use-startup-data';

/** The whole UI for one transport: startup, then the first-run screen or the app frame. */
export function App({ api, transport }: { api: HdmsApi; transport: Transport }) {
  return (
    <ApiProvider api={api} transport={transport}>
      <StoppingBanner />
      <StartupGate />
    </ApiProvider>
  );
}

function StartupGate() {
  const api = useApi();
  const { state, retry } = useStartupData(api);
  switch (state.phase) {
    case 'loading':
      return <LoadingScreen />;
    case 'failed':
      return <StartupErrorScreen error={state.error} onRetry={retry} />;
    case 'ready':
      return (
        <AppInfoContext.Provider value={state.data.info}>
          <PrefsProvider initial={state.data.prefs}>
            <Screens vault={state.data.vault} />
          </PrefsProvider>
        </AppInfoContext.Provider>
      );
  }
}

function Screens({ vault }: { vault: VaultStatus }) {
  // "Explore the app" is remembered in memory only: while there is no vault, every start shows first-run.
  const [exploring, setExploring] = useState(false);
  if (vault.state === 'absent' && !exploring) {
    return <FirstRunScreen vault={vault} onExplore={() => setExploring(true)} />;
  }
  return <AppFrame vault={vault} focusOnMount={exploring} />;
}
