#!/usr/bin/env node
// Static Electron security scan (npm run security:scan): runs @doyensec/electronegativity over
// the app's sources and fails on any HIGH finding, on any finding that is not in the documented
// allow-list (test/security/electronegativity-allowlist.json), and on any file it cannot parse.
// Offline and fast: the tool's two network look-ups (translations, Electron release list) are
// replaced by an immediate "not found" and the release check is skipped.
//
// Usage: node scripts/security-scan.mjs [--root DIR] [--allowlist FILE] [--json]
//   --root       project folder to scan (default: this repository); its electron/, renderer/ and
//                shared/ folders and package.json are scanned together, so the tool's app-wide
//                ("global") checks see the whole app at once
//   --allowlist  allow-list file (default: test/security/electronegativity-allowlist.json)
//   --json       print the findings as JSON after the summary line
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    allowlist: { type: 'string' },
    json: { type: 'boolean' },
  },
  strict: true,
});
const root = path.resolve(values.root ?? repoRoot);
const allowlistFile = path.resolve(values.allowlist ?? path.join(repoRoot, 'test/security/electronegativity-allowlist.json'));
const SCANNED_FOLDERS = ['electron', 'renderer', 'shared'];
const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.html', '.htm']);

function fail(message, code = 1) {
  process.stderr.write(`security scan: ${message}\n`);
  process.exit(code);
}

/** @returns {{ id: string, file?: string, reason: string }[]} */
function readAllowlist(file) {
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`cannot read the allow-list ${path.relative(repoRoot, file)} (${error.message})`, 2);
  }
  const entries = parsed?.allow;
  if (!Array.isArray(entries)) fail('the allow-list must be an object with an "allow" array', 2);
  for (const entry of entries) {
    if (typeof entry?.id !== 'string' || typeof entry?.reason !== 'string' || entry.reason.trim().length < 20) {
      fail(`every allow-list entry needs an "id" and a "reason" of at least 20 characters: ${JSON.stringify(entry)}`, 2);
    }
    if (entry.file !== undefined && typeof entry.file !== 'string') fail(`"file" must be a string: ${JSON.stringify(entry)}`, 2);
  }
  return entries;
}

/** Copies the scanned sources into one temporary folder, so global checks see one app. */
function stageSources() {
  const stage = mkdtempSync(path.join(os.tmpdir(), 'hdms-security-scan-'));
  for (const folder of SCANNED_FOLDERS) {
    const from = path.join(root, folder);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(stage, folder), {
      recursive: true,
      filter: (source) => {
        if (source.split(path.sep).includes('node_modules')) return false;
        const ext = path.extname(source);
        return ext === '' || SOURCE_EXTENSIONS.has(ext);
      },
    });
  }
  const pkg = path.join(root, 'package.json');
  if (existsSync(pkg)) cpSync(pkg, path.join(stage, 'package.json'));
  return stage;
}

function installedElectronVersion() {
  try {
    return JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/electron/package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

async function loadElectronegativity() {
  const require = createRequire(import.meta.url);
  const engDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));
  // The tool fetches translations from the network at start; answer "not found" at once instead.
  const gotPath = createRequire(path.join(engDir, 'package.json')).resolve('got');
  const offlineGot = () => Promise.resolve({ statusCode: 404, body: '' });
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: Object.assign(offlineGot, { default: offlineGot }) };
  const mod = require('@doyensec/electronegativity');
  return mod.default ?? mod;
}

function isAllowed(issue, allowlist) {
  return allowlist.find((entry) => entry.id === issue.id && (entry.file === undefined || entry.file === issue.file));
}

const started = Date.now();
const allowlist = readAllowlist(allowlistFile);
const stage = stageSources();
let result;
try {
  const run = await loadElectronegativity();
  const electronVersion = installedElectronVersion();
  result = await run({
    input: stage,
    isRelative: true,
    // The only check that needs the network (Electron's release list); `npm audit` and the
    // Electron version pin cover what it reports.
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    ...(electronVersion === undefined ? {} : { electronVersionOverride: electronVersion }),
  });
} catch (error) {
  fail(`electronegativity failed to run (${error?.message ?? error})`, 2);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

const findings = result.issues.map((issue) => ({
  id: issue.id,
  severity: issue.severity.name,
  confidence: issue.confidence.name,
  file: (issue.file ?? 'N/A').split(path.sep).join('/'),
  line: issue.location?.line ?? 0,
  description: issue.description,
}));
const parseErrors = result.errors.filter((error) => !error.tolerable);
const high = findings.filter((finding) => finding.severity === 'HIGH');
const unlisted = findings.filter((finding) => finding.severity !== 'HIGH' && !isAllowed(finding, allowlist));
const allowed = findings.filter((finding) => finding.severity !== 'HIGH' && isAllowed(finding, allowlist));
const stale = allowlist.filter((entry) => !findings.some((finding) => isAllowed(finding, [entry])));

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const ok = high.length === 0 && unlisted.length === 0 && parseErrors.length === 0;
process.stdout.write(
  `security scan (electronegativity, ${result.globalChecks + result.atomicChecks} checks, ${seconds}s): ` +
    `${ok ? 'PASS' : 'FAIL'}: ${findings.length} finding(s): ${high.length} high, ${unlisted.length} not allow-listed, ` +
    `${allowed.length} allow-listed, ${parseErrors.length} unparsed file(s)\n`,
);
for (const finding of [...high, ...unlisted]) {
  process.stdout.write(`  ${finding.severity} ${finding.id} ${finding.file}:${finding.line} ${finding.description}\n`);
}
for (const error of parseErrors) process.stdout.write(`  UNPARSED ${path.relative(stage, error.file)}: ${error.message}\n`);
for (const entry of stale) process.stdout.write(`  note: allow-list entry ${entry.id}${entry.file ? ` (${entry.file})` : ''} matched nothing; remove it\n`);
if (values.json) process.stdout.write(`${JSON.stringify({ ok, findings }, null, 2)}\n`);
process.exit(ok ? 0 : 1);
