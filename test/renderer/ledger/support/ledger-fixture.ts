import { Wallet } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { createOpener, createSealer } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import type { HdmsApi } from '../../../../shared/ipc/contract';
import type { OperatorRoleName } from '../../../../shared/ipc/vault-contract';
import { LedgerRecordMetaSchema, type LedgerRecordMeta } from '../../../../shared/journal/ledger-meta';
import { openJson } from '../../../../shared/journal/sealed-json';
import { ledgerDomain } from '../../../../shared/ledger/ledger-schema';
import { LedgerWriter } from '../../../../renderer/ledger/ledger-writer';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION } from '../../vault/support/fake-body';

/**
 * A fake body with a vault's intake key and an admin session, and the keys to seal and open;
 * `roles` is the keyring's role of each account (the session's admin to begin with), which
 * `roleOf` answers as the mind does (renderer/vault/operator-change-rule.ts).
 */
export async function ledgerVaultFixture() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const roles = new Map<string, OperatorRoleName>([[TEST_ADMIN_SESSION.operatorId, 'admin']]);
  const roleOf = (operatorId: string): OperatorRoleName | null => (operatorId === 'recovery' ? 'admin' : (roles.get(operatorId) ?? null));
  return { body, keys, roles, roleOf, sealer: await createSealer(keys.intakeKeyPair.publicKeyRaw), opener: createOpener(keys.intakeKeyPair.privateKey) };
}

export type LedgerVaultFixture = Awaited<ReturnType<typeof ledgerVaultFixture>>;

/**
 * Replays the journal into fresh views, runs the ledger writer once (flushing), and opens what it
 * appended; the accounts' roles are `roleOf`'s (none without it).
 */
export async function signedLedgerEntries({
  body,
  keys,
  sealer,
  opener,
  roleOf = () => null,
}: Pick<LedgerVaultFixture, 'body' | 'keys' | 'sealer' | 'opener'> & Partial<Pick<LedgerVaultFixture, 'roleOf'>>): Promise<LedgerRecordMeta[]> {
  const db = openVaultDb(`test-ledger-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await replayJournal({ api: body.api, db, keys, opener, tokens: new TokenCache(keys.indexKey), isCurrent: () => true, roleOf });
  const appended: string[] = [];
  const api: Pick<HdmsApi, 'journal' | 'ledger'> = {
    journal: body.api.journal,
    ledger: {
      ...body.api.ledger,
      append: async ({ meta }) => {
        appended.push(meta);
        return { seq: body.journal.length + appended.length };
      },
    },
  };
  const writer = new LedgerWriter({ api, db: () => db, opener, sealer: async () => sealer, ledgerKey: keys.ledgerKey, eventAuthKey: keys.eventAuthKey, signer: Wallet.createRandom(), domain: ledgerDomain(), isCurrent: () => true, roleOf });
  await writer.catchUp({ flush: true });
  return Promise.all(appended.map(async (meta) => LedgerRecordMetaSchema.parse(await openJson(opener, meta))));
}
