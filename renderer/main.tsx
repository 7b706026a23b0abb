// First, before anything parses with zod.
import './zod-without-eval';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from '../shared/ipc/api-client';
import { DEFAULT_PREFS } from '../shared/ipc/prefs-contract';
import { App } from './app/app';
import { TransportErrorScreen } from './app/startup-screens';
import { writePrefsToDocument } from './app/theme/document-prefs';
import { pickTransport } from './transport/pick-transport';
import { createVaultService } from './vault/create-vault-service';
import './styles/tokens.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/vault.css';
import './styles/ledger.css';
import './styles/intake.css';
import './styles/marketplace.css';

// Until the saved preferences arrive, follow the operating system's light/dark setting.
writePrefsToDocument(DEFAULT_PREFS);

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element.');

// The shell's link code is traded for access first (a round trip on loopback).
void pickTransport().then((choice) => {
  if (choice.ok) {
    const api = createApiClient(choice.transport);
    // One vault per window: it holds the keys in memory while unlocked.
    const vault = createVaultService({
      api,
      transport: choice.transport,
      host: choice.transport.kind === 'electron-ipc' ? 'electron' : 'shell',
    });
    const root = createRoot(container);
    const render = (): void =>
      root.render(
        <StrictMode>
          <App api={api} transport={choice.transport} vault={vault} ledger={vault.ledger} network={vault.network} research={vault.research} dataSearch={vault.dataSearch} />
        </StrictMode>,
      );
    // Render once the vault knows whether it exists, so a locked vault never flashes the first-run
    // screen. If the node cannot answer, the App's own startup shows the error and a Retry.
    vault.ready().then(render, render);
  } else {
    createRoot(container).render(
      <StrictMode>
        <TransportErrorScreen reason={choice.reason} />
      </StrictMode>,
    );
  }
});
