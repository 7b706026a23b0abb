import { describe, expect, it } from 'vitest';
import { findChromium } from '../support/chromium';
import { useBrowserWithOwnShells } from '../support/e2e-fixture';
import { areaNav, exploreApp, exploreButton, firstRunHeading, openFirstRun } from '../support/shell-page';
import { READY_TIMEOUT_MS } from '../support/shell-process';

describe('first run in the browser shell', () => {
  const e2e = useBrowserWithOwnShells();

  it('finds a Chromium the way the design says', async () => {
    const info = await findChromium();
    expect(['CHROMIUM_PATH', 'system', '@sparticuz/chromium']).toContain(info.source);
    expect(info.args).toContain('--disable-background-networking');
    expect(info.args).not.toContain('--disable-web-security');
    console.log(`e2e Chromium: ${e2e.browser.version()} from ${info.source} (${info.executablePath})`);
  });

  it(`prints its ready line within ${READY_TIMEOUT_MS / 1000} s on a fresh data dir, and Chromium shows the first-run screen`, async () => {
    // startShell fails unless the ready line arrives within READY_TIMEOUT_MS.
    const shell = await e2e.startShell();
    expect(shell.readyLine).toMatch(/^HDMS shell ready at http:\/\/127\.0\.0\.1:\d+\/#code=[0-9a-f]{64}$/);
    // The ready line, how to get a new link, and the one the test helper asked for (Enter) to get its token.
    const lines = shell.stdout().trim().split('\n');
    expect(lines[1]).toMatch(/works once, within 2 minutes[\s\S]*press Enter here for a new link/);
    expect(lines.slice(2)).toEqual([expect.stringMatching(/^HDMS shell link: http:\/\/127\.0\.0\.1:\d+\/#code=[0-9a-f]{64}$/)]);
    expect(shell.stdout()).not.toContain(shell.token);

    const view = await e2e.openPage();
    await openFirstRun(view.page, shell);
    expect(await view.page.title()).toBe('HDMS Node');
    await expect.poll(() => exploreButton(view.page).isEnabled(), { timeout: 15_000 }).toBe(true);
    expect(view.consoleErrors).toEqual([]);
  });

  it('"Explore the app" opens the app frame with its area navigation', async () => {
    const shell = await e2e.startShell();
    const view = await e2e.openPage();
    await openFirstRun(view.page, shell);
    await exploreApp(view.page);
    expect(await areaNav(view.page).getByRole('link').count()).toBeGreaterThanOrEqual(7);
    expect(await firstRunHeading(view.page).count()).toBe(0);
  });
});
