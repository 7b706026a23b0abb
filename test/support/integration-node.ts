import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { startBody, type Body } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import { createVaultService, type VaultServiceWithReady } from '../../renderer/vault/create-vault-service';
import type { LedgerOptions } from '../../renderer/ledger/session-ledger';
import { VaultError } from '../../renderer/vault/vault-service';
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
  const { api, vault } = windowOf(body);
  await vault.ready();
  return { body, api, vault, stop };
}

/**
 * One window of the app on `body`: the real mind over an in-process transport, with this
 * browser profile's IndexedDB (a fresh one by default), cheap key derivation and the ledger's
 * `ledger` options (by default no verification at unlock; `{}`: as the app). Not yet ready
 * (`vault.ready()`).
 */
export function windowOf(body: Body, profile: IDBFactory = new IDBFactory(), ledger: LedgerOptions = { verifyAtUnlock: false }): { api: HdmsApi; vault: VaultServiceWithReady } {
  const transport = inProcessTransport(body);
  const api = createApiClient(transport);
  const vault = createVaultService({ api, transport, host: 'shell', indexedDB: profile, IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger });
  return { api, vault };
}

/** The code a call was refused with (a VaultError's, or the body's `code`), or undefined when it succeeded. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  if (error instanceof VaultError) return error.code;
  return (error as { code?: string }).code ?? String(error);
}
