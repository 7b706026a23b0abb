import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { CreateVaultInput } from '../features/first-run/create-vault-form';
import { FirstRunScreen } from '../features/first-run/first-run-screen';
import { RecoveryKeyScreen } from '../features/first-run/recovery-key-screen';
import { BackupRestoredScreen } from '../features/first-run/backup-restored-screen';
import { UnlockScreen } from '../features/unlock/unlock-screen';
import type { LedgerService } from '../ledger/ledger-service';
import { VaultProvider, useVault, useVaultPhase } from '../vault/vault-context';
import type { RestoreBackupInput, RestoreOutcome, VaultService } from '../vault/vault-service';
import { ApiProvider, useApi } from './api-context';
import { AppInfoContext } from './app-info-context';
import { ImportsAtLockProvider } from './imports-at-lock';
import { AppFrame } from './layout/app-frame';
import { LedgerProvider } from './ledger-context';
import { NetworkProvider, type NetworkMind } from './network-context';
import { ResearchProvider, type DataSearch } from './research-context';
import type { ResearchConsent } from '../research/research-consent';
import { NodeStoppedScreen } from './layout/node-stopped-screen';
import { StoppingBanner } from './layout/stopping-banner';
import { StoppedImportBanner } from './layout/stopped-import-banner';
import { NodeStoppedProvider, useNodeStopped } from './node-stopped-context';
import { PrefsProvider } from './prefs-context';
import { hrefForPath } from './router/hash-route';
import { holdRouteAtLock, routeAtUnlock, type HeldRoute, type RouteHolder } from './router/route-at-lock';
import { SetupReturnContext } from './setup-return-context';
import { LoadingScreen, StartupErrorScreen } from './startup-screens';
import { useStartupData } from './use-startup-data';

/**
 * The whole UI for one transport and vault: startup, then first-run, unlock or the app frame.
 * Without a `ledger` the ledger screens say that this window has none.
 */
export function App({
  api,
  transport,
  vault,
  ledger,
  network,
  research,
  dataSearch,
}: {
  api: HdmsApi;
  transport: Transport;
  vault: VaultService;
  ledger?: LedgerService;
  network?: NetworkMind;
  research?: ResearchConsent;
  dataSearch?: DataSearch;
}) {
  return (
    <ApiProvider api={api} transport={transport}>
      <VaultProvider vault={vault}>
        <ImportsAtLockProvider>
          <LedgerProvider ledger={ledger ?? null}>
            <NetworkProvider network={network ?? null}>
              <ResearchProvider research={research ?? null} dataSearch={dataSearch ?? null}>
                <NodeStoppedProvider>
                  <StoppingBanner />
                  <StartupGate />
                </NodeStoppedProvider>
              </ResearchProvider>
            </NetworkProvider>
          </LedgerProvider>
        </ImportsAtLockProvider>
      </VaultProvider>
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
            <Screens />
          </PrefsProvider>
        </AppInfoContext.Provider>
      );
  }
}

/** Creating the vault, then showing its recovery key once: held here so the vault opening does not skip it. */
type SetupFlow =
  | { readonly step: 'idle' }
  | { readonly step: 'creating' }
  | { readonly step: 'recovery-key'; readonly recoveryKey: string }
  | { readonly step: 'restored'; readonly outcome: RestoreOutcome };

/**
 * Mounted with the frame at each unlock, before the frame reads the address: puts back the page
 * this operator left at their lock (route-at-lock.ts); anyone else starts from the cleared address.
 */
function ResumeAtUnlock({ holder, children }: { holder: RouteHolder; children: ReactNode }) {
  const vault = useVault();
  // Once per mount (each unlock mounts it anew), before the frame's first render reads the address;
  // a second call (StrictMode) finds nothing held.
  useState(() => routeAtUnlock(holder, vault.currentOperator()?.operatorId));
  return children;
}

function Screens() {
  const vault = useVault();
  const phase = useVaultPhase();
  const stopped = useNodeStopped();
  // "Explore the app" is remembered in memory only: while there is no vault, every start shows first-run.
  const [exploring, setExploring] = useState(false);
  const [setup, setSetup] = useState<SetupFlow>({ step: 'idle' });
  // Once another screen was shown (first-run, unlock), opening the frame moves focus to its heading.
  const [sawOtherScreen, setSawOtherScreen] = useState(phase !== 'unlocked');
  if (phase !== 'unlocked' && !sawOtherScreen) setSawOtherScreen(true);

  // A lock (Lock, idle, or a window that loads locked) leaves no page named in the address.
  const heldRoute = useRef<HeldRoute | null>(null);
  useEffect(() => {
    if (phase === 'locked') holdRouteAtLock(heldRoute, vault.lockedBy());
  }, [phase, vault]);

  const createVault = async (input: CreateVaultInput): Promise<void> => {
    setSetup({ step: 'creating' });
    try {
      const { recoveryKey } = await vault.create(input);
      setSetup({ step: 'recovery-key', recoveryKey });
    } catch (error) {
      setSetup({ step: 'idle' });
      throw error;
    }
  };

  // Restoring holds the first-run screen (as creating does) until the summary can be shown.
  const restoreVault = async (input: RestoreBackupInput): Promise<void> => {
    setSetup({ step: 'creating' });
    try {
      const outcome = await vault.restoreBackup(input);
      setSetup({ step: 'restored', outcome });
    } catch (error) {
      setSetup({ step: 'idle' });
      throw error;
    }
  };

  const finishSetup = (): void => {
    setSetup({ step: 'idle' });
    setExploring(false);
    // Setup ends with "Connect your first feed" (issue 11): the address to give, a test message, the first arrival.
    window.location.hash = hrefForPath('intake', 'first-feed');
  };

  // The recovery key is shown once: it stays on screen even if the node stops meanwhile.
  if (setup.step === 'recovery-key') {
    return <RecoveryKeyScreen recoveryKey={setup.recoveryKey} onContinue={finishSetup} />;
  }
  if (setup.step === 'restored') {
    return (
      <BackupRestoredScreen
        outcome={setup.outcome}
        onContinue={() => {
          setSetup({ step: 'idle' });
          setExploring(false);
        }}
      />
    );
  }
  // The body is gone (issue 11): no screen may go on claiming a vault unlocked or a listener up.
  if (stopped) return <NodeStoppedScreen />;
  if (setup.step === 'creating' || (phase === 'absent' && !exploring)) {
    return <FirstRunScreen onCreate={createVault} onRestore={restoreVault} onExplore={() => setExploring(true)} />;
  }
  if (phase === 'locked') return <UnlockScreen />;
  return (
    <SetupReturnContext.Provider value={phase === 'absent' ? () => setExploring(false) : null}>
      <StoppedImportBanner />
      <ResumeAtUnlock holder={heldRoute}>
        <AppFrame focusOnMount={sawOtherScreen} />
      </ResumeAtUnlock>
    </SetupReturnContext.Provider>
  );
}
