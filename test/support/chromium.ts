import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

/**
 * Finds a Chromium for the end-to-end tests and benchmarks, in the order of the design (§7):
 * `CHROMIUM_PATH` → a system Chromium/Chrome → the npm package `@sparticuz/chromium` (Linux x64;
 * the browser ships inside the package, so a fresh clone needs nothing but `npm install`).
 */
export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';

export interface ChromiumInfo {
  readonly executablePath: string;
  /** Extra command-line flags for this browser (the quiet flags below included). */
  readonly args: readonly string[];
  readonly source: ChromiumSource;
}

/** Flags that stop the browser's own background traffic: tests talk to 127.0.0.1 and nothing else. */
export const QUIET_FLAGS: readonly string[] = [
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--no-pings',
  '--metrics-recording-only',
];

/**
 * Flags of `@sparticuz/chromium` that are meant for serverless hosts and would weaken the very
 * browser security the e2e suite checks (CSP, same-origin), or fight Playwright's own headless flag.
 */
const SPARTICUZ_FLAGS_DROPPED = new Set([
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
  '--single-process',
  "--headless='shell'",
]);

const SYSTEM_CANDIDATES: Readonly<Partial<Record<NodeJS.Platform, readonly string[]>>> = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
  win32: [
    path.join(process.env['PROGRAMFILES'] ?? 'C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe'),
    path.join(process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)', 'Google', 'Chrome', 'Application', 'chrome.exe'),
    path.join(process.env['LOCALAPPDATA'] ?? 'C:\\Users\\Default\\AppData\\Local', 'Google', 'Chrome', 'Application', 'chrome.exe'),
  ],
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hostFlags(): string[] {
  // Chromium's sandbox refuses to start as root; CI runs as root in a throwaway machine.
  const isRoot = process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot ? ['--no-sandbox'] : [];
}

function withFlags(extra: readonly string[]): string[] {
  return [...new Set([...QUIET_FLAGS, ...hostFlags(), ...extra])];
}

let cached: Promise<ChromiumInfo> | undefined;

async function locate(): Promise<ChromiumInfo> {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutable(fromEnv)) throw new Error(`CHROMIUM_PATH is set to "${fromEnv}", but no executable is there.`);
    return { executablePath: fromEnv, args: withFlags([]), source: 'CHROMIUM_PATH' };
  }
  for (const candidate of SYSTEM_CANDIDATES[process.platform] ?? []) {
    if (isExecutable(candidate)) return { executablePath: candidate, args: withFlags([]), source: 'system' };
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    const sparticuz = (await import('@sparticuz/chromium')).default;
    const executablePath = await sparticuz.executablePath();
    const args = sparticuz.args.filter((flag) => !SPARTICUZ_FLAGS_DROPPED.has(flag));
    return { executablePath, args: withFlags(args), source: '@sparticuz/chromium' };
  }
  throw new Error(
    `No Chromium found for the end-to-end tests on ${process.platform}/${process.arch}. Install Google Chrome or ` +
      'Chromium, or point CHROMIUM_PATH at a Chromium-based browser (the npm package @sparticuz/chromium covers Linux x64 only).',
  );
}

/** The Chromium to use; looked up once per process. */
export function findChromium(): Promise<ChromiumInfo> {
  cached ??= locate();
  return cached;
}

/** A headless Chromium for tests: no background traffic, nothing but what the test opens. */
export async function launchBrowser(options: Readonly<LaunchOptions> = {}): Promise<Browser> {
  const info = await findChromium();
  return chromium.launch({
    headless: true,
    ...options,
    executablePath: info.executablePath,
    args: [...info.args, ...(options.args ?? [])],
  });
}

/** A headless Chromium with a profile on disk (IndexedDB, sessionStorage survive between contexts). */
export async function launchPersistent(
  userDataDir: string,
  options: Readonly<Parameters<typeof chromium.launchPersistentContext>[1]> = {},
): Promise<BrowserContext> {
  const info = await findChromium();
  return chromium.launchPersistentContext(userDataDir, {
    headless: true,
    ...options,
    executablePath: info.executablePath,
    args: [...info.args, ...(options?.args ?? [])],
  });
}
