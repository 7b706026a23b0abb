import { copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBrowserAndShell } from '../support/e2e-fixture';
import { REPO_ROOT, TEST_RESULTS_DIR } from '../support/repo-paths';
import {
  documentTheme,
  exploreApp,
  exploreButton,
  goToArea,
  openFirstRun,
  reopenWithNewLink,
  settingsRadio,
} from '../support/shell-page';
import { removeDir } from '../support/shell-process';

/** Set by `npm run screenshots` (scripts/update-screenshots.mjs): also refresh the README's pictures. */
const UPDATE_README_SCREENSHOTS_ENV = 'HDMS_UPDATE_README_SCREENSHOTS';

/** A calm, stable path for the "Data folder" fact in the pictures. */
const DEMO_PARENT = path.join(os.tmpdir(), 'hdms-screenshots');
const OUT_DIR = path.join(TEST_RESULTS_DIR, 'screenshots');
const README_DIR = path.join(REPO_ROOT, 'resources', 'screenshots');
/** Shots the README shows: test-results name → resources/screenshots name. */
const README_SHOTS: Readonly<Record<string, string>> = {
  'first-run.png': 'first-run.png',
  'settings-dark.png': 'settings-dark.png',
};

describe('screenshots of the browser shell (1280×800)', () => {
  const taken: string[] = [];

  // Registered before the fixture: runs before its browser and shell start, and after they stop.
  beforeAll(async () => {
    await mkdir(OUT_DIR, { recursive: true });
    await removeDir(DEMO_PARENT);
  });
  afterAll(async () => {
    await removeDir(DEMO_PARENT);
  });
  const e2e = useBrowserAndShell({ dataDir: path.join(DEMO_PARENT, 'hdms-node') });

  it('takes the first-run screen and Settings in light and dark', async () => {
    const { page } = await e2e.openPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', deviceScaleFactor: 1 });
    const shoot = async (name: string): Promise<void> => {
      // No caret blinking or transitions in a picture.
      await page.screenshot({ path: path.join(OUT_DIR, name), animations: 'disabled', caret: 'hide' });
      taken.push(name);
    };
    await openFirstRun(page, e2e.shell);
    await expect.poll(() => exploreButton(page).isEnabled()).toBe(true);
    await shoot('first-run.png');

    await exploreApp(page);
    await goToArea(page, 'Settings');
    await settingsRadio(page, 'Theme', 'Light').check();
    await expect.poll(() => documentTheme(page)).toBe('light');
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shoot('settings-light.png');

    await settingsRadio(page, 'Theme', 'Dark').check();
    await expect.poll(() => documentTheme(page)).toBe('dark');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shoot('settings-dark.png');

    await reopenWithNewLink(page, e2e.shell);
    await exploreButton(page).waitFor({ state: 'visible' });
    await shoot('first-run-dark.png');
    expect(taken).toEqual(['first-run.png', 'settings-light.png', 'settings-dark.png', 'first-run-dark.png']);

    if (process.env[UPDATE_README_SCREENSHOTS_ENV] === '1') {
      await mkdir(README_DIR, { recursive: true });
      for (const [from, to] of Object.entries(README_SHOTS)) {
        await copyFile(path.join(OUT_DIR, from), path.join(README_DIR, to));
        console.log(`updated ${path.relative(REPO_ROOT, path.join(README_DIR, to))}`);
      }
    }
  });
});
