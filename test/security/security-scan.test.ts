import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const script = path.join(repo, 'scripts', 'security-scan.mjs');
const allowlist = path.join(repo, 'test', 'security', 'electronegativity-allowlist.json');

function scan(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let fixtures: string;

async function fixture(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(fixtures, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
  return root;
}

beforeAll(async () => {
  fixtures = await mkdtemp(path.join(os.tmpdir(), 'hdms-scan-fixtures-'));
});
afterAll(async () => {
  await rm(fixtures, { recursive: true, force: true });
});

describe('scripts/security-scan.mjs', () => {
  it('passes on this repository, offline, with a one-line summary', () => {
    const result = scan([]);
    expect(result.stderr).toBe('');
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^security scan \(electronegativity, \d+ checks, [\d.]+s\): PASS: .* 0 high, 0 not allow-listed/);
  }, 60_000);

  it('fails on a HIGH finding even if its id is allow-listed', async () => {
    const root = await fixture('high', {
      'electron/main.ts': [
        "import { BrowserWindow } from 'electron';",
        'export const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });',
        '',
      ].join('\n'),
    });
    const list = path.join(root, 'allow.json');
    await writeFile(list, JSON.stringify({ allow: [{ id: 'CONTEXT_ISOLATION_JS_CHECK', reason: 'trying to allow-list a HIGH finding' }] }));
    const result = scan(['--root', root, '--allowlist', list]);
    expect(result.status, result.stdout).toBe(1);
    expect(result.stdout).toMatch(/FAIL/);
    expect(result.stdout).toMatch(/HIGH (NODE_INTEGRATION|CONTEXT_ISOLATION)_JS_CHECK/);
  }, 60_000);

  it('fails on a finding that is not in the allow-list', async () => {
    const root = await fixture('unlisted', {
      'electron/links.ts': [
        "import { app, shell } from 'electron';",
        "app.on('web-contents-created', (_e, c) => { c.on('will-navigate', (e) => e.preventDefault()); c.setWindowOpenHandler(() => ({ action: 'deny' })); c.session.setPermissionRequestHandler((_w, _p, cb) => cb(false)); });",
        "export const open = (url: string) => shell.openExternal(url);",
        '',
      ].join('\n'),
    });
    const result = scan(['--root', root, '--allowlist', allowlist]);
    expect(result.status, result.stdout).toBe(1);
    expect(result.stdout).toMatch(/ 0 high, 1 not allow-listed/);
    expect(result.stdout).toMatch(/MEDIUM OPEN_EXTERNAL_JS_CHECK electron\/links\.ts:3/);
  }, 60_000);

  it('refuses an allow-list entry without a reason', async () => {
    const list = path.join(fixtures, 'bad-allow.json');
    await writeFile(list, JSON.stringify({ allow: [{ id: 'CSP_GLOBAL_CHECK' }] }));
    const result = scan(['--allowlist', list]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/reason/);
  }, 60_000);

  it('gives every allow-list entry a reason and never a HIGH check', () => {
    const entries = (JSON.parse(readFileSync(allowlist, 'utf8')) as { allow: Array<{ id: string; reason: string }> }).allow;
    for (const entry of entries) {
      expect(entry.reason.length, entry.id).toBeGreaterThanOrEqual(20);
      expect(entry.id).not.toMatch(/CONTEXT_ISOLATION|NODE_INTEGRATION|SANDBOX|WEB_SECURITY|INSECURE_CONTENT|LIMIT_NAVIGATION/);
    }
  });
});

describe('the built preload', () => {
  const built = path.join(repo, 'out', 'preload', 'preload.cjs');
  // npm test builds before the unit tests; a bare `vitest run` without a build skips this one.
  it.skipIf(!existsSync(built))('is CommonJS that requires nothing but electron, and stays small', () => {
    const source = readFileSync(built, 'utf8');
    const required = [...source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
    expect(source).not.toMatch(/\bz\.(strictObject|object|string|enum)\(|ZodError/);
    expect(source.length).toBeLessThan(20_000);
  });
});
