import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchBrowser } from '../support/chromium';
import { areaNav, exploreApp, exploreButton, firstRunHeading, newShellPage, openFirstRun, type ShellPage } from '../support/shell-page';
import { READY_TIMEOUT_MS, startShell, type ShellProcess } from '../support/shell-process';

describe('first run in the browser shell', () => {
  let browser: Browser;
  let shell: ShellProcess | undefined;
  let view: ShellPage | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await view?.context.close();
    await shell?.cleanup();
    view = undefined;
    shell = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finds a Chromium the way the design says', async () => {
    const info = await findChromium();
    expect(['CHROMIUM_PATH', 'system', '@sparticuz/chromium']).toContain(info.source);
    expect(info.args).toContain('--disable-background-networking');
    expect(info.args).not.toContain('--disable-web-security');
    console.log(`e2e Chromium: ${browser.version()} from ${info.source} (${info.executablePath})`);
  });

  it(`prints its ready line within ${READY_TIMEOUT_MS / 1000} s on a fresh data dir, and Chromium shows the first-run screen`, async () => {
    // startShell fails unless the ready line arrives within READY_TIMEOUT_MS.
    shell = await startShell();
    expect(shell.readyLine).toMatch(/^HDMS shell ready at http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{32,}$/);
    expect(shell.stdout().trim().split('\n')).toHaveLength(1);

    view = await newShellPage(browser);
    await openFirstRun(view.page, shell);
    expect(await view.page.title()).toBe('HDMS Node');
    await expect.poll(() => exploreButton(view!.page).isEnabled(), { timeout: 15_000 }).toBe(true);
    expect(view.consoleErrors).toEqual([]);
  });

  it('"Explore the app" opens the app frame with its area navigation', async () => {
    shell = await startShell();
    view = await newShellPage(browser);
    await openFirstRun(view.page, shell);
    await exploreApp(view.page);
    expect(await areaNav(view.page).getByRole('link').count()).toBeGreaterThanOrEqual(7);
    expect(await firstRunHeading(view.page).count()).toBe(0);
  });
});
