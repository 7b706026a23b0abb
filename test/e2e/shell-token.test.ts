import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/chromium';
import { firstRunHeading, newShellPage, openFirstRun, UI_TIMEOUT_MS, type ShellPage } from '../support/shell-page';
import { startShell, type ShellProcess } from '../support/shell-process';

describe('the shell token in the address bar', () => {
  let browser: Browser;
  let shell: ShellProcess;
  let view: ShellPage | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    shell = await startShell();
  });
  afterEach(async () => {
    await view?.context.close();
    view = undefined;
  });
  afterAll(async () => {
    await shell?.cleanup();
    await browser?.close();
  });

  it('is removed from the address bar after load, and a reload still reaches the node', async () => {
    view = await newShellPage(browser);
    const { page } = view;
    await openFirstRun(page, shell);
    expect(page.url()).not.toContain(shell.token);
    expect(page.url()).not.toContain('token=');
    // replaceState, not a new entry: Back does not lead to the link with the token.
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank, then the app

    await page.reload();
    await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(page.url()).not.toContain(shell.token);
    expect(view.consoleErrors).toEqual([]);
  });

  it('is not in the page title, the document or a link a user could copy', async () => {
    view = await newShellPage(browser);
    const { page } = view;
    await openFirstRun(page, shell);
    const html = await page.content();
    expect(html).not.toContain(shell.token);
    expect(await page.title()).not.toContain(shell.token);
  });

  it('without the token, the page says how to open it instead of failing silently', async () => {
    view = await newShellPage(browser);
    const { page } = view;
    await page.goto(shell.url);
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toContain('#token=');
    expect(await firstRunHeading(page).count()).toBe(0);
  });

  it('a wrong token does not open the node', async () => {
    view = await newShellPage(browser);
    const { page } = view;
    await page.goto(`${shell.url}#token=${'0'.repeat(64)}`);
    // The UI must never show the first-run screen, which needs the body's answers.
    await page.waitForTimeout(1_500);
    expect(await firstRunHeading(page).count()).toBe(0);
  });
});
