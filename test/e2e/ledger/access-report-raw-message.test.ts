import { describe, expect, it } from 'vitest';
import { openAccessReport, showReport } from '../../support/access-report-ui';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { createVaultOn, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { IMPORT_TIMEOUT_MS, searchPatients, TEST_OPERATOR } from '../../support/vault-ui';

/**
 * QA11 D2 and D14, as the tester did them in Chromium: an administrator opens a patient, then in
 * the message browser opens her message and "Show the raw message". The access report lists the
 * raw message beside "Opened the patient" (before, only the patient: the raw message was coalesced
 * into the patient's window); opening the same raw message again adds nothing. A report asked
 * with From after To is the range meant, and says the dates were swapped.
 */

const ADT = [
  'MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20261206090000+0100||ADT^A01^ADT_A01|QA11-K-2|P|2.5.1',
  'EVN|A01|20261206090000+0100',
  'PID|1||MRN4411002^^^CLINIC^MR||Kill^Kora||19790512|F',
  'PV1|1|O|Clinic 2^4^1',
].join('\r');

describe('the access report lists every kind of access', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'a raw message opened after the patient is in the report in its own right; reversed dates are swapped',
    async () => {
      const steps = new StepLog('access report, raw message');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1280, height: 900 } });

      await steps.run('create a vault; a patient arrives over MLLP; open her chart', async () => {
        await createVaultOn(page, shell);
        expect((await sendOverMllp(port, Buffer.from(`${ADT}\r`, 'utf8'))).code).toBe('AA');
        await goToArea(page, 'Patients');
        await page.getByRole('status').filter({ hasText: '1 patient in the vault.' }).waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
        expect((await searchPatients(page, 'Kill')).names).toEqual(['Kill, Kora']);
        await page.getByRole('link', { name: /Kill, Kora/ }).click();
        await page.getByRole('region', { name: 'Who accessed this record' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      });

      const openRaw = async (): Promise<void> => {
        await goToArea(page, 'Intake');
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        await page.getByRole('heading', { name: 'Message browser' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        await page.getByRole('link', { name: 'QA11-K-2', exact: true }).click();
        await page.getByRole('heading', { name: 'Message QA11-K-2' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByRole('button', { name: 'Show the raw message' }).click();
        await page.getByRole('heading', { name: /^Raw message \(journal sequence \d+\)$/ }).waitFor({ timeout: UI_TIMEOUT_MS });
      };

      await steps.run('the message browser: her message, "Show the raw message" (twice)', async () => {
        await openRaw();
        await openRaw();
      });

      await steps.run('the access report by her name: the patient and the raw message, once each', async () => {
        await openAccessReport(page);
        await page.getByRole('form', { name: 'Which accesses' }).getByLabel('Patient').fill('kora');
        // The ledger signs the raw message's access soon after it is journaled.
        await expect
          .poll(async () => (await showReport(page)).map((cells) => cells.slice(1, 4)), { timeout: UI_TIMEOUT_MS, interval: 500 })
          .toEqual([
            [TEST_OPERATOR, expect.stringMatching(/^Opened a raw message \(journal record \d+\)$/), 'Kill, Kora'],
            [TEST_OPERATOR, 'Opened the patient', 'Kill, Kora'],
          ]);
      });

      await steps.run('From after To: the range meant, and a sentence saying the dates were swapped', async () => {
        const form = page.getByRole('form', { name: 'Which accesses' });
        await form.getByLabel('Patient').fill('');
        await form.getByLabel('From', { exact: true }).fill('2099-12-31');
        await form.getByLabel('To', { exact: true }).fill('2000-01-01');
        const rows = await showReport(page);
        expect(rows.length).toBeGreaterThan(0);
        await page.getByRole('status').filter({ hasText: 'The dates were in reverse order (from 2099-12-31 to 2000-01-01), so they were swapped.' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await form.getByLabel('From', { exact: true }).inputValue()).toBe('2000-01-01');
        expect(await form.getByLabel('To', { exact: true }).inputValue()).toBe('2099-12-31');
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
