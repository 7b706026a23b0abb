import { describe, expect, it } from 'vitest';
import { formatViolations, seriousAxeViolations } from '../support/axe';
import { launchBrowser } from '../support/chromium';
import { useBrowserAndShell } from '../support/e2e-fixture';
import {
  AREAS,
  documentTheme,
  exploreApp,
  firstRunHeading,
  goToArea,
  openFirstRun,
  reopenWithNewLink,
  settingsRadio,
  UI_TIMEOUT_MS,
} from '../support/shell-page';

describe.each(['light', 'dark'] as const)('accessibility (axe-core) in the %s theme', (theme) => {
  const e2e = useBrowserAndShell();

  it('finds no serious or critical violation on the first-run screen and in every area', async () => {
    // bypassCSP lets the test inject axe-core as a script; the CSP itself is checked in csp.test.ts.
    const { page } = await e2e.openPage({ bypassCSP: true, colorScheme: 'light' });
    await openFirstRun(page, e2e.shell);
    await exploreApp(page);
    await goToArea(page, 'Settings');
    await settingsRadio(page, 'Theme', theme === 'dark' ? 'Dark' : 'Light').check();
    await expect.poll(() => documentTheme(page)).toBe(theme);

    const report: string[] = [];
    let total = 0;
    for (const area of AREAS) {
      await goToArea(page, area.name);
      const violations = await seriousAxeViolations(page);
      total += violations.length;
      report.push(formatViolations(`${area.name} (${theme})`, violations));
    }
    // Opening the link again shows the first-run screen (no vault yet), in the chosen theme.
    await reopenWithNewLink(page, e2e.shell);
    await firstRunHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await documentTheme(page)).toBe(theme);
    const firstRun = await seriousAxeViolations(page);
    total += firstRun.length;
    report.push(formatViolations(`first-run screen (${theme})`, firstRun));

    expect(total, report.join('\n')).toBe(0);
  });
});

describe('the accessibility check itself', () => {
  it('reports a serious violation when there is one (guards against a check that finds nothing because it ran on nothing)', async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await page.setContent('<!doctype html><html lang="en"><title>t</title><main><button></button><img src="data:,"></main></html>');
      const ids = (await seriousAxeViolations(page)).map((violation) => violation.id);
      expect(ids).toContain('button-name');
      expect(ids).toContain('image-alt');
    } finally {
      await browser.close();
    }
  });
});
