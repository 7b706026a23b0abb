// `npm run pack:check [-- --no-build] [-- --keep] [-- --config.KEY=VALUE ...]`: checks the packaging
// config where the real Electron binary cannot be had. --config.* arguments go to electron-builder
// on top of electron-builder.yml (a what-if; the checks still hold the result to the yml).
//
// It builds the app (electron-vite), then runs the real electron-builder (`--linux --dir`, the
// config in electron-builder.yml) against a STAND-IN Electron distribution made in a temp folder:
// the layout of electron-vX-linux-x64.zip, with a small fake `electron` file that carries the
// fuse sentinel and a fuse wire in Electron's default state, so that electron-builder's own fuse
// step runs on it unchanged. It then inspects dist/linux-unpacked/ and asserts the asar contents,
// the extra resources and the fuse wire it wrote. Exit code 0 when every check passes, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const args = new Set(process.argv.slice(2).filter((arg) => !arg.startsWith('--config.')));
const builderOverrides = process.argv.slice(2).filter((arg) => arg.startsWith('--config.'));
const started = Date.now();

/** Fuse names in @electron/fuses' FuseV1Options order, with the electron-builder.yml key of each. */
const FUSES = [
  ['RunAsNode', 'runAsNode'],
  ['EnableCookieEncryption', 'enableCookieEncryption'],
  ['EnableNodeOptionsEnvironmentVariable', 'enableNodeOptionsEnvironmentVariable'],
  ['EnableNodeCliInspectArguments', 'enableNodeCliInspectArguments'],
  ['EnableEmbeddedAsarIntegrityValidation', 'enableEmbeddedAsarIntegrityValidation'],
  ['OnlyLoadAppFromAsar', 'onlyLoadAppFromAsar'],
  ['LoadBrowserProcessSpecificV8Snapshot', 'loadBrowserProcessSpecificV8Snapshot'],
  ['GrantFileProtocolExtraPrivileges', 'grantFileProtocolExtraPrivileges'],
];
/** Electron's shipped defaults for those fuses (docs/tutorial/fuses.md): 1 = enabled. */
const ELECTRON_DEFAULT_WIRE = '10110001';

const failures = [];
const passes = [];
function check(ok, what, detail = '') {
  (ok ? passes : failures).push(detail ? `${what} (${detail})` : what);
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}${detail ? `  — ${detail}` : ''}`);
}
function step(title) {
  console.log(`\n== ${title}`);
}

// 1. Build ------------------------------------------------------------------------------------
if (!args.has('--no-build')) {
  step('electron-vite build');
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    console.error('pack:check: the build failed; nothing was packaged.');
    process.exit(1);
  }
}
for (const file of ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html']) {
  if (!existsSync(join(root, file))) {
    console.error(`pack:check: ${file} is missing; run \`npm run build\` (or drop --no-build).`);
    process.exit(1);
  }
}

// 2. Stand-in Electron distribution ---------------------------------------------------------------
const { SENTINEL } = require('@electron/fuses/dist/constants.js');
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const work = mkdtempSync(join(tmpdir(), 'hdms-pack-check-'));
const standIn = join(work, `electron-v${electronVersion}-linux-x64`);
step(`stand-in Electron ${electronVersion} (linux x64) in ${standIn}`);
mkdirSync(join(standIn, 'resources'), { recursive: true });
mkdirSync(join(standIn, 'locales'), { recursive: true });
// The executable: not a runnable Electron, but a file with the fuse wire where @electron/fuses looks
// for it (sentinel, wire version 1, wire length, one byte per fuse: '0' disabled, '1' enabled).
writeFileSync(
  join(standIn, 'electron'),
  Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in Electron for npm run pack:check: not runnable" >&2\nexit 1\n'),
    Buffer.alloc(64, 0),
    Buffer.from(SENTINEL, 'ascii'),
    Buffer.from([1, FUSES.length]),
    Buffer.from(ELECTRON_DEFAULT_WIRE, 'ascii'),
    Buffer.alloc(64, 0),
  ]),
  { mode: 0o755 },
);
for (const name of ['chrome-sandbox', 'chrome_crashpad_handler']) writeFileSync(join(standIn, name), 'stand-in\n', { mode: 0o755 });
for (const name of ['libffmpeg.so', 'icudtl.dat', 'resources.pak', 'v8_context_snapshot.bin', 'snapshot_blob.bin']) writeFileSync(join(standIn, name), 'stand-in\n');
writeFileSync(join(standIn, 'locales', 'en-US.pak'), 'stand-in\n');
writeFileSync(join(standIn, 'LICENSE'), 'Electron LICENSE (stand-in)\n');
writeFileSync(join(standIn, 'LICENSES.chromium.html'), '<p>stand-in</p>\n');
const before = await getCurrentFuseWire(join(standIn, 'electron'));
check(before.version === '1' && Object.keys(before).filter((k) => /^\d+$/.test(k)).length === FUSES.length, '@electron/fuses reads the stand-in wire', `v${before.version}, ${FUSES.length} fuses`);

