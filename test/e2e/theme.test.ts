import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../support/e2e-fixture';
import {
  documentTheme,
  exploreApp,
  goToArea,
  openFirstRun,
  reopenWithNewLink,
  settingsRadio,
} from '../support/shell-page';
import type { ShellProcess } from '../support/shell-process';

describe('theme and density preferences', () => {
  const e2e = useBrowserWithOwnShells();

  async function openSettings(shell: ShellProcess, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const view = await e2e.openPage({ colorScheme });
    await openFirstRun(view.page, shell);
    await exploreApp(view.page);
    await goToArea(view.page, 'Settings');
    return view.page;
  }

  /** The theme of a page that reaches first run again (opening the link again or a new start shows first-run while no vault exists). */
  async function themeAfterLoad(page: Page): Promise<string | undefined> {
    await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'visible' });
    return documentTheme(page);
  }

  it('the theme choice applies at once, survives opening the page again and a restart of the shell with the same data dir', async () => {
    const dataDir = await e2e.tempDir('hdms-theme-');
    let shell = await e2e.startShell({ dataDir });
    const page = await openSettings(shell, 'light');
    expect(await documentTheme(page)).toBe('light');
    expect(await settingsRadio(page, 'Theme', 'System').isChecked()).toBe(true);

    await settingsRadio(page, 'Theme', 'Dark').check();
    await expect.poll(() => documentTheme(page)).toBe('dark');

    await reopenWithNewLink(page, shell);
    expect(await themeAfterLoad(page)).toBe('dark');

    const exit = await shell.stop('SIGTERM');
    expect(exit.code).toBe(0);
    shell = await e2e.startShell({ dataDir });
    const again = await openSettings(shell, 'light');
    expect(await documentTheme(again)).toBe('dark');
    expect(await settingsRadio(again, 'Theme', 'Dark').isChecked()).toBe(true);

    await settingsRadio(again, 'Theme', 'Light').check();
    await expect.poll(() => documentTheme(again)).toBe('light');
    await reopenWithNewLink(again, shell);
    expect(await themeAfterLoad(again)).toBe('light');
  });

  it('"System" follows the operating system, also when it changes while the app is open', async () => {
    const dataDir = await e2e.tempDir('hdms-theme-');
    const shell = await e2e.startShell({ dataDir });
    const page = await openSettings(shell, 'dark');
    await settingsRadio(page, 'Theme', 'System').check();
    expect(await documentTheme(page)).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => documentTheme(page)).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => documentTheme(page)).toBe('dark');
  });

  it('a choice made in one tab reaches another open tab', async () => {
    const dataDir = await e2e.tempDir('hdms-theme-');
    const shell = await e2e.startShell({ dataDir });
    const first = await openSettings(shell, 'light');
    const second = await openSettings(shell, 'light');
    await settingsRadio(first, 'Theme', 'Dark').check();
    await expect.poll(() => documentTheme(second)).toBe('dark');
    expect(await settingsRadio(second, 'Theme', 'Dark').isChecked()).toBe(true);
  });

  it('row density persists across a restart', async () => {
    const dataDir = await e2e.tempDir('hdms-theme-');
    let shell = await e2e.startShell({ dataDir });
    const page = await openSettings(shell);
    expect(await settingsRadio(page, 'Row density', 'Compact').isChecked()).toBe(true);
    await settingsRadio(page, 'Row density', 'Comfortable').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['density'])).toBe('comfortable');

    await shell.stop('SIGINT');
    shell = await e2e.startShell({ dataDir });
    const again = await openSettings(shell);
    expect(await settingsRadio(again, 'Row density', 'Comfortable').isChecked()).toBe(true);
  });
});
