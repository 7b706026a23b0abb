import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import type { ShellProcess } from './shell-process';

/** The product's areas in navigation order: link text, h1 and hash route. */
export const AREAS = [
  { name: 'Intake', route: 'intake' },
  { name: 'Patients', route: 'patients' },
  { name: 'Imaging', route: 'imaging' },
  { name: 'Devices', route: 'devices' },
  { name: 'Marketplace', route: 'marketplace' },
  { name: 'Ledger', route: 'ledger' },
  { name: 'Settings', route: 'settings' },
] as const;

export type AreaName = (typeof AREAS)[number]['name'];

export const FIRST_RUN_HEADING = 'Welcome to HDMS Node';
export const EXPLORE_BUTTON = 'Explore the app';
/** Generous for a 2-core CI machine; a UI that is merely slow still passes, a missing one fails clearly. */
export const UI_TIMEOUT_MS = 15_000;

export interface ShellPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and page errors seen so far (CSP violations show up here too). */
  readonly consoleErrors: string[];
  /** `securitypolicyviolation` events seen by the page since it loaded. */
  cspViolations(): Promise<string[]>;
}

declare global {
  interface Window {
    __hdmsCspViolations?: string[];
  }
}

/** A fresh browser context (its own storage) with one page, listening for CSP violations. */
export async function newShellPage(browser: Browser, options: Readonly<BrowserContextOptions> = {}): Promise<ShellPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', ...options });
  // Init scripts run through the DevTools protocol, before the page's own scripts and outside its CSP.
  await context.addInitScript(() => {
    window.__hdmsCspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__hdmsCspViolations?.push(`${event.violatedDirective} blocked ${event.blockedURI || '(inline)'} in ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  return {
    context,
    page,
    consoleErrors,
    cspViolations: () => page.evaluate(() => window.__hdmsCspViolations ?? []),
  };
}

export function firstRunHeading(page: Page): Locator {
  return page.getByRole('heading', { level: 1, name: FIRST_RUN_HEADING });
}

export function exploreButton(page: Page): Locator {
  return page.getByRole('button', { name: EXPLORE_BUTTON });
}

export function areaNav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Areas' });
}

export function areaLink(page: Page, name: AreaName): Locator {
  return areaNav(page).getByRole('link', { name, exact: true });
}

export function areaHeading(page: Page, name: AreaName): Locator {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

/** Opens a new one-time link of the shell and waits until the first-run screen is there. */
export async function openFirstRun(page: Page, shell: Pick<ShellProcess, 'newLink'>): Promise<void> {
  await page.goto(await shell.newLink());
  await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

/**
 * Loads the app again in this tab, as a user would after a reload: with a new link (Enter in the
 * shell's terminal), since a link works once and the page keeps its access in memory only (a plain
 * reload shows "press Enter … for a new link" instead).
 */
export async function reopenWithNewLink(page: Page, shell: Pick<ShellProcess, 'newLink'>): Promise<void> {
  const link = await shell.newLink();
  // A new document first: going from `…/#/` to `…/#code=…` alone would only change the fragment.
  await page.goto('about:blank');
  await page.goto(link);
}

/** From the first-run screen into the app frame. */
export async function exploreApp(page: Page): Promise<void> {
  await exploreButton(page).click({ timeout: UI_TIMEOUT_MS });
  await areaNav(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

/** Follows an area link and waits for the area's h1. */
export async function goToArea(page: Page, name: AreaName): Promise<void> {
  await areaLink(page, name).click({ timeout: UI_TIMEOUT_MS });
  await areaHeading(page, name).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

/** Picks a radio of a named radio group (Settings: "Theme", "Row density"). */
export function settingsRadio(page: Page, group: 'Theme' | 'Row density', option: string): Locator {
  return page.getByRole('radiogroup', { name: group }).getByRole('radio', { name: option, exact: true });
}

/** `document.documentElement.dataset.theme` of the page. */
export function documentTheme(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.documentElement.dataset['theme']);
}

/** Whether the locator's element has keyboard focus. */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/** The accessible description of what has focus, for readable failures. */
export function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (element === null) return '(nothing)';
    const text = (element.getAttribute('aria-label') ?? element.textContent ?? '').trim().slice(0, 60);
    return `<${element.tagName.toLowerCase()}> "${text}"`;
  });
}

export interface LogRecord {
  readonly msg?: string;
  readonly level?: number;
  readonly [key: string]: unknown;
}

/** The records of the newest log file in `<data>/logs/`, oldest first. */
export async function readLogRecords(dataDir: string): Promise<LogRecord[]> {
  const dir = path.join(dataDir, 'logs');
  const files = (await readdir(dir)).filter((name) => name.includes('.log'));
  if (files.length === 0) throw new Error(`No log file in ${dir}.`);
  const withTimes = await Promise.all(files.map(async (name) => ({ name, mtime: (await stat(path.join(dir, name))).mtimeMs })));
  withTimes.sort((a, b) => a.mtime - b.mtime);
  const newest = withTimes.at(-1)!.name;
  const text = await readFile(path.join(dir, newest), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}
