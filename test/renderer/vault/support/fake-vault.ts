import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { createVaultService, type VaultServiceWithReady } from '../../../../renderer/vault/create-vault-service';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from './fake-body';

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

/**
 * Views on a fake body, without a vault service: a fresh vault's keys (the body seals to its
 * intake key), the body's session of an administrator (as an unlocked mind would hold it), the
 * views database `dbName` in a fresh fake-indexeddb, and the replay's context over them.
 */
export async function viewsOnFakeBody(dbName: string) {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = openVaultDb(dbName, { indexedDB: new IDBFactory(), IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, context };
}
