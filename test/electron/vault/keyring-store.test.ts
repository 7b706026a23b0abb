import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyringStore } from '../../../electron/vault/keyring-store';
import { useTempDirs } from '../../support/temp-dir';
import { makeTestVault } from './vault-test-support';

const tempDir = useTempDirs();

describe('keyring store', () => {
  it('is empty in a fresh folder, stores a keyring atomically with mode 0600 and reads it back', async () => {
    const dataDir = await tempDir();
    const store = new KeyringStore(dataDir);
    expect(await store.read()).toBeNull();
    const { keyring } = await makeTestVault();
    await store.create(keyring);
    expect(await store.read()).toEqual(keyring);
    const vaultDir = path.join(dataDir, 'vault');
    expect(await readdir(vaultDir)).toEqual(['keys.json']); // no temp file left behind
    if (process.platform !== 'win32') expect((await stat(path.join(vaultDir, 'keys.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a second create with E_CONFLICT and keeps the first keyring', async () => {
    const store = new KeyringStore(await tempDir());
    const first = await makeTestVault();
    const second = await makeTestVault();
    await store.create(first.keyring);
    await expect(store.create(second.keyring)).rejects.toMatchObject({ name: 'KeyringRefusal', code: 'E_CONFLICT' });
    expect((await store.read())?.intakePublicKey).toBe(first.keyring.intakePublicKey);
  });

  it('refuses to create a vault over a journal that has no keyring', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'vault', 'journal'), { recursive: true });
    await writeFile(path.join(dataDir, 'vault', 'journal', 'journal.hdj'), Buffer.concat([Buffer.from('HDMSJ001'), Buffer.alloc(40)]));
    await expect(new KeyringStore(dataDir).create((await makeTestVault()).keyring)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('updates only to revision expected + 1 of the same vault; anything else is E_CONFLICT', async () => {
    const store = new KeyringStore(await tempDir());
    const { keyring } = await makeTestVault();
    await expect(store.update({ ...keyring, revision: 2 }, 1)).rejects.toMatchObject({ code: 'E_CONFLICT' }); // no vault yet
    await store.create(keyring);
    const renamed = { ...keyring, revision: 2, operators: [{ ...keyring.operators[0]!, name: 'Chief' }] };
    expect((await store.update(renamed, 1)).next.revision).toBe(2);
    // A second window still at revision 1 loses.
    await expect(store.update({ ...keyring, revision: 2 }, 1)).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringMatching(/revision 2, not 1/) });
    // Revision must grow by exactly one.
    await expect(store.update({ ...keyring, revision: 4 }, 2)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    // Same vault only.
    await expect(store.update({ ...keyring, revision: 3, vaultId: 'another_vault_1' }, 2)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    const other = await makeTestVault();
    await expect(store.update({ ...keyring, revision: 3, intakePublicKey: other.keyring.intakePublicKey }, 2)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect((await store.read())?.operators[0]?.name).toBe('Chief');
  });

  it('serializes concurrent updates: exactly one of two racing windows wins', async () => {
    const store = new KeyringStore(await tempDir());
    const { keyring } = await makeTestVault();
    await store.create(keyring);
    const results = await Promise.allSettled([store.update({ ...keyring, revision: 2 }, 1), store.update({ ...keyring, revision: 2 }, 1)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses operator ids the journal cannot record', async () => {
    const store = new KeyringStore(await tempDir());
    const { keyring } = await makeTestVault();
    await expect(store.create({ ...keyring, operators: [{ ...keyring.operators[0]!, operatorId: 'Dr. House' }] })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    expect(await store.exists()).toBe(false);
  });

  it('reports a damaged keys.json as E_UNAVAILABLE without quoting its content', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'vault'), { recursive: true });
    await writeFile(path.join(dataDir, 'vault', 'keys.json'), '{"format":"hdms-keyring","name":"Jane Doe"}');
    const error = await new KeyringStore(dataDir).read().catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect((error as Error).message).not.toContain('Jane');
    expect(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8')).toContain('Jane'); // untouched
  });
});
