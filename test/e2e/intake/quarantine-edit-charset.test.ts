import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { awaitQuarantine, createVaultOn, quarantineTable, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { IMPORT_TIMEOUT_MS, searchPatients, TEST_OPERATOR } from '../../support/vault-ui';

/**
 * QA round 4 (issue 11) #1, #8 and #13 as the tester met them, in Chromium: an ADT^A01 in
 * ISO 8859-1 bytes with MSH-18 empty is quarantined (not valid UTF-8); Edit… reads it as
 * ISO 8859-1 ("Größe", not "Gr��e"), warns of "�" when read as UTF-8 and will not send it so;
 * the edited copy files the patient as Größe, found by "größe"; the quarantined message's page
 * links to that copy; a two-letter patient query in the message browser gets the hint.
 */

const ADT = [
  'MSH|^~\\&|QA11|CS-WARD|HDMS|NODE|20261206101500||ADT^A01|QA11-CS-2|P|2.5.1',
  'EVN|A01|20261206101500',
  'PID|1||CS-7002^^^HOSP^MR||Größe^Wiebke||19800214|F',
  'PV1|1|O',
  '',
].join('\r');

describe('edit a message quarantined for its charset', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'reads it as ISO 8859-1, files Größe, and the quarantined message links to the copy',
    async () => {
      const steps = new StepLog('quarantine-edit-charset');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1000, height: 700 } });

      await steps.run('create a vault; send the ADT in Latin-1 bytes with MSH-18 empty: AR, quarantined', async () => {
        await createVaultOn(page, shell);
        expect((await sendOverMllp(port, Buffer.from(ADT, 'latin1'))).code).toBe('AR');
        await awaitQuarantine(page, 1);
      });

      const table = quarantineTable(page);
      await steps.run('Edit… reads it as ISO 8859-1; read as UTF-8 it warns of "�" and will not send it', async () => {
        await table.getByRole('button', { name: /^Edit and reprocess message \d+$/ }).click();
        const dialog = page.getByRole('dialog');
        const box = dialog.getByLabel('Message, one segment a line');
        await box.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await dialog.getByLabel('Read as').inputValue()).toBe('8859/1');
        expect(await box.inputValue()).toContain('||Größe^Wiebke||');
        await dialog.getByLabel('Read as').selectOption('UNICODE UTF-8');
        await dialog.getByRole('alert').filter({ hasText: '2 characters could not be read as UNICODE UTF-8' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await dialog.getByRole('button', { name: 'Reprocess the edited message' }).isDisabled()).toBe(true);
        await dialog.getByLabel('Read as').selectOption('8859/1');
        await box.fill((await box.inputValue()).replace('PV1|1|O', 'PV1|1|I'));
        await dialog.getByText(/its MSH-18 is set to UNICODE UTF-8/).waitFor({ timeout: UI_TIMEOUT_MS });
        await dialog.getByRole('button', { name: 'Reprocess the edited message' }).click();
        await page.getByText('Reprocessed: every message was stored.').waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('the patient is Größe, Wiebke, found by "größe"', async () => {
        await goToArea(page, 'Patients');
        const found = await searchPatients(page, 'größe', IMPORT_TIMEOUT_MS);
        expect(found.count).toBe(1);
        expect(found.names).toEqual(['Größe, Wiebke']);
      });

      await steps.run('the quarantined message says it was reprocessed and links to the copy; "gr" as a patient gets the hint', async () => {
        await goToArea(page, 'Intake');
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        await page.getByLabel('Control id (MSH-10)').fill('QA11-CS-2');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: 'Showing all 2 messages matching control id QA11-CS-2, newest first.' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const messages = page.getByRole('table', { name: 'Messages' });
        await messages.locator('tbody tr').filter({ hasText: 'Quarantined, then reprocessed' }).getByRole('link').click();
        const produced = page.getByRole('region', { name: 'What it produced' });
        await produced.getByText(/It was reprocessed from the quarantine on/).waitFor({ timeout: UI_TIMEOUT_MS });
        // F12: the administrator sees who edited it by name (the ledger's operator of the reprocess act).
        await produced.getByRole('link', { name: new RegExp(`^Message \\d+ \\(QA11-CS-2\\), edited by ${TEST_OPERATOR}$`) }).click();
        await page.getByText('Reprocessed from', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page
          .locator('dd')
          .filter({ hasText: new RegExp(`^Quarantined message \\d+, edited by ${TEST_OPERATOR} before it was reprocessed$`) })
          .waitFor({ timeout: UI_TIMEOUT_MS });

        await page.getByRole('link', { name: '← Back to the message browser' }).click();
        await page.getByLabel('Patient identifier or name').fill('gr');
        await page.getByText('Type at least 3 letters to search by the start of a name or number.').first().waitFor({ timeout: UI_TIMEOUT_MS });
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );

  it(
    'UTF-8 bytes under MSH-18 8859/1, held for it, open read as UTF-8 ("Müller", not "MÃ¼ller") and are filed as Müller (s35 leftover 1)',
    async () => {
      const steps = new StepLog('quarantine-edit-mislabelled');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1000, height: 700 } });
      const mislabelled = ADT.replace('QA11-CS-2|P|2.5.1', 'QA11-CS-U8|P|2.5.1||||||8859/1').replace('CS-7002', 'CS-7003').replace('Größe^Wiebke', 'Müller^Jürgen');

      await steps.run('create a vault; send the ADT in UTF-8 bytes under MSH-18 8859/1: AA, held', async () => {
        await createVaultOn(page, shell);
        expect((await sendOverMllp(port, Buffer.from(mislabelled, 'utf8'))).code).toBe('AA');
        await awaitQuarantine(page, 1);
      });

      await steps.run('Edit… reads it as UTF-8 and says why; the copy is filed', async () => {
        await quarantineTable(page).getByRole('button', { name: /^Edit and reprocess message \d+$/ }).click();
        const dialog = page.getByRole('dialog');
        const box = dialog.getByLabel('Message, one segment a line');
        await box.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await dialog.getByLabel('Read as').inputValue()).toBe('UNICODE UTF-8');
        await dialog.getByText(/MSH-18 says 8859\/1, but the bytes read as UTF-8\)/).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await box.inputValue()).toContain('||Müller^Jürgen||');
        expect(await box.inputValue()).not.toContain('Ã');
        await dialog.getByRole('button', { name: 'Reprocess the edited message' }).click();
        await page.getByText('Reprocessed: every message was stored.').waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('the patient is Müller, Jürgen, found by "müller"', async () => {
        await goToArea(page, 'Patients');
        const found = await searchPatients(page, 'müller', IMPORT_TIMEOUT_MS);
        expect(found.names).toEqual(['Müller, Jürgen']);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
