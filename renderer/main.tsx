import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from '../shared/ipc/api-client';
import { pickTransport } from './transport/pick-transport';

const choice = pickTransport();
const root = createRoot(document.getElementById('root')!);
if (choice.ok) {
  const api = createApiClient(choice.transport);
  void api.app.info({}).then((info) => {
    root.render(
      <StrictMode>
        <h1>Welcome to HDMS Node</h1>
        <p>{info.version}</p>
      </StrictMode>,
    );
  });
} else {
  root.render(<p role="alert">{choice.reason}</p>);
}
