import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVault, parseVaultCheckArgs, vaultCheckExitCode } from '../../../electron/storage/vault-check';
import { openVaultStorage } from '../../../electron/storage/vault-storage';
import { vaultLayout } from '../../../electron/storage/vault-layout';
import { REPO_ROOT } from '../../support/repo-paths';
import { useTempDirs } from '../../support/temp-dir';
import { fakeEnvelope, silentLogger } from './storage-test-support';

const tempDir = useTempDirs();

/** A vault with 3 objects and 5 records (3 intake.demo, 1 view.access, 1 vault.created). */
async function goodVault(): Promise<{ dataDir: string; ids: string[] }> {
  const dataDir = await tempDir();
  const storage = await openVaultStorage(dataDir, silentLogger());
  await writeFile(storage.layout.keysFile, '{}');
  await storage.journal.append({ kind: 'vault.created', operator: 'op-admin' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { id } = await storage.objects.write(fakeEnvelope('object', 1000 + i));
    ids.push(id);
    await storage.journal.append({ kind: 'intake.demo', objects: [id], meta: fakeEnvelope('journalMetadata', 100) });
  }
  await storage.journal.append({ kind: 'view.access', operator: 'op-admin', objects: [ids[0]!] });
  await storage.close();
  return { dataDir, ids };
}

function objectFile(dataDir: string, id: string): string {
  return path.join(vaultLayout(dataDir).objectsDir, id.slice(0, 2), id.slice(2));
}

describe('vault check', () => {
  it('reports a consistent vault with counts by kind (exit 0)', async () => {
    const { dataDir } = await goodVault();
    const report = await checkVault(dataDir);
    expect(report).toEqual({
      journal: { records: 5, byKind: { 'vault.created': 1, 'intake.demo': 3, 'view.access': 1 }, tornTail: false, repairs: [] },
      objects: 3,
      inlineObjects: 0,
      errors: [],
    });
    expect(vaultCheckExitCode(report)).toBe(0);
  });

  it('reports a torn tail without repairing it (exit 1), then the repair once the body reopened the journal', async () => {
    const { dataDir } = await goodVault();
    const { journalFile } = vaultLayout(dataDir);
    await appendFile(journalFile, Buffer.from([0, 0, 0, 90, 1, 2, 3]));
    const before = await readFile(journalFile);
    const report = await checkVault(dataDir);
    expect(report.journal).toMatchObject({ records: 5, tornTail: true, repairs: [] });
    expect(report.errors).toEqual([]);
    expect(vaultCheckExitCode(report)).toBe(1);
    expect(await readFile(journalFile)).toEqual(before); // read-only

    const storage = await openVaultStorage(dataDir, silentLogger());
    await storage.close();
    const after = await checkVault(dataDir);
    expect(after.journal).toMatchObject({ records: 6, tornTail: false, repairs: [{ seq: 6, truncatedBytes: 7 }] });
    expect(after.journal.byKind['journal.repaired']).toBe(1);
    expect(vaultCheckExitCode(after)).toBe(0);
  });

  it('reports a tampered object by id', async () => {
    const { dataDir, ids } = await goodVault();
    const file = objectFile(dataDir, ids[1]!);
    const bytes = await readFile(file);
    bytes[500]! ^= 0x01;
    await writeFile(file, bytes);
    const report = await checkVault(dataDir);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatch(new RegExp(`^object ${ids[1]}: content does not match its name`));
    expect(vaultCheckExitCode(report)).toBe(1);
  });

  it('reports a referenced object that is missing, with the record that refers to it', async () => {
    const { dataDir, ids } = await goodVault();
    await rm(objectFile(dataDir, ids[2]!));
    const report = await checkVault(dataDir);
    expect(report.objects).toBe(2);
    expect(report.errors).toEqual([`object ${ids[2]}: referenced by journal record seq 4 but missing`]);
  });

  it('reports an object file that is not a sealed envelope, and a too-short one', async () => {
    const { dataDir } = await goodVault();
    const garbage = Buffer.from('MSH|^~\\&|this is not sealed|\r'.repeat(10));
    const short = fakeEnvelope('object', 0);
    for (const bytes of [garbage, short]) {
      const id = createHash('sha256').update(bytes).digest('hex');
      await mkdir(path.dirname(objectFile(dataDir, id)), { recursive: true });
      await writeFile(objectFile(dataDir, id), bytes);
    }
    const garbageId = createHash('sha256').update(garbage).digest('hex');
    const shortId = createHash('sha256').update(short).digest('hex');
    const report = await checkVault(dataDir);
    expect(report.objects).toBe(5);
    expect([...report.errors].sort()).toEqual(
      [`object ${garbageId}: not a sealed envelope (E_ENVELOPE_FORMAT)`, `object ${shortId}: 140 bytes, shorter than the smallest sealed envelope (156)`].sort(),
    );
    // Only the id appears, never the file's content.
    expect(report.errors.join(' ')).not.toContain('MSH');
  });

  it('reports journal damage before the tail with its offset', async () => {
    const { dataDir } = await goodVault();
    const { journalFile } = vaultLayout(dataDir);
    const bytes = await readFile(journalFile);
    bytes[20]! ^= 0x02;
    await writeFile(journalFile, bytes);
    const report = await checkVault(dataDir);
    expect(report.journal.tornTail).toBe(false);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatch(/^journal: damaged at byte offset 8 \(crc\) after record seq 0/);
    expect(vaultCheckExitCode(report)).toBe(1);
  });

  it('says so when the folder holds no vault', async () => {
    const dataDir = await tempDir();
    const report = await checkVault(dataDir);
    expect(report).toEqual({ journal: { records: 0, byKind: {}, tornTail: false, repairs: [] }, objects: 0, inlineObjects: 0, errors: [`no vault in ${dataDir}`] });
    expect(vaultCheckExitCode(report)).toBe(1);
    expect(await checkVault(path.join(dataDir, 'does-not-exist'))).toMatchObject({ errors: [`no vault in ${path.join(dataDir, 'does-not-exist')}`] });
  });

  it('reports missing keys and a missing journal', async () => {
    const dataDir = await tempDir();
    await mkdir(vaultLayout(dataDir).objectsDir, { recursive: true });
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual(['vault/keys.json is missing: the vault cannot be unlocked', 'journal: vault/journal/journal.hdj is missing']);
  });

  it('parses its arguments', () => {
    expect(parseVaultCheckArgs(['--data-dir', '/x'])).toEqual({ dataDir: '/x' });
    expect(parseVaultCheckArgs(['--data-dir=/y'])).toEqual({ dataDir: '/y' });
    expect(parseVaultCheckArgs([])).toEqual({ error: '--data-dir is required' });
    expect(parseVaultCheckArgs(['--data-dir'])).toMatchObject({ error: expect.any(String) });
    expect(parseVaultCheckArgs(['--verbose'])).toMatchObject({ error: expect.any(String) });
    expect(parseVaultCheckArgs(['-h'])).toEqual({ help: true });
  });

  it('runs as a command printing exactly one JSON line, exit 0 / 1 / 2', { timeout: 30_000 }, async () => {
    const { dataDir } = await goodVault();
    const entry = path.join(REPO_ROOT, 'electron', 'storage', 'vault-check-main.ts');
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

    const good = run('--data-dir', dataDir);
    expect(good.status).toBe(0);
    expect(good.stdout.endsWith('\n')).toBe(true);
    expect(good.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(good.stdout)).toMatchObject({ journal: { records: 5, tornTail: false }, objects: 3, errors: [] });

    await appendFile(vaultLayout(dataDir).journalFile, Buffer.from([1, 2, 3]));
    const torn = run('--data-dir', dataDir);
    expect(torn.status).toBe(1);
    expect(JSON.parse(torn.stdout)).toMatchObject({ journal: { tornTail: true } });

    const usage = run();
    expect(usage.status).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toContain('--data-dir');
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  });
});
