import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { sealKeyring } from '../../renderer/vault/session/keyring/keyring-integrity';
import { randomBytes, toBase64Url } from '../../shared/crypto/bytes';
import { createPassphraseSlot, createRecoverySlot } from '../../shared/crypto/key-slots';
import { generateOperatorSigningKey } from '../../shared/crypto/operator-signing';
import { formatRecoveryKey, generateRecoveryKey } from '../../shared/crypto/recovery-key';
import { deriveVaultKeys, generateMasterSecret } from '../../shared/crypto/vault-keys';
import type { Keyring } from '../../shared/ipc/vault-contract';
import { inProcessTransport } from '../support/in-process-transport';
import { useTempDirs } from '../support/temp-dir';

/**
 * A vault made before signed sessions (format-1 slots: the master only, no signing key) still
 * opens: its operator's first unlock re-makes that slot as format 2 (trust on first use, once per
 * slot), and from then on the slot proves sessions like any other.
 */

const PASSPHRASE = 'legacy vault passphrase of old';

async function legacyKeyring(): Promise<{ keyring: Keyring; adminId: string; recoveryKey: string }> {
  const master = generateMasterSecret();
  const keys = await deriveVaultKeys(master);
  const adminId = toBase64Url(randomBytes(16));
  const recovery = generateRecoveryKey();
  const keyring = await sealKeyring(master, {
    format: 'hdms-keyring',
    version: 1,
    vaultId: toBase64Url(randomBytes(16)),
    revision: 1,
    createdAt: new Date().toISOString(),
    intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw),
    operators: [{ operatorId: adminId, name: 'Old Admin', role: 'admin', disabled: false }],
    slots: [
      await createPassphraseSlot({ master, operatorId: adminId, passphrase: PASSPHRASE, testOnlyIterations: 1000 }),
      await createRecoverySlot({ master, operatorId: 'recovery', recoveryKey: recovery }),
    ],
  });
  return { keyring, adminId, recoveryKey: await formatRecoveryKey(recovery) };
}

describe('a vault with format-1 key slots', () => {
  const tempDir = useTempDirs();

  it('opens with its passphrase, upgrading that slot once; the upgraded slot then proves sessions itself', async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    try {
      const { keyring, adminId } = await legacyKeyring();
      const transport = inProcessTransport(body);
      const api = createApiClient(transport);
      await api.vault.create({ keyring });
      expect(keyring.slots.every((slot) => slot.version === 1 && slot.publicKey === undefined)).toBe(true);

      const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
      await vault.ready();
      await vault.unlock({ operatorId: adminId, passphrase: PASSPHRASE });
      expect(vault.phase()).toBe('unlocked');
      const onDisk = JSON.parse(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8')) as Keyring;
      const upgraded = onDisk.slots.find((slot) => slot.kind === 'passphrase')!;
      expect(upgraded).toMatchObject({ version: 2, id: keyring.slots[0]!.id, operatorId: adminId, publicKey: expect.any(String) });
      // Only that slot changed: the recovery slot waits for its own first use.
      expect(onDisk.slots.find((slot) => slot.kind === 'recovery')).toEqual(keyring.slots[1]);
      expect(onDisk.revision).toBe(2);
      // The body's session is the admin's.
      await expect(api.vault.session({})).resolves.toMatchObject({ session: { operatorId: adminId, role: 'admin' } });

      vault.lock();
      await expect(api.vault.session({})).resolves.toEqual({ session: null });
      await vault.unlock({ operatorId: adminId, passphrase: PASSPHRASE });
      expect(vault.phase()).toBe('unlocked');
      expect((JSON.parse(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8')) as Keyring).revision).toBe(2);
      vault.lock();
    } finally {
      await body.stop('quit');
    }
  });

  it('the upgrade may change nothing but the slot being unlocked', async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    try {
      const { keyring, adminId } = await legacyKeyring();
      const api = createApiClient(inProcessTransport(body));
      await api.vault.create({ keyring });
      const begun = await api.vault.unlockBegin({ operatorId: adminId, kind: 'passphrase' });
      if (begun.state !== 'ready') throw new Error('throttled');
      expect(begun.legacyKeyring).toEqual(keyring);
      // A caller slips a second admin in with a well-formed upgrade of the slot.
      const remade = await createPassphraseSlot({ master: generateMasterSecret(), operatorId: adminId, passphrase: 'x', testOnlyIterations: 1, id: keyring.slots[0]!.id, signingKey: await generateOperatorSigningKey() });
      const sneaky: Keyring = {
        ...keyring,
        revision: 2,
        operators: [...keyring.operators, { operatorId: 'intruder', name: 'Intruder', role: 'admin', disabled: false }],
        slots: [remade, keyring.slots[1]!],
      };
      await expect(api.vault.unlockFinish({ attempt: begun.attempt, signature: toBase64Url(new Uint8Array(64)), upgrade: sneaky })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
      expect(JSON.parse(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8'))).toEqual(keyring);
      // An upgrade of that slot alone, but whose proof does not verify: nothing is written either.
      const onlySlot: Keyring = { ...keyring, revision: 2, slots: [remade, keyring.slots[1]!] };
      await expect(api.vault.unlockFinish({ attempt: begun.attempt, signature: toBase64Url(new Uint8Array(64)), upgrade: onlySlot })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
      expect(JSON.parse(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8'))).toEqual(keyring);
    } finally {
      await body.stop('quit');
    }
  });
});
