import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` (scripts/start-electron.mjs, run with --no-build): where the Electron binary cannot
 * be had it must stop at once, name `npm run shell` and exit non-zero; where it can, it runs it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'start-electron.mjs');
const temps: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdms-start-test-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function runStart(args: readonly string[], env: NodeJS.ProcessEnv, killAfterMs = 45_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [SCRIPT, '--no-build', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// Is a real Electron binary installed in node_modules (then the download is never attempted)?
const electronDir = path.join(ROOT, 'node_modules', 'electron');
const pathTxt = path.join(electronDir, 'path.txt');
const binaryInstalled = existsSync(pathTxt) && existsSync(path.join(electronDir, 'dist', readFileSync(pathTxt, 'utf8')));

describe('scripts/start-electron.mjs', () => {
  it.skipIf(binaryInstalled)('stops at once with a message naming `npm run shell` when the binary cannot be downloaded', async () => {
    // An unreachable mirror and an empty cache make the download fail the same way on every machine.
    const run = await runStart([], { ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: tempDir(), ELECTRON_OVERRIDE_DIST_PATH: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('npm run shell');
    expect(run.stderr).toMatch(/Electron binary is not available/);
    expect(run.stderr).toMatch(/download failed/);
    expect(run.ms).toBeLessThan(30_000);
  }, 60_000);

  it('gives up on a download that outlives its time limit', async () => {
    const run = await runStart([], { HDMS_ELECTRON_RESOLVE_TIMEOUT_MS: '1', ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: tempDir(), ELECTRON_OVERRIDE_DIST_PATH: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('npm run shell');
    expect(run.stderr).toMatch(/did not finish within 1 ms/);
  }, 60_000);

  it('names `npm run shell` when the resolved binary does not exist', async () => {
    const run = await runStart([], { ELECTRON_OVERRIDE_DIST_PATH: tempDir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('npm run shell');
    expect(run.stderr).toMatch(/does not exist/);
  }, 60_000);

  it.skipIf(process.platform === 'win32')('runs the binary on the project with the extra arguments and passes its exit code on', async () => {
    const dist = tempDir();
    const fake = path.join(dist, 'electron');
    writeFileSync(fake, '#!/bin/sh\necho "stand-in electron: $*"\nexit 7\n');
    chmodSync(fake, 0o755);
    const run = await runStart(['--data-dir=/tmp/x'], { ELECTRON_OVERRIDE_DIST_PATH: dist });
    expect(run.stdout).toContain('stand-in electron: . --data-dir=/tmp/x');
    expect(run.code).toBe(7);
  }, 60_000);
});
