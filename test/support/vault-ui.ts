import type { Locator, Page } from 'playwright-core';
import { areaNav, goToArea, UI_TIMEOUT_MS } from './shell-page';

/**
 * The vault's screens driven by their accessible names (issue 3: first run, recovery key, demo
 * data, search, patient page, lock and unlock, backup and restore), for the end-to-end tests.
 */

/** Long and mixed: passes the policy (≥ 12 characters, strength ≥ 3). */
export const TEST_PASSPHRASE = 'Tröpfchen-Kaskade 4711 Ozean';
export const WRONG_PASSPHRASE = 'Tröpfchen-Kaskade 4711 Ozeam';
/** The first operator; staff names are not patient data. */
export const TEST_OPERATOR = 'Erika Prüfstand';

/** PBKDF2 with 600k iterations in Chromium, key generation, the first storage open: slow on a 2-core CI machine. */
export const KEY_TIMEOUT_MS = 60_000;
/** A demo import plus indexing of a few hundred patients. */
export const IMPORT_TIMEOUT_MS = 90_000;

/** Crockford base32 (recovery-key.ts): 14 groups of 4, separated by dashes, spaces or nothing. */
const RECOVERY_KEY_PATTERN = /(?:[0-9A-HJKMNP-TV-Z]{4}[\s-]*){13}[0-9A-HJKMNP-TV-Z]{4}/;

export function recoveryKeyRegion(page: Page): Locator {
  return page.getByRole('region', { name: /recovery key/i });
}

/** Reads the recovery key shown on its screen, as 14 dash-separated groups. */
export async function readRecoveryKey(page: Page): Promise<string> {
  const region = recoveryKeyRegion(page);
  await region.waitFor({ state: 'visible', timeout: KEY_TIMEOUT_MS });
  const text = await region.innerText();
  const match = RECOVERY_KEY_PATTERN.exec(text);
  if (match === null) throw new Error(`No recovery key (14 groups of 4 Crockford base32 characters) in the region "Recovery key":\n${text}`);
  const compact = match[0].replace(/[\s-]/g, '');
  return compact.match(/.{4}/g)!.join('-');
}

/**
 * First run → "Create vault" → the recovery key screen (key read, checkbox ticked, Continue) → the
 * app frame. Returns the recovery key as shown.
 */
