import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { freePort } from '../../support/free-port';
import { firstRunHeading, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';

/**
 * QA s32 #2, in Chromium: after the shell stopped, pasting its new link (same port, new token) into
 * the same tab changes only the fragment. The page must load again and connect with the new token,
 * and the token must leave the address bar as on any start.
 */
describe('browser shell: the new link pasted into the same tab', () => {
  const e2e = useBrowserWithOwnShells();

  it('reconnects a tab that started with a token once the restarted shell’s link is pasted into it', async () => {
    const steps = new StepLog('new link, same tab');
    const port = await freePort();
    const dataDir = await e2e.tempDir('hdms-relink-');
    const first = await e2e.startShell({ dataDir, port });
    const { page } = await e2e.openPage();

    await steps.run('the tab opens with the first link, then says the node stopped', async () => {
      await page.goto(first.readyUrl);
      await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await first.stop();
      await page.getByRole('heading', { name: /HDMS Node (has stopped|cannot be reached)/ }).waitFor({ timeout: UI_TIMEOUT_MS });
    });

    await steps.run('the restarted shell’s link, pasted into the same tab, connects it again', async () => {
      const second = await e2e.startShell({ dataDir, port });
      expect(second.token).not.toBe(first.token);
      // Same origin, new fragment: what typing the link into the address bar does.
      await page.evaluate((url) => {
        window.location.href = url;
      }, second.readyUrl);
      await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await page.getByRole('heading', { name: /HDMS Node (has stopped|cannot be reached)/ }).count()).toBe(0);
      expect(page.url()).not.toContain(second.token);
      expect(page.url()).not.toContain('#code=');
    });
    console.log(steps.summary());
  });
});
