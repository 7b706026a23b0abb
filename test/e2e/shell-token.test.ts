import { describe, expect, it } from 'vitest';
import { useBrowserAndShell } from '../support/e2e-fixture';
import { firstRunHeading, openFirstRun, UI_TIMEOUT_MS } from '../support/shell-page';

describe('the shell token in the address bar', () => {
  const e2e = useBrowserAndShell();

  it('is removed from the address bar and kept in memory only: never in sessionStorage or localStorage', async () => {
    const { shell } = e2e;
    const view = await e2e.openPage();
    const { page } = view;
    await openFirstRun(page, shell);
    expect(page.url()).not.toContain(shell.token);
    expect(page.url()).not.toContain('token=');
    // replaceState, not a new entry: Back does not lead to the link with the token.
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank, then the app
    // Both storages are written to the browser profile on disk.
    const stored = await page.evaluate(() =>
      [sessionStorage, localStorage].flatMap((storage) => Object.keys(storage).flatMap((key) => [key, storage.getItem(key) ?? ''])).join('\n'),
    );
    expect(stored).not.toContain(shell.token);
    expect(await page.evaluate(() => JSON.stringify(history.state))).not.toContain(shell.token);
    expect(view.consoleErrors).toEqual([]);
  });

  it('a reload asks for the printed link again, and pasting it into the same tab opens the node', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await openFirstRun(page, shell);
    await page.reload();
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toMatch(/reload[\s\S]*#token=/);
    expect(await firstRunHeading(page).count()).toBe(0);
    // The address now differs from the link only in its fragment: the page must load itself again.
    await page.goto(shell.readyUrl);
    await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(page.url()).not.toContain(shell.token);
  });

  it('is not in the page title, the document or a link a user could copy', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await openFirstRun(page, shell);
    const html = await page.content();
    expect(html).not.toContain(shell.token);
    expect(await page.title()).not.toContain(shell.token);
  });

  it('without the token, the page says how to open it instead of failing silently', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await page.goto(shell.url);
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toContain('#token=');
    expect(await firstRunHeading(page).count()).toBe(0);
  });

  it('a wrong token does not open the node', async () => {
    const { shell } = e2e;
    const { page } = await e2e.openPage();
    await page.goto(`${shell.url}#token=${'0'.repeat(64)}`);
    // The UI must never show the first-run screen, which needs the body's answers.
    await page.waitForTimeout(1_500);
    expect(await firstRunHeading(page).count()).toBe(0);
  });
});