export async function createVaultThroughUi(page: Page, options: { name?: string; passphrase?: string } = {}): Promise<string> {
  const passphrase = options.passphrase ?? TEST_PASSPHRASE;
  await page.getByLabel('Your name', { exact: true }).fill(options.name ?? TEST_OPERATOR);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm passphrase', { exact: true }).fill(passphrase);
  const create = page.getByRole('button', { name: 'Create vault', exact: true });
  await expectEnabled(create, 'Create vault stays disabled: the passphrase policy or the form refused the input');
  await create.click();
  const recoveryKey = await readRecoveryKey(page);
  const continueButton = page.getByRole('button', { name: 'Continue', exact: true });
  if (!(await continueButton.isDisabled())) throw new Error('"Continue" is enabled before the recovery key is confirmed as stored.');
  await page.getByRole('checkbox', { name: 'I have stored the recovery key' }).check();
  await continueButton.click();
  await areaNav(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return recoveryKey;
}

async function expectEnabled(locator: Locator, message: string, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await locator.isEnabled())) {
    if (Date.now() > deadline) {
      const reason = await locator.evaluate((element) => {
        const ids = (element.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
        return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
      });
      throw new Error(`${message}${reason === '' ? '' : ` (reason shown: "${reason}")`}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Imports `patients` demo patients from the form in front of the user and waits until they are
 * indexed. In Settings the form reports "Imported N demo patients (M messages)"; on the empty
 * Patients page the form gives way to the search view once the patients are in, whose status says
 * "N patients in the vault." Returns the patients counted and, when the form said so, the messages.
 */
export async function importDemoData(page: Page, patients: number): Promise<{ patients: number; messages?: number }> {
  const form = page.getByRole('form', { name: 'Import demo data' });
  await form.getByLabel('Number of patients').fill(String(patients));
  await form.getByRole('button', { name: 'Import demo data', exact: true }).click();
  const done = form.getByRole('status').filter({ hasText: /^Imported / });
  const inVault = page.getByRole('status').filter({ hasText: /[\d,]+ patients? in the vault\./ });
  const failed = form.getByRole('alert');
  const outcome = await Promise.race([
    done.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS }).then(() => 'done' as const),
    inVault.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS }).then(() => 'in-vault' as const),
    failed.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS }).then(async () => {
      throw new Error(`The demo import failed: ${await failed.innerText()}`);
    }),
  ]);
  if (outcome === 'in-vault') {
    const text = await inVault.innerText();
    return { patients: Number(/([\d,]+) patients? in the vault/.exec(text)![1]!.replace(/,/g, '')) };
  }
  const text = await done.innerText();
  const match = /Imported ([\d,]+) demo patients \(([\d,]+) messages\)/.exec(text);
  if (match === null) throw new Error(`Unexpected import summary: ${text}`);
  return { patients: Number(match[1]!.replace(/,/g, '')), messages: Number(match[2]!.replace(/,/g, '')) };
}

export function searchBox(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Search records' });
}

export interface SearchOutcome {
  /** From the status line ("3 patients found in 12 ms."). */
  readonly count: number;
  /** The names of the result rows rendered (the list is virtualized: the first screenful), in display order. */
  readonly names: readonly string[];
  /** The full text of each rendered row (name, birth date, sex, identifier). */
  readonly rows: readonly string[];
  /** The rows' links (`#/patients/<id>`). */
  readonly hrefs: readonly string[];
}

/** Types a query into "Search records", submits it and reads what was found once every visible row is decrypted. */
export async function searchPatients(page: Page, query: string, timeoutMs = UI_TIMEOUT_MS): Promise<SearchOutcome> {
  const box = searchBox(page);
  await box.waitFor({ state: 'visible', timeout: timeoutMs });
  // Empty the box first, so the status line read below belongs to this search, not the previous one.
  await box.fill('');
  await page.getByRole('status').filter({ hasText: /^Type a name/ }).waitFor({ state: 'visible', timeout: timeoutMs });
  await box.fill(query);
  await box.press('Enter');
  // A short query that matched no whole word says "No name, number or word is exactly …".
  const status = page.getByRole('status').filter({ hasText: /patients? found in|No patients match|is exactly “/ });
  await status.waitFor({ state: 'visible', timeout: timeoutMs });
  const statusText = await status.innerText();
  const none = /No patients match|is exactly “/.test(statusText);
  const count = none ? 0 : Number(/([\d,]+) patients? found/.exec(statusText)![1]!.replace(/,/g, ''));
  if (count === 0) return { count, names: [], rows: [], hrefs: [] };
  const results = page.getByRole('region', { name: 'Search results' });
  await results.getByRole('link').first().waitFor({ state: 'visible', timeout: timeoutMs });
  const collected = await collectResultRows(page, results, count, timeoutMs, query);
  const rows = collected.map((row) => row.text);
  const hrefs = collected.map((row) => row.href);
  const names = rows.map((row) => /^(.*?) Born /.exec(row)?.[1] ?? row);
  return { count, names, rows, hrefs };
}

interface ResultRowText {
  readonly position: number;
  readonly text: string;
  readonly href: string;
}

/**
 * The list is virtualized (only rows in view exist) and decrypts rows lazily ("Loading…",
 * aria-busy): reads the rendered rows by their aria-posinset, scrolling the list a viewport at a
 * time, until every one of `count` rows was read decrypted.
 */
async function collectResultRows(page: Page, results: Locator, count: number, timeoutMs: number, query: string): Promise<ResultRowText[]> {
  const byPosition = new Map<number, ResultRowText>();
  const deadline = Date.now() + timeoutMs;
  while (byPosition.size < count) {
    if (Date.now() > deadline) {
      const shown = await results.locator('li[aria-posinset]').evaluateAll((items) =>
        items.map((item) => `#${item.getAttribute('aria-posinset')} ${item.querySelector('a')?.getAttribute('aria-busy') === 'true' ? '(busy) ' : ''}${(item.textContent ?? '').trim().slice(0, 50)}`),
      );
      const alerts = await page.getByRole('alert').allInnerTexts();
      throw new Error(`Read ${byPosition.size} of ${count} result rows for "${query}" within ${timeoutMs} ms. Rendered: ${shown.join(' | ')}. Alerts: ${alerts.join(' | ') || '(none)'}`);
    }
    const visible = await results.locator('li[aria-posinset]').evaluateAll((items) =>
      items.map((item) => {
        const link = item.querySelector('a');
        return {
          position: Number(item.getAttribute('aria-posinset')),
          busy: link?.getAttribute('aria-busy') === 'true',
          text: (link?.textContent ?? '').replace(/\s+/g, ' ').trim(),
          href: link?.getAttribute('href') ?? '',
        };
      }),
    );
    for (const row of visible) if (!row.busy) byPosition.set(row.position, { position: row.position, text: row.text, href: row.href });
    if (byPosition.size >= count) break;
    if (visible.every((row) => !row.busy)) {
      // Everything in view is read: scroll the list's scroller one viewport further.
      await results.locator('li[aria-posinset]').first().evaluate((item) => {
        let scroller: HTMLElement | null = item.parentElement;
        while (scroller !== null && scroller.scrollHeight <= scroller.clientHeight) scroller = scroller.parentElement;
        if (scroller !== null) scroller.scrollTop += Math.max(scroller.clientHeight - 20, 20);
      });
    }
    await page.waitForTimeout(100);
  }
  return [...byPosition.values()].sort((a, b) => a.position - b.position);
}

/** Header "Lock" → the unlock screen. */
export async function lockVault(page: Page): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: 'Lock', exact: true }).click();
  await unlockHeading(page).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

export function unlockHeading(page: Page): Locator {
  return page.getByRole('heading', { level: 1, name: 'Unlock the vault' });
}

export function unlockButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Unlock', exact: true });
}

