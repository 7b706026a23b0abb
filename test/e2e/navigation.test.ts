import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserAndShell } from '../support/e2e-fixture';
import {
  AREAS,
  areaHeading,
  areaLink,
  describeFocus,
  exploreButton,
  isFocused,
  openFirstRun,
} from '../support/shell-page';

/** Presses Tab until the locator has focus; fails after `max` presses with what had focus. */
async function tabTo(page: Page, target: ReturnType<Page['getByRole']>, max = 40): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await isFocused(target)) return presses;
  }
  throw new Error(`Tab never reached the target in ${max} presses; focus is on ${await describeFocus(page)}.`);
}

describe('keyboard navigation of the app frame', () => {
  const e2e = useBrowserAndShell();

  /** The first-run screen, then into the frame with the keyboard only. */
  async function enterFrameByKeyboard(): Promise<Page> {
    const { page } = await e2e.openPage();
    await openFirstRun(page, e2e.shell);
    await tabTo(page, exploreButton(page));
    await page.keyboard.press('Enter');
    await areaHeading(page, 'Intake').waitFor({ state: 'visible' });
    return page;
  }

  it('reaches "Explore the app" with Tab and opens the frame with Enter, focus on the area heading', async () => {
    const page = await enterFrameByKeyboard();
    expect(page.url()).toMatch(/#\/intake$/);
    expect(await isFocused(areaHeading(page, 'Intake')), `focus is on ${await describeFocus(page)}`).toBe(true);
  });

  it('Tab from the top of the frame reaches "Skip to content" first, and it moves focus to the content', async () => {
    const page = await enterFrameByKeyboard();
    // Drop focus: sequential navigation starts again from the top of the document, as on a fresh load.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await isFocused(skip), `first Tab stop is ${await describeFocus(page)}`).toBe(true);
    expect(await skip.isVisible(), 'the skip link becomes visible when it has focus').toBe(true);

    await page.keyboard.press('Enter');
    expect(await isFocused(areaHeading(page, 'Intake')), `focus is on ${await describeFocus(page)}`).toBe(true);
    expect(page.url(), 'the skip link leaves the route alone').toMatch(/#\/intake$/);
  });

  it('each area link, followed with the keyboard, moves focus to the area h1 and sets aria-current', async () => {
    const page = await enterFrameByKeyboard();
    // Start from the end so that every area, Intake included, is a real navigation.
    for (const area of [...AREAS].reverse()) {
      await areaLink(page, area.name).focus();
      await page.keyboard.press('Enter');
      const heading = areaHeading(page, area.name);
      await heading.waitFor({ state: 'visible' });
      await expect.poll(() => isFocused(heading), { timeout: 5_000 }).toBe(true);
      expect(page.url()).toMatch(new RegExp(`#/${area.route}$`));
      for (const other of AREAS) {
        const current = await areaLink(page, other.name).getAttribute('aria-current');
        expect(current, `aria-current of "${other.name}" while on ${area.name}`).toBe(other.name === area.name ? 'page' : null);
      }
    }
  });

  it('Back in the browser returns to the previous area', async () => {
    const page = await enterFrameByKeyboard();
    await areaLink(page, 'Devices').click();
    await areaHeading(page, 'Devices').waitFor({ state: 'visible' });
    await areaLink(page, 'Ledger').click();
    await areaHeading(page, 'Ledger').waitFor({ state: 'visible' });
    await page.goBack();
    await areaHeading(page, 'Devices').waitFor({ state: 'visible' });
    expect(await areaLink(page, 'Devices').getAttribute('aria-current')).toBe('page');
  });
});
