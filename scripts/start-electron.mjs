// `npm start [-- --no-build] [-- electron args]`: builds the app, then runs it in Electron.
//
// The electron package downloads its binary lazily: `require('electron')` (node_modules/electron/
// index.js) runs install.js synchronously, with no time limit, when the binary is missing, and
// throws when the download fails. So the binary is resolved in a child process with a time limit
// (HDMS_ELECTRON_RESOLVE_TIMEOUT_MS, default 20 s). When there is no binary, npm start stops at once
// with a message naming `npm run shell` and exit code 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const build = !argv.includes('--no-build');
const electronArgs = argv.filter((arg) => arg !== '--no-build');
const timeoutMs = Number(process.env.HDMS_ELECTRON_RESOLVE_TIMEOUT_MS ?? 20_000);

if (build) {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const resolved = await resolveElectronBinary();
if (!resolved.ok) {
  console.error(`
HDMS Node: the Electron binary is not available on this machine, so the desktop app cannot start.
  Reason: ${resolved.reason}
  Run the same app in your browser instead:  npm run shell
  (To get Electron later: delete node_modules/electron and run \`npm install\` with access to
  github.com, or set ELECTRON_MIRROR; see https://www.electronjs.org/docs/latest/tutorial/installation)
`);
  process.exit(1);
}

const child = spawn(resolved.path, ['.', ...electronArgs], { cwd: root, stdio: 'inherit', windowsHide: false });
child.on('error', (error) => {
  console.error(`HDMS Node: could not start Electron (${error.message}). Try \`npm run shell\`.`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/**
 * The path the electron package would give, found without ever blocking: the installed binary
 * first (path.txt + dist/), and only when it is missing, the package's own lazy download, run in
 * a child process group that is killed when it outlives the time limit.
 * @returns {Promise<{ ok: true, path: string } | { ok: false, reason: string }>}
 */
async function resolveElectronBinary() {
  const packageDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(packageDir, 'package.json'))) return { ok: false, reason: 'the electron package is not installed (run `npm install`).' };

  const probe = await runWithTimeout(process.execPath, ['-e', "process.stdout.write(String(require('electron')))"], timeoutMs);
  if (probe.timedOut) return { ok: false, reason: `fetching the Electron binary did not finish within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}.` };
  const path = probe.stdout.trim();
  if (probe.code === 0 && path !== '') {
    return existsSync(path) ? { ok: true, path } : { ok: false, reason: `the electron package points at ${path}, which does not exist.` };
  }
  const lines = probe.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const cause = lines.find((line) => /^(\w*Error|Error):/.test(line) && !line.includes('Electron failed to install')) ?? lines.find((line) => /Error:/.test(line));
  return { ok: false, reason: `its download failed${cause ? ` (${cause})` : ''}.` };
}

/** Runs a command in its own process group, capturing output; kills the whole group on timeout. */
function runWithTimeout(command, args, ms) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid);
    }, ms);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 1, stdout, stderr: `${stderr}\nError: ${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function killTree(pid) {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