/** Picks the operator (by visible name, else the preselected one) and submits a passphrase; does not wait for the outcome. */
export async function submitUnlock(page: Page, passphrase: string, operatorName?: string): Promise<void> {
  const operator = page.getByRole('combobox', { name: 'Operator' });
  await operator.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  if (operatorName !== undefined) {
    const label = await operator.locator('option').filter({ hasText: operatorName }).first().innerText();
    await operator.selectOption({ label });
  }
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await expectEnabled(unlockButton(page), 'Unlock stays disabled');
  await unlockButton(page).click();
}

/** Unlocks with the right passphrase and waits for the app frame. */
export async function unlockVault(page: Page, passphrase = TEST_PASSPHRASE, operatorName?: string): Promise<void> {
  await submitUnlock(page, passphrase, operatorName);
  await areaNav(page).waitFor({ state: 'visible', timeout: KEY_TIMEOUT_MS });
}

/** Settings → Data → "Export backup"; returns the path the status line shows. */
export async function exportBackup(page: Page): Promise<string> {
  await goToArea(page, 'Settings');
  await page.getByRole('button', { name: 'Export backup', exact: true }).click();
  const written = page.getByRole('status').filter({ hasText: /Backup written/ });
  await written.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
  const code = written.locator('code');
  const path = (await code.count()) > 0 ? await code.first().innerText() : /to (\S+)\s*$/.exec(await written.innerText())?.[1];
  if (path === undefined || path.trim() === '') throw new Error(`No path in "${await written.innerText()}".`);
  return path.trim();
}

/** First run → "Restore from a backup" with the recovery key → "Backup restored" → the app frame. Returns what that screen said. */
export async function restoreWithRecoveryKey(page: Page, backupPath: string, recoveryKey: string): Promise<string> {
  await page.getByRole('button', { name: 'Restore from a backup', exact: true }).click();
  const form = page.getByRole('form', { name: 'Restore from a backup' });
  await form.getByLabel('Backup file', { exact: true }).fill(backupPath);
  await form.getByRole('radio', { name: /recovery key/i }).check();
  await form.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
  const restore = form.getByRole('button', { name: 'Restore', exact: true });
  await expectEnabled(restore, 'Restore stays disabled');
  await restore.click();
  return finishRestore(page, form.getByRole('alert'));
}

/** After Restore: the "Backup restored" summary (its text returned), then Continue into the app frame. */
export async function finishRestore(page: Page, failed: Locator): Promise<string> {
  const summary = page.getByRole('region', { name: 'What the restore did' });
  await Promise.race([
    summary.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS }),
    failed.waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS }).then(async () => {
      throw new Error(`The restore failed: ${await failed.innerText()}`);
    }),
  ]);
  const text = await summary.innerText();
  await summary.getByRole('button', { name: 'Continue', exact: true }).click();
  await areaNav(page).waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
  return text;
}