// 3. electron-builder --linux --dir ---------------------------------------------------------------
step('electron-builder --linux --dir (config: electron-builder.yml; electronDist: the stand-in)');
const unpacked = join(root, 'dist', 'linux-unpacked');
rmSync(unpacked, { recursive: true, force: true });
const builder = spawnSync(
  process.execPath,
  [
    require.resolve('electron-builder/cli.js'),
    '--linux',
    '--dir',
    '--x64',
    '--publish',
    'never',
    `--config.electronDist=${standIn}`,
    `--config.electronVersion=${electronVersion}`,
    ...builderOverrides,
  ],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ELECTRON_BUILDER_CACHE: join(work, 'cache') }, timeout: 180_000 },
);
check(builder.status === 0, 'electron-builder accepted the config and packed the app', builder.status === 0 ? '' : `exit ${builder.status ?? builder.signal}`);
if (builder.status !== 0) finish();

// 4. What came out --------------------------------------------------------------------------------
step(`inspect ${posix.join('dist', 'linux-unpacked')}`);
const asarPath = join(unpacked, 'resources', 'app.asar');
check(existsSync(asarPath), 'resources/app.asar exists');
check(existsSync(join(unpacked, 'hdms-node')), 'the executable is renamed to linux.executableName', 'hdms-node');
check(!existsSync(join(unpacked, 'resources', 'app')), 'no unpacked resources/app folder next to the asar');

const asar = require('@electron/asar');
const entries = asar.listPackage(asarPath, { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, ''));
const isFile = (entry) => {
  try {
    const stat = asar.statFile(asarPath, entry);
    return !('files' in stat) && !('link' in stat);
  } catch {
    return false;
  }
};
const files = new Set(entries.filter(isFile));
console.log(`  (${entries.length} entries, ${files.size} files)`);
for (const required of ['package.json', 'out/main/main.js', 'out/main/shell.js', 'out/main/hl7-prepare-worker.js', 'out/preload/preload.cjs', 'out/renderer/index.html', 'out/renderer/favicon.svg']) {
  check(files.has(required), `asar contains ${required}`);
}
const appEntries = entries.filter((p) => !p.startsWith('node_modules/'));
const badApp = appEntries.filter((p) =>
  /^(test|electron|renderer|shared|resources|scripts|src|dist|coverage|bench-results|test-results|out\/types)(\/|$)/.test(p) ||
  /\.(ts|tsx|mts|cts|map)$/.test(p) ||
  /^(tsconfig.*\.json|electron-builder\.yml|electron\.vite\.config\.ts|vitest\.config\.m?ts|eslint\.config\.mjs|package-lock\.json)$/.test(p),
);
check(badApp.length === 0, 'no sources, tests, type output, source maps or dev configs in the app part', badApp.slice(0, 5).join(', '));
const badModules = entries.filter((p) => /\.(map|tsx?|mts|cts)$/.test(p));
check(badModules.length === 0, 'no .map or TypeScript sources anywhere (node_modules included)', badModules.slice(0, 5).join(', '));
const devOnly = ['electron', 'electron-builder', 'electron-vite', 'vite', 'vitest', 'typescript', 'playwright-core', '@sparticuz/chromium', '@electron/fuses', '@resvg/resvg-js'];
const leaked = devOnly.filter((name) => entries.includes(`node_modules/${name}`));
check(leaked.length === 0, 'no devDependencies packed (node_modules/electron, vite, vitest, …)', leaked.join(', '));

