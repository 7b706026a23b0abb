import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { awaitQuarantine, createVaultOn, quarantineTable, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';

/**
 * QA s33 D4 as the interface analyst met it, in Chromium: an ORU in ISO 8859-1 bytes with MSH-18
 * empty is rejected (not valid UTF-8); Reprocess… with 8859/1 stores it; the stored message's raw
 * view reads "Schäfer" and says "read as 8859/1, chosen at reprocess" (it said UNICODE UTF-8 and
 * showed "Sch�fer").
 */

const ORU = [
  'MSH|^~\\&|QA33|LAB|HDMS|NODE|20261207020000||ORU^R01|QA33-D4-1|P|2.3.1',
  'PID|1||D4-1001^^^HOSP^MR||Schäfer^Max||19700101|M',
  'OBR|1||ACC-D4|2951-2^Sodium^LN',
  'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F',
  '',
].join('\r');

describe('reprocess with a charset, then the raw view', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'reads the stored copy as the charset chosen at reprocess and says so',
    async () => {
      const steps = new StepLog('reprocess-charset-raw');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1280, height: 800 } });

      await steps.run('create a vault; send the ORU in Latin-1 bytes with MSH-18 empty: AR, quarantined', async () => {
        await createVaultOn(page, shell);
        expect((await sendOverMllp(port, Buffer.from(ORU, 'latin1'))).code).toBe('AR');
        await awaitQuarantine(page, 1);
      });

      await steps.run('Reprocess… with 8859/1: stored', async () => {
        await quarantineTable(page).getByRole('button', { name: /^Reprocess message \d+$/ }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByRole('combobox').first().selectOption('8859/1');
        await dialog.getByRole('button', { name: 'Reprocess message', exact: true }).click();
        await page.getByText('Reprocessed: every message was stored.').waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('the stored message\'s raw view reads Schäfer, "read as 8859/1, chosen at reprocess"', async () => {
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        await page.getByLabel('Control id (MSH-10)').fill('QA33-D4-1');
        await page.getByRole('button', { name: 'Search' }).click();
        const messages = page.getByRole('table', { name: 'Messages' });
        await messages.locator('tbody tr').filter({ hasText: 'Accepted' }).first().getByRole('link').first().click();
        await page.getByRole('button', { name: 'Show the raw message' }).click();
        await page.getByText(/read as 8859\/1, chosen at reprocess\./).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByText('Schäfer^Max', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await page.getByText(/Sch\uFFFDfer/).count()).toBe(0);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
