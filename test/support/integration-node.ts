import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { startBody, type Body } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import { createVaultService, type VaultServiceWithReady } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from './in-process-transport';

export interface IntegrationNode {
  readonly body: Body;
  readonly api: HdmsApi;
  readonly vault: VaultServiceWithReady;
  /** Stops the body (once; later calls do nothing). */
  stop(): Promise<void>;
}

/**
 * A node for integration tests: the real body on `dataDir` and the real mind over an in-process
 * transport, on fake-indexeddb, with cheap key derivation and no ledger verification at unlock.
 * `cleanup` registers the stop with the test (test/support/cleanups.ts).
 */
export async function startIntegrationNode(dataDir: string, cleanup: (stop: () => Promise<void>) => void): Promise<IntegrationNode> {
  const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'silent', mllpPort: 0 });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await body.stop('quit');
  };
  cleanup(stop);
  const transport = inProcessTransport(body);
  const api = createApiClient(transport);
  const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
  await vault.ready();
  return { body, api, vault, stop };
}
