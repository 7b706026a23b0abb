import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/chromium';
import {
  documentTheme,
  exploreApp,
  goToArea,
  newShellPage,
  openFirstRun,
  settingsRadio,
  type ShellPage,
} from '../support/shell-page';
import { makeTempDir, removeDir, startShell, type ShellProcess } from '../support/shell-process';

describe('theme and density preferences', () => {
  let browser: Browser;
  let dataDir: string;
  let shell: ShellProcess | undefined;
  let views: ShellPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const view of views) await view.context.close();
    views = [];
    await shell?.cleanup();
    shell = undefined;
    await removeDir(dataDir);
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openSettings(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const view = await newShellPage(browser, { colorScheme });
    views.push(view);
    await openFirstRun(view.page, shell!);
    await exploreApp(view.page);
    await goToArea(view.page, 'Settings');
    return view.page;
  }

  /** The theme of a page that reaches first run again (a reload or a new start shows first-run while no vault exists). */
  async function themeAfterLoad(page: Page): Promise<string | undefined> {
    await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'visible' });
    return documentTheme(page);
  }

  it('the theme choice applies at once, survives a reload and a restart of the shell with the same data dir', async () => {
    dataDir = await makeTempDir('hdms-theme-');
    shell = await startShell({ dataDir });
    const page = await openSettings('light');
    expect(await documentTheme(page)).toBe('light');
    expect(await settingsRadio(page, 'Theme', 'System').isChecked()).toBe(true);

    await settingsRadio(page, 'Theme', 'Dark').check();
    await expect.poll(() => documentTheme(page)).toBe('dark');

    await page.reload();
    expect(await themeAfterLoad(page)).toBe('dark');

    const exit = await shell.stop('SIGTERM');
    expect(exit.code).toBe(0);
    shell = await startShell({ dataDir });
    const again = await openSettings('light');
    expect(await documentTheme(again)).toBe('dark');
    expect(await settingsRadio(again, 'Theme', 'Dark').isChecked()).toBe(true);

    await settingsRadio(again, 'Theme', 'Light').check();
    await expect.poll(() => documentTheme(again)).toBe('light');
    await again.reload();
    expect(await themeAfterLoad(again)).toBe('light');
  });

  it('"System" follows the operating system, also when it changes while the app is open', async () => {
    dataDir = await makeTempDir('hdms-theme-');
    shell = await startShell({ dataDir });
    const page = await openSettings('dark');
    await settingsRadio(page, 'Theme', 'System').check();
    expect(await documentTheme(page)).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => documentTheme(page)).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => documentTheme(page)).toBe('dark');
  });

  it('a choice made in one tab reaches another open tab', async () => {
    dataDir = await makeTempDir('hdms-theme-');
    shell = await startShell({ dataDir });
    const first = await openSettings('light');
    const second = await openSettings('light');
    await settingsRadio(first, 'Theme', 'Dark').check();
    await expect.poll(() => documentTheme(second)).toBe('dark');
    expect(await settingsRadio(second, 'Theme', 'Dark').isChecked()).toBe(true);
  });

  it('row density persists across a restart', async () => {
    dataDir = await makeTempDir('hdms-theme-');
    shell = await startShell({ dataDir });
    const page = await openSettings();
    expect(await settingsRadio(page, 'Row density', 'Compact').isChecked()).toBe(true);
    await settingsRadio(page, 'Row density', 'Comfortable').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['density'])).toBe('comfortable');

    await shell.stop('SIGINT');
    shell = await startShell({ dataDir });
    const again = await openSettings();
    expect(await settingsRadio(again, 'Row density', 'Comfortable').isChecked()).toBe(true);
  });
});
