import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchBrowser } from './chromium';
import { newShellPage, type ShellPage } from './shell-page';
import { makeTempDir, removeDir, startShell, type ShellProcess, type StartShellOptions } from './shell-process';

/**
 * The setup the end-to-end tests share, as vitest hooks registered in the calling `describe`:
 * a Chromium (and a shell) for the whole block, pages that are closed after each test.
 * Hooks run in the order they are registered, after-hooks in reverse (vitest's `sequence.hooks: 'stack'`),
 * so a file's own `beforeAll` registered before the fixture runs before it, its `afterAll` after it.
 */

/** One shell for all tests of the block. */
export interface ShellFixture {
  /** The shell started before the block's tests; stopped (and its temporary data folder removed) after them. */
  readonly shell: ShellProcess;
}

/** One Chromium for all tests of the block. */
export interface BrowserFixture {
  readonly browser: Browser;
  /** A fresh context with one page (see `newShellPage`), closed after the test. Call it more than once for more tabs. */
  openPage(options?: Readonly<BrowserContextOptions>): Promise<ShellPage>;
}

export type BrowserAndShellFixture = BrowserFixture & ShellFixture;

/** One Chromium for the block; each test starts the shells it needs, stopped after the test. */
export interface BrowserWithOwnShellsFixture extends BrowserFixture {
  /** Starts a shell (see `startShell`) that is cleaned up after the test, also when the test stopped it itself. */
  startShell(options?: StartShellOptions): Promise<ShellProcess>;
  /** A fresh temporary folder (a data dir to share between shells), removed after the test. */
  tempDir(prefix?: string): Promise<string>;
}

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The e2e fixture's ${what} is not there: use it inside a test, after beforeAll.`);
  return value;
}

/** The pages one test opened, closed in the order they were opened. */
function pageKeeper(browser: () => Browser | undefined): Pick<BrowserFixture, 'openPage'> & { closeAll(): Promise<void> } {
  let pages: ShellPage[] = [];
  return {
    async openPage(options = {}) {
      const view = await newShellPage(ready(browser(), 'browser'), options);
      pages.push(view);
      return view;
    },
    async closeAll() {
      const open = pages;
      pages = [];
      for (const view of open) await view.context.close();
    },
  };
}

/** Starts one shell before the block's tests and cleans it up after them. */
export function useShell(options: StartShellOptions = {}): ShellFixture {
  let shell: ShellProcess | undefined;
  beforeAll(async () => {
    shell = await startShell(options);
  });
  afterAll(async () => {
    await shell?.cleanup();
  });
  return {
    get shell() {
      return ready(shell, 'shell');
    },
  };
}

/** A Chromium and one shell for the block's tests; the pages a test opens are closed after it. */
export function useBrowserAndShell(shellOptions: StartShellOptions = {}): BrowserAndShellFixture {
  let browser: Browser | undefined;
  let shell: ShellProcess | undefined;
  const pages = pageKeeper(() => browser);
  beforeAll(async () => {
    browser = await launchBrowser();
    shell = await startShell(shellOptions);
  });
  afterEach(() => pages.closeAll());
  afterAll(async () => {
    await shell?.cleanup();
    await browser?.close();
  });
  return {
    get browser() {
      return ready(browser, 'browser');
    },
    get shell() {
      return ready(shell, 'shell');
    },
    openPage: (options) => pages.openPage(options),
  };
}

/** A Chromium for the block's tests, each of which starts its own shells; after a test: pages, shells, temp folders go. */
export function useBrowserWithOwnShells(): BrowserWithOwnShellsFixture {
  let browser: Browser | undefined;
  let shells: ShellProcess[] = [];
  let dirs: string[] = [];
  const pages = pageKeeper(() => browser);
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await pages.closeAll();
    const started = shells;
    const made = dirs;
    shells = [];
    dirs = [];
    for (const shell of started) await shell.cleanup();
    for (const dir of made) await removeDir(dir);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      return ready(browser, 'browser');
    },
    openPage: (options) => pages.openPage(options),
    async startShell(options) {
      const shell = await startShell(options);
      shells.push(shell);
      return shell;
    },
    async tempDir(prefix) {
      const dir = await makeTempDir(prefix);
      dirs.push(dir);
      return dir;
    },
  };
}
