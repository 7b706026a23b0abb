import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm run pack:check` end to end: the real electron-builder against a stand-in Electron (about
 * 5–15 s a run). It reads the build in out/ (`npm test` builds before the unit tests) and builds only
 * when out/ is missing, so it never rewrites out/ under other tests. Windows is left to
 * release.yml, which packages for real there.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = ['out/main/main.js', 'out/main/shell.js', 'out/preload/preload.cjs', 'out/renderer/index.html'].every((file) => existsSync(path.join(ROOT, file)));

function packCheck(...extra: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'check-packaging.mjs'), ...(built ? ['--no-build'] : []), ...extra], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 150_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

// The two runs share dist/linux-unpacked, so they run in order; the passing run comes last.
describe.skipIf(process.platform === 'win32')('scripts/check-packaging.mjs', () => {
  it('catches a packaged binary whose fuses differ from electron-builder.yml', () => {
    const { status, output } = packCheck('--config.electronFuses.runAsNode=true');
    expect(output, output).toMatch(/FAIL RunAsNode = off {2}— electron-builder\.yml runAsNode: false; binary: true/);
    expect(output).toMatch(/pack:check FAILED: 1 of \d+ checks/);
    expect(status).toBe(1);
  }, 180_000);

  it('packs the app with electron-builder.yml and every packaging check passes', () => {
    const { status, output } = packCheck();
    expect(output, output).toMatch(/pack:check passed: \d+ checks/);
    expect(status).toBe(0);
    expect(output).not.toMatch(/^\s+FAIL/m);
    for (const fuse of ['RunAsNode = off', 'EnableNodeCliInspectArguments = off', 'OnlyLoadAppFromAsar = on', 'EnableEmbeddedAsarIntegrityValidation = on']) {
      expect(output).toContain(`ok   ${fuse}`);
    }
    expect(output).toContain('What it does not prove');
  }, 180_000);
});
