import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createVaultService, type VaultServiceWithReady } from '../../../../renderer/vault/create-vault-service';
import type { FakeBody } from './fake-body';

/** The first administrator's name and passphrase in vaults the tests create on a fake body. */
export const FAKE_ADMIN = { operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' } as const;

/**
 * The real mind on a fake body, on a fresh fake-indexeddb and with cheap key derivation, ready and
 * with a vault created (and unlocked) by its first administrator, FAKE_ADMIN.
 */
export async function createdVaultOn(body: FakeBody): Promise<VaultServiceWithReady> {
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
  await vault.ready();
  await vault.create(FAKE_ADMIN);
  return vault;
}
