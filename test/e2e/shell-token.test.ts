import { describe, expect, it } from 'vitest';
import { useBrowserAndShell } from '../support/e2e-fixture';
import { firstRunHeading, openFirstRun, UI_TIMEOUT_MS } from '../support/shell-page';

/**
 * The printed link carries a one-time code, traded once for the connection's token: Chromium's
 * History (on disk) keeps the link as opened, and that copy must open nothing.
 */
describe('the shell link and its token', () => {
  const e2e = useBrowserAndShell();

  it('the token is in no URL the browser loads or shows, nor in sessionStorage or localStorage', async () => {
    const { shell } = e2e;
    const view = await e2e.openPage();
    const { page } = view;
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    page.on('framenavigated', (frame) => urls.push(frame.url()));
    await openFirstRun(page, shell);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => url.includes(shell.token))).toEqual([]);
    expect(page.url()).not.toContain('code=');
    // replaceState, not a new entry: Back does not lead to the link.
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank, then the app
    // Both storages are written to the browser profile on disk.
    const stored = await page.evaluate(() =>
      [sessionStorage, localStorage].flatMap((storage) => Object.keys(storage).flatMap((key) => [key, storage.getItem(key) ?? ''])).join('\n'),
    );
    expect(stored).not.toContain(shell.token);
    expect(await page.evaluate(() => JSON.stringify(history.state))).not.toContain(shell.token);
    expect(view.consoleErrors).toEqual([]);
  });

  it('a link opens one tab once: the same link again (a second tab, or History) says it was already used', async () => {
    const { shell } = e2e;
    const link = await shell.newLink();
    const { page: first } = await e2e.openPage();
    await first.goto(link);
    await firstRunHeading(first).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const { page: second } = await e2e.openPage();
    await second.goto(link);
    const alert = second.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toMatch(/already used[\s\S]*press Enter in the terminal/);
    expect(await firstRunHeading(second).count()).toBe(0);
    // The first tab goes on working.
    expect(await firstRunHeading(first).count()).toBe(1);
  });

  it('a reload asks for a new link in words, and a new link pasted into the same tab opens the node', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await openFirstRun(page, shell);
    await page.reload();
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toMatch(/reload[\s\S]*press Enter in the terminal/);
    expect(await firstRunHeading(page).count()).toBe(0);
    // The address now differs from the link only in its fragment: the page must load itself again.
    await page.goto(await shell.newLink());
    await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(page.url()).not.toContain('code=');
  });

  it('is not in the page title or the document', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await openFirstRun(page, shell);
    const html = await page.content();
    expect(html).not.toContain(shell.token);
    expect(await page.title()).not.toContain(shell.token);
  });

  it('without a link code, the page says how to get a link instead of failing silently', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await page.goto(shell.url);
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toMatch(/#code=[\s\S]*press Enter/);
    expect(await firstRunHeading(page).count()).toBe(0);
  });

  it('a code the shell never issued, or the token itself as a code, does not open the node', async () => {
    const { shell } = e2e;
    for (const code of ['0'.repeat(64), shell.token]) {
      const { page } = await e2e.openPage();
      await page.goto(`${shell.url}#code=${code}`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await alert.textContent()).toMatch(/not from the shell that runs now/);
      expect(await firstRunHeading(page).count()).toBe(0);
    }
  });
});
