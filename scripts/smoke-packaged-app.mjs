// `node scripts/smoke-packaged-app.mjs <packaged app> [--screenshot FILE] [--timeout MS]`
//
// Smoke test of an installed or unpacked HDMS Node, run by .github/workflows/release.yml on each OS
// (under xvfb-run on Linux). <packaged app> is the app's executable (Windows: ...\HDMS Node.exe,
// Linux: .../hdms-node) or, on macOS, the `HDMS Node.app` bundle or the executable inside it.
//
//  1. Reads the fuse wire of the packaged binary and asserts it matches electron-builder.yml.
//  2. Makes a TEST COPY of the app in a temp folder and re-enables only the
//     EnableNodeCliInspectArguments fuse on that copy (Playwright drives Electron through the Node
//     inspector, which the shipped app refuses). On macOS the copy is re-signed ad hoc, since
//     flipping a fuse breaks its signature; the shipped artifact is never modified.
//  3. Launches the copy with Playwright's _electron.launch, with fresh HOME / APPDATA / XDG dirs
//     (a first run), and asserts: the first window shows the heading "Welcome to HDMS Node", it is
//     served from app://, its response carries a strict Content-Security-Policy header, and the
//     page sees window.hdms but neither window.require nor process.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const { flipFuses, getCurrentFuseWire, FuseV1Options, FuseVersion } = require('@electron/fuses');
const { _electron: electron } = require('playwright-core');
const yaml = require('js-yaml');

const USAGE = 'usage: node scripts/smoke-packaged-app.mjs <packaged app executable or .app> [--screenshot FILE] [--timeout MS]';
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv.splice(i, 2)[1];
};
const screenshot = option('--screenshot');
const timeout = Number(option('--timeout') ?? 90_000);
if (argv.length !== 1 || argv[0].startsWith('--')) {
  console.error(USAGE);
  process.exit(2);
}
const target = resolve(argv[0]);
if (!existsSync(target)) {
  console.error(`smoke: ${target} does not exist.\n${USAGE}`);
  process.exit(2);
}

const FUSE_KEYS = {
  RunAsNode: 'runAsNode',
  EnableCookieEncryption: 'enableCookieEncryption',
  EnableNodeOptionsEnvironmentVariable: 'enableNodeOptionsEnvironmentVariable',
  EnableNodeCliInspectArguments: 'enableNodeCliInspectArguments',
  EnableEmbeddedAsarIntegrityValidation: 'enableEmbeddedAsarIntegrityValidation',
  OnlyLoadAppFromAsar: 'onlyLoadAppFromAsar',
  LoadBrowserProcessSpecificV8Snapshot: 'loadBrowserProcessSpecificV8Snapshot',
  GrantFileProtocolExtraPrivileges: 'grantFileProtocolExtraPrivileges',
};
const HEADING = 'Welcome to HDMS Node';

