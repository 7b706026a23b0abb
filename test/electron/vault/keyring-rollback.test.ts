import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { checkVault } from '../../../electron/storage/vault-check';
import { listKeyrings, parseKeyringArgs, restoreKeyring } from '../../../electron/vault/keyring-rollback';
import type { Keyring } from '../../../shared/ipc';
import { randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { REPO_ROOT } from '../../support/repo-paths';
import { useTempDirs } from '../../support/temp-dir';
import { call, makeTestVault, readJournal, signIn, type TestVault } from './vault-test-support';

const tempDir = useTempDirs();

async function body(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
}

const keysFile = (dataDir: string) => path.join(dataDir, 'vault', 'keys.json');
const keptFile = (dataDir: string, revision: number) => path.join(dataDir, 'vault', 'keyrings', `keys.r${revision}.json`);
const readKeys = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Keyring;

/**
 * A vault whose keyring went through revisions 1, 2 and 3 by the body's own updates (so 1 and 2
 * are kept), then, with the app stopped, keys.json was edited by hand with every operator
 * disabled: nobody can sign in any more.
 */
async function brokenVault(): Promise<{ dataDir: string; vault: TestVault; good: Keyring; broken: Keyring }> {
  const dataDir = await tempDir();
  const vault = await makeTestVault();
  const b = await body(dataDir);
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn(b, vault);
  const good: Keyring = { ...vault.keyring, revision: 2, operators: [...vault.keyring.operators, { operatorId: 'op_clin-1', name: 'Clinician', role: 'clinician', disabled: false }], integrity: toBase64Url(randomBytes(32)) };
  await call(b, 'vault.updateKeyring', { keyring: good, expectedRevision: 1 });
  const third: Keyring = { ...good, revision: 3, operators: good.operators.map((operator) => ({ ...operator, name: `${operator.name} (renamed)` })), integrity: toBase64Url(randomBytes(32)) };
  await call(b, 'vault.updateKeyring', { keyring: third, expectedRevision: 2 });
  await b.stop('quit');
  const broken: Keyring = { ...third, operators: third.operators.map((operator) => ({ ...operator, disabled: true })) };
  await writeFile(keysFile(dataDir), `${JSON.stringify(broken, null, 1)}\n`);
  return { dataDir, vault, good, broken };
}

describe('vault:keyring (issue 9 §2: a broken keyring is recoverable)', () => {
  it('lists the current and kept keyrings with operators, roles and slot kinds, no key material', async () => {
    const { dataDir, vault, broken } = await brokenVault();
    const listing = await listKeyrings(dataDir);
    expect(listing.current).toMatchObject({
      revision: 3,
      date: expect.any(String),
      operators: broken.operators.map(({ operatorId, name, role }) => ({ operatorId, name, role, disabled: true })),
      slots: [{ kind: 'passphrase', operatorId: vault.operatorId }, { kind: 'recovery', operatorId: 'recovery' }],
      problem: expect.stringMatching(/administrator/),
    });
    expect(listing.kept.map((kept) => [kept.revision, kept.problem])).toEqual([
      [2, null],
      [1, null],
    ]);
    expect(listing.kept[0]!.operators).toContainEqual({ operatorId: 'op_clin-1', name: 'Clinician', role: 'clinician', disabled: false });
    expect(listing.errors).toEqual([expect.stringMatching(/vault\/keys\.json: .*administrator/)]);
    // Nothing of a slot but its kind and owner: no wrapped key, salt or public key.
    const printed = JSON.stringify(listing);
    for (const slot of vault.keyring.slots) {
      for (const [field, value] of Object.entries(slot)) {
        if (field !== 'kind' && field !== 'operatorId' && typeof value === 'string' && value.length >= 16) expect(printed).not.toContain(value);
      }
    }
    expect(printed).not.toContain(vault.keyring.intakePublicKey);
  });

  it('restores a kept revision over a keyring edited into a broken state: the broken one is kept, the change journaled, and the restored one unlocks', async () => {
    const { dataDir, vault, good, broken } = await brokenVault();
    const before = await body(dataDir);
    await expect(signIn(before, vault)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await before.stop('quit');

    const report = await restoreKeyring(dataDir, 2);
    expect(report).toEqual({ restored: 2, replaced: 3, journalSeq: expect.any(Number), errors: [] });
    expect(await readKeys(keysFile(dataDir))).toEqual(good);
    // The broken keyring is kept under its revision (no other keyring was kept as revision 3).
    expect(await readKeys(keptFile(dataDir, 3))).toEqual(broken);
    expect((await listKeyrings(dataDir)).errors).toEqual([]);

    const after = await body(dataDir);
    await signIn(after, vault);
    await expect(call(after, 'vault.session', {})).resolves.toMatchObject({ session: { operatorId: vault.operatorId, role: 'admin' } });
    await expect(call(after, 'vault.keyring', {})).resolves.toEqual({ keyring: good });
    const records = await readJournal(after);
    expect(records.find((record) => record.seq === report.journalSeq)).toMatchObject({ kind: 'vault.keyringChanged', operator: null });
    // The next change continues from the restored revision, by the usual compare-and-swap.
    await expect(call(after, 'vault.updateKeyring', { keyring: { ...good, revision: 3, integrity: toBase64Url(randomBytes(32)) }, expectedRevision: 2 })).resolves.toEqual({ revision: 3 });
    expect(await readKeys(keptFile(dataDir, 2))).toEqual(good);
    await after.stop('quit');
    expect((await checkVault(dataDir)).errors).toEqual([]);
  });

  it('refuses a kept keyring that breaks the invariants, the schema or belongs to another vault, and then changes nothing', async () => {
    const { dataDir } = await brokenVault();
    expect((await restoreKeyring(dataDir, 2)).errors).toEqual([]);
    const current = await readFile(keysFile(dataDir), 'utf8');
    const journal = await readFile(path.join(dataDir, 'vault', 'journal', 'journal.hdj'));
    const history = async () => (await readdir(path.join(dataDir, 'vault', 'keyrings'))).sort();
    const kept = await history();

    // Revision 3 (every operator disabled) is kept now, but the body would refuse it.
    expect(await restoreKeyring(dataDir, 3)).toMatchObject({ restored: null, errors: [expect.stringMatching(/administrator/)] });
    const other = (await makeTestVault({ revision: 7 })).keyring;
    await writeFile(keptFile(dataDir, 7), JSON.stringify({ ...other, vaultId: 'vault_other_01' }));
    expect(await restoreKeyring(dataDir, 7)).toMatchObject({ restored: null, errors: [expect.stringMatching(/another vault/)] });
    await writeFile(keptFile(dataDir, 8), JSON.stringify({ ...(await readKeys(keysFile(dataDir))), revision: 8, slots: [] }));
    expect(await restoreKeyring(dataDir, 8)).toMatchObject({ restored: null, errors: [expect.stringMatching(/keyring schema at slots/)] });
    await writeFile(keptFile(dataDir, 9), '{"format":');
    expect(await restoreKeyring(dataDir, 9)).toMatchObject({ restored: null, errors: [expect.stringMatching(/not JSON/)] });
    expect(await restoreKeyring(dataDir, 42)).toMatchObject({ restored: null, errors: [expect.stringMatching(/not kept/)] });

    expect(await readFile(keysFile(dataDir), 'utf8')).toBe(current);
    expect(await readFile(path.join(dataDir, 'vault', 'journal', 'journal.hdj'))).toEqual(journal);
    expect(await history()).toEqual([...kept, 'keys.r7.json', 'keys.r8.json', 'keys.r9.json'].sort());
    expect((await listKeyrings(dataDir)).kept.filter((entry) => entry.problem !== null).map((entry) => entry.revision)).toEqual([9, 8, 7, 3]);
  });

  it('repairs a keys.json that is not a keyring at all, setting its bytes aside', async () => {
    const { dataDir, vault } = await brokenVault();
    await writeFile(keysFile(dataDir), 'not a keyring');
    expect(await restoreKeyring(dataDir, 1)).toMatchObject({ restored: 1, replaced: null, errors: [] });
    const aside = (await readdir(path.join(dataDir, 'vault', 'keyrings'))).filter((name) => name.startsWith('keys.replaced-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(path.join(dataDir, 'vault', 'keyrings', aside[0]!), 'utf8')).toBe('not a keyring');
    const b = await body(dataDir);
    await signIn(b, vault);
    await b.stop('quit');
  });

  it('runs as a command printing exactly one JSON line, exit 0 / 1 / 2', { timeout: 30_000 }, async () => {
    const { dataDir } = await brokenVault();
    const entry = path.join(REPO_ROOT, 'electron', 'vault', 'keyring-rollback-main.ts');
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

    const listed = run('--data-dir', dataDir);
    expect(listed.status).toBe(1);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(listed.stdout)).toMatchObject({ current: { revision: 3 }, kept: [{ revision: 2 }, { revision: 1 }] });

    const restored = run('--data-dir', dataDir, '--restore', '2');
    expect(restored.status).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: 2, replaced: 3, errors: [] });
    expect(run('--data-dir', dataDir).status).toBe(0);
    expect(run('--data-dir', dataDir, '--restore', '3').status).toBe(1);

    const usage = run('--data-dir', dataDir, '--restore', 'latest');
    expect(usage.status).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toContain('--restore');
  });

  it('parses its arguments', () => {
    expect(parseKeyringArgs(['--data-dir', '/d'])).toEqual({ dataDir: '/d', restore: null });
    expect(parseKeyringArgs(['--', '--data-dir=/d', '--restore=12'])).toEqual({ dataDir: '/d', restore: 12 });
    expect(parseKeyringArgs(['--restore', '0', '--data-dir', '/d'])).toMatchObject({ error: expect.any(String) });
    expect(parseKeyringArgs(['--restore', '2'])).toMatchObject({ error: expect.stringMatching(/--data-dir/) });
    expect(parseKeyringArgs(['--data-dir'])).toMatchObject({ error: expect.any(String) });
    expect(parseKeyringArgs(['--verbose'])).toMatchObject({ error: expect.any(String) });
    expect(parseKeyringArgs(['-h'])).toEqual({ help: true });
  });
});
