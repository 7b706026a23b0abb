import type { Page } from 'playwright-core';
import { goToArea, UI_TIMEOUT_MS } from './shell-page';

/** The Ledger's Access report page, from anywhere in the unlocked app. */
export async function openAccessReport(page: Page): Promise<void> {
  await goToArea(page, 'Ledger');
  await page.getByRole('link', { name: 'Access report' }).click();
}

/**
 * "Show report" once, then the rows of the report that click asked for, each row's cells as text:
 * each click starts a new read and the table is gone ("Reading the ledger…") until it ends. Reading
 * the table right after the click saw that gap, not the report: on a loaded machine every poll did
 * (CI: "expected []"), each click restarting a read that never ended before the next look.
 */
export async function showReport(page: Page): Promise<string[][]> {
  await page.getByRole('form', { name: 'Which accesses' }).getByRole('button', { name: 'Show report' }).click();
  await page.getByRole('status').filter({ hasText: 'Reading the ledger…' }).waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  return page
    .getByRole('table', { name: 'Access report' })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').trim())));
}