let failed = 0;
function check(ok, what, detail = '') {
  if (!ok) failed += 1;
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}${detail ? `  — ${detail}` : ''}`);
  return ok;
}

/** The folder to copy (the .app bundle, or the folder holding the executable) and the executable in it. */
function locate(path) {
  const appIndex = path.lastIndexOf('.app');
  if (process.platform === 'darwin' && appIndex !== -1) {
    const bundle = path.slice(0, appIndex + 4);
    const name = basename(bundle, '.app');
    const executable = path === bundle ? join(bundle, 'Contents', 'MacOS', name) : path;
    return { folder: bundle, executable };
  }
  if (statSync(path).isDirectory()) throw new Error(`${path} is a folder: pass the executable inside it.`);
  return { folder: dirname(path), executable: path };
}

function wireState(config, fuse) {
  const state = config[FuseV1Options[fuse]];
  return state === 49 ? true : state === 48 ? false : `state ${state}`;
}

// A launch that fails makes Playwright reject promises nobody awaits any more (it races several
// log lines); report them like any other failure instead of dying before the clean-up.
process.on('unhandledRejection', (reason) => {
  console.error(`smoke: ${reason instanceof Error ? reason.message : String(reason)}`);
});

const original = locate(target);
const work = mkdtempSync(join(tmpdir(), 'hdms-smoke-'));
let app;
try {
  console.log(`== fuses of the packaged binary (${original.executable})`);
  const expected = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')).electronFuses ?? {};
  const wire = await getCurrentFuseWire(original.executable);
  for (const [fuse, key] of Object.entries(FUSE_KEYS)) {
    check(wireState(wire, fuse) === expected[key], `${fuse} is ${expected[key] ? 'on' : 'off'}`, `binary: ${wireState(wire, fuse)}`);
  }

  console.log('\n== test copy with the inspect fuse re-enabled');
  const copyFolder = join(work, 'app', basename(original.folder));
  mkdirSync(dirname(copyFolder), { recursive: true });
  if (process.platform === 'win32') cpSync(original.folder, copyFolder, { recursive: true, verbatimSymlinks: true });
  else {
    // ditto / cp -a keep the symlinks and modes of the macOS frameworks and the Linux sandbox helper.
    const copy = process.platform === 'darwin' ? spawnSync('ditto', [original.folder, copyFolder]) : spawnSync('cp', ['-a', original.folder, copyFolder]);
    if (copy.status !== 0) throw new Error(`copying the app failed: ${copy.stderr}`);
  }
  const executable = join(copyFolder, relative(original.folder, original.executable));
  await flipFuses(executable, { version: FuseVersion.V1, [FuseV1Options.EnableNodeCliInspectArguments]: true });
  check(wireState(await getCurrentFuseWire(executable), 'EnableNodeCliInspectArguments') === true, 'EnableNodeCliInspectArguments is on in the copy', copyFolder);
  check(wireState(await getCurrentFuseWire(original.executable), 'EnableNodeCliInspectArguments') === false, 'the packaged binary is untouched');
  if (process.platform === 'darwin') {
    // Ad hoc, without the hardened runtime: an ad hoc signature has no team id, so library
    // validation would refuse Electron's own frameworks. This affects the test copy only.
    const sign = spawnSync('codesign', ['--sign', '-', '--force', '--deep', copyFolder], { encoding: 'utf8' });
    if (!check(sign.status === 0, 'test copy re-signed ad hoc', sign.stderr.trim())) throw new Error('codesign failed');
  }

  console.log('\n== launch (fresh user folders)');
  const home = join(work, 'home');
  const env = {
    ...process.env,
    HOME: home,
    USERPROFILE: home,
    APPDATA: join(home, 'AppData', 'Roaming'),
    LOCALAPPDATA: join(home, 'AppData', 'Local'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    ELECTRON_ENABLE_LOGGING: '1',
  };
  for (const dir of [env.APPDATA, env.LOCALAPPDATA, env.XDG_CONFIG_HOME, env.XDG_DATA_HOME, env.XDG_CACHE_HOME]) mkdirSync(dir, { recursive: true });
  delete env.ELECTRON_RUN_AS_NODE;
  const started = Date.now();
  // --data-dir (electron/app/app-paths.ts) puts the vault, logs and Chromium profile in the temp
  // folder too, whatever the OS's idea of the user's app-data folder (Windows ignores %APPDATA%).
  const dataDir = join(home, 'hdms-data');
  app = await electron.launch({ executablePath: executable, args: [`--data-dir=${dataDir}`], env, cwd: home, timeout });
  const output = [];
  app.process().stdout?.on('data', (chunk) => output.push(String(chunk)));
  app.process().stderr?.on('data', (chunk) => output.push(String(chunk)));
  const page = await app.firstWindow({ timeout });
  const heading = page.getByRole('heading', { name: HEADING });
  await heading.waitFor({ state: 'visible', timeout }).catch(() => undefined);
  check(await heading.isVisible(), `the first window shows the heading "${HEADING}"`, `${Date.now() - started} ms after launch`);
  const url = page.url();
  check(url.startsWith('app://'), 'the window is served from the app:// scheme', url);

  // The CSP is a response header (design §9): read it from the main process through the window's
  // own session, so the request goes through the app's protocol handler exactly as the page's did.
  const response = await app.evaluate(async ({ BrowserWindow }, pageUrl) => {
    const window = BrowserWindow.getAllWindows()[0];
    const res = await window.webContents.session.fetch(pageUrl);
    return { status: res.status, csp: res.headers.get('content-security-policy') };
  }, url);
  const csp = response.csp ?? '';
  check(response.status === 200 && csp !== '', 'the page response carries a Content-Security-Policy header', csp);
  const scriptSrc = (csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) ?? csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('default-src'))) ?? '';
  check(/default-src 'none'/.test(csp) && scriptSrc !== '' && !/unsafe-inline|unsafe-eval|\*/.test(scriptSrc), "the CSP is strict (default-src 'none'; no unsafe or wildcard script sources)", scriptSrc);

  // Runs in the page's main world (globalThis is its window).
  const globals = await page.evaluate(() => ({
    hdms: typeof globalThis.hdms,
    require: typeof globalThis.require,
    process: typeof globalThis.process,
    module: typeof globalThis.module,
  }));
  check(existsSync(join(dataDir, 'logs')), 'the body started in the fresh data folder (logs/ created there)', dataDir);
  check(globals.hdms === 'object', 'window.hdms (the typed contract) exists', `typeof ${globals.hdms}`);
  check(globals.require === 'undefined' && globals.process === 'undefined' && globals.module === 'undefined', 'the page has no window.require, process or module', JSON.stringify(globals));

  if (screenshot) {
    mkdirSync(dirname(resolve(screenshot)), { recursive: true });
    await page.screenshot({ path: screenshot });
    console.log(`  (screenshot: ${screenshot})`);
  }
  if (failed > 0 && output.length > 0) console.log(`\n== app output\n${output.join('').slice(-6000)}`);
} catch (error) {
  failed += 1;
  console.error(`\nsmoke: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await app?.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
}

console.log(failed === 0 ? '\nsmoke: the packaged app passed.' : `\nsmoke: ${failed} check(s) failed.`);
process.exit(failed === 0 ? 0 : 1);