// Every bare import of the built main, shell and preload resolves inside the asar, and every
// production dependency's own dependencies do too (Node's lookup: nested, then top-level).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const asarPkg = JSON.parse(asar.extractFile(asarPath, 'package.json').toString('utf8'));
check(asarPkg.main === pkg.main && files.has(asarPkg.main), 'packed package.json names the packed main', asarPkg.main);
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const bareImports = new Set();
for (const dir of ['out/main', 'out/preload']) {
  for (const name of readdirSync(join(root, dir), { recursive: true })) {
    if (!/\.(c?js|mjs)$/.test(String(name))) continue;
    const code = readFileSync(join(root, dir, String(name)), 'utf8');
    // The main and preload builds are CommonJS: every bare dependency is a require("name") call.
    for (const match of code.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
      const spec = match[1];
      const name2 = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!builtins.has(spec) && !builtins.has(name2) && name2 !== 'electron') bareImports.add(name2);
    }
  }
}
const missingImports = [...bareImports].filter((name) => !files.has(`node_modules/${name}/package.json`));
check(missingImports.length === 0, 'every module the built main/shell/preload requires is packed', [...bareImports].sort().join(', ') + (missingImports.length ? `; MISSING ${missingImports.join(', ')}` : ''));
const deps = Object.keys(pkg.dependencies ?? {});
// A dependency left out of node_modules must be one Vite bundled (React, into out/renderer).
const rendererCode = readdirSync(join(root, 'out/renderer/assets')).filter((n) => n.endsWith('.js')).map((n) => readFileSync(join(root, 'out/renderer/assets', n), 'utf8')).join('\n');
const BUNDLE_MARKERS = { react: 'react.transitional.element', 'react-dom': 'react-dom' };
const depState = deps.map((name) => {
  if (files.has(`node_modules/${name}/package.json`)) return [name, 'node_modules'];
  const marker = BUNDLE_MARKERS[name];
  return [name, !bareImports.has(name) && marker !== undefined && rendererCode.includes(marker) ? 'bundled' : 'MISSING'];
});
check(depState.every(([, state]) => state !== 'MISSING'), 'production dependencies are packed as node_modules or bundled into out/renderer', depState.map(([n, s]) => `${n}:${s}`).join(' '));
const closureMissing = [];
for (const manifest of [...files].filter((p) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(p))) {
  const dir = posix.dirname(manifest);
  const json = JSON.parse(asar.extractFile(asarPath, manifest).toString('utf8'));
  if (typeof json.name !== 'string' || !dir.endsWith(json.name)) continue; // nested fixture manifests
  for (const dep of Object.keys(json.dependencies ?? {})) {
    if (json.optionalDependencies?.[dep] !== undefined) continue;
    let found = false;
    for (let base = dir; ; base = posix.dirname(base)) {
      if (files.has(posix.join(base, 'node_modules', dep, 'package.json'))) { found = true; break; }
      if (base === '.' || base === '' || base === '/') break;
    }
    if (!found && !files.has(`node_modules/${dep}/package.json`)) closureMissing.push(`${json.name} → ${dep}`);
  }
}
check(closureMissing.length === 0, 'the packed production dependency tree is complete', closureMissing.slice(0, 8).join(', '));

const trayDir = join(unpacked, 'resources', 'tray');
const trayFiles = existsSync(trayDir) ? readdirSync(trayDir).sort() : [];
const expectedTray = readdirSync(join(root, 'resources', 'tray')).filter((n) => n.endsWith('.png')).sort();
check(expectedTray.length >= 4 && JSON.stringify(trayFiles) === JSON.stringify(expectedTray), 'resources/tray/*.png sit next to the asar (process.resourcesPath/tray)', trayFiles.join(', '));
check(existsSync(join(unpacked, 'resources', 'icon.png')), 'the Linux window icon sits next to the asar (process.resourcesPath/icon.png)');
check(existsSync(join(unpacked, 'LICENSE.electron.txt')), "Electron's licence is kept next to the executable", 'LICENSE.electron.txt');
const asarSize = statSync(asarPath).size;
console.log(`  (app.asar: ${(asarSize / 1024 / 1024).toFixed(1)} MiB)`);

// 5. Fuses: what electron-builder wrote into the (stand-in) binary --------------------------------
step('fuse wire written by electron-builder');
const yaml = require('js-yaml');
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
const after = await getCurrentFuseWire(join(unpacked, 'hdms-node'));
for (const [fuse, key] of FUSES) {
  const want = config.electronFuses?.[key];
  const got = after[FuseV1Options[fuse]];
  const gotBool = got === 49 ? true : got === 48 ? false : `state ${got}`;
  check(typeof want === 'boolean' && gotBool === want, `${fuse} = ${want ? 'on' : 'off'}`, `electron-builder.yml ${key}: ${want}; binary: ${gotBool}`);
}

finish();

function finish() {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
== What this proves
  - electron-builder ${require('electron-builder/package.json').version} accepts electron-builder.yml (schema, file patterns,
    extraResources, linux target options) and packs the app for Electron ${electronVersion}.
  - app.asar holds exactly the build output, package.json and the production dependency tree:
    no sources, tests, maps or devDependencies; every module the main process requires is inside.
  - The tray icons land in resources/tray and the Linux window icon in resources/icon.png.
  - electron-builder flips exactly the fuses electron-builder.yml asks for, in the packaged
    executable, before signing.
== What it does not prove
  - That the app starts: the binary is a stand-in. The packaged app is launched only by
    .github/workflows/release.yml (Playwright _electron.launch on Windows, macOS and Linux).
  - That the real Electron ${electronVersion} binary has this fuse wire layout (@electron/fuses checks
    the wire version and length against the real binary at packaging time), or that the asar
    integrity hash (macOS Info.plist, Windows resource) is embedded: that happens only for
    macOS and Windows packages.
  - Installers (AppImage, deb, NSIS, dmg/zip), icons conversion, code signing and notarization:
    release.yml builds and checks those on the real runners.
${failures.length === 0 ? `\npack:check passed: ${passes.length} checks in ${seconds} s.` : `\npack:check FAILED: ${failures.length} of ${passes.length + failures.length} checks in ${seconds} s:\n  - ${failures.join('\n  - ')}`}`);
  if (!args.has('--keep')) rmSync(work, { recursive: true, force: true });
  process.exit(failures.length === 0 ? 0 : 1);
}
