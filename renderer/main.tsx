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
import './styles/tokens.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';

// Until the saved preferences arrive, follow the operating system's light/dark setting.
writePrefsToDocument(DEFAULT_PREFS);

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element.');

const choice = pickTransport();
createRoot(container).render(
  <StrictMode>
    {choice.ok ? (
      <App api={createApiClient(choice.transport)} transport={choice.transport} />
    ) : (
      <TransportErrorScreen reason={choice.reason} />
    )}
  </StrictMode>,
);
