// `npm run screenshots`: builds the app, runs the e2e screenshot test and lets it refresh the
// README's pictures in resources/screenshots/ (first-run.png, settings-dark.png; 1280×800).
// Every e2e run writes the same PNGs to test-results/screenshots/; only this script touches resources/.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args, env = process.env) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.error !== undefined) throw result.error;
  return result.status ?? 1;
};

if (!process.argv.includes('--no-build')) {
  const status = run(['node_modules/electron-vite/bin/electron-vite.js', 'build', '--logLevel', 'warn']);
  if (status !== 0) process.exit(status);
}
const status = run(
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'e2e', 'test/e2e/screenshots.test.ts'],
  { ...process.env, HDMS_UPDATE_README_SCREENSHOTS: '1' },
);
process.exit(status);
