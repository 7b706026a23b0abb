import { describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { ackOf, connectMllp, withControlId } from '../../bench/mllp-load';
import { formatViolations, seriousAxeViolations } from '../../support/axe';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Issue 11, the message browser in Chromium: messages sent over MLLP (and one the node rejects)
 * are all listed, found by control id, sender, status and patient identifier, and a row opens
 * the ACK that was sent (as journaled), the patient the records were filed under and the raw
 * message. Axe checks the browser and a message page.
 */

const MESSAGES = 12;

/** A message the node refuses (HL7 version 9.9 is not one it reads): quarantined and answered AR. */
const REJECTED = Buffer.from('MSH|^~\\&|BADAPP|EAST|HDMS|NODE|20260101000000||ADT^A01|BAD-0001|P|9.9\rEVN|A01|20260101000000\r', 'latin1');

describe('the message browser', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'lists every message received, finds them by control id, sender, status and patient, and opens one with its ACK, patient and raw bytes',
    async () => {
      const steps = new StepLog('message browser');
      const port = await freePort();
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
      const { page, consoleErrors } = await e2e.openPage({ bypassCSP: true });
      const demo = [...generateDemoMessages({ patients: MESSAGES, seed: 11, now: new Date('2026-01-01T00:00:00Z') })].slice(0, MESSAGES);
      const acks = new Map<string, string>();

      await steps.run('create a vault; send messages over MLLP, one of them rejected', async () => {
        await openFirstRun(page, shell);
        await createVaultThroughUi(page);
        await goToArea(page, 'Intake');
        await page.getByRole('cell', { name: `Listening on 127.0.0.1, port ${port}.` }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        const sender = await connectMllp(port);
        for (const [index, message] of demo.entries()) {
          const ack = await sender.send(withControlId(message.raw, `E2E-${index}`));
          acks.set(`E2E-${index}`, ack.toString('latin1'));
        }
        expect(ackOf(await sender.send(REJECTED)).code).toBe('AR');
        await sender.close();
      });

      const counted = page.getByRole('status').filter({ hasText: `Showing all ${MESSAGES + 1} messages received, newest first.` });
      await steps.run('the browser lists them all, the rejected one first', async () => {
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        await page.getByRole('heading', { name: 'Message browser' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        // The views may still be indexing the last messages: search again until all are there.
        await expect
          .poll(
            async () => {
              await page.getByRole('button', { name: 'Search' }).click();
              return counted.isVisible();
            },
            { timeout: IMPORT_TIMEOUT_MS },
          )
          .toBe(true);
        const table = page.getByRole('table', { name: 'Messages' });
        expect(await table.locator('tbody tr').count()).toBe(MESSAGES + 1);
        expect(await table.locator('tbody tr').first().innerText()).toMatch(/BAD-0001[\s\S]*BADAPP\|EAST[\s\S]*AR[\s\S]*Rejected, in quarantine/);
        const violations = await seriousAxeViolations(page);
        expect(violations, formatViolations('message browser', violations)).toEqual([]);
      });

      const table = page.getByRole('table', { name: 'Messages' });
      const controlIds = async () => (await table.locator('tbody tr th').allInnerTexts()).map((text) => text.trim());
      await steps.run('search by control id, by sender and status, and by patient identifier', async () => {
        await page.getByLabel('Control id (MSH-10)').fill('E2E-3');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: 'Showing the one message matching control id E2E-3.' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await controlIds()).toEqual(['E2E-3']);

        await page.getByRole('button', { name: 'Clear' }).click();
        await counted.waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByLabel('Sender (MSH-3 | MSH-4)').selectOption('BADAPP|EAST');
        await page.getByLabel('Status').selectOption('rejected');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: 'Showing the one message matching from BADAPP|EAST, status “Rejected, in quarantine”.' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await controlIds()).toEqual(['BAD-0001']);

        await page.getByRole('button', { name: 'Clear' }).click();
        await counted.waitFor({ timeout: UI_TIMEOUT_MS });
        const mrn = demo[5]!.normalized.patient.identifiers[0]!.value;
        const expected = demo.flatMap((message, index) => (message.normalized.patient.identifiers[0]!.value === mrn ? [`E2E-${index}`] : [])).reverse();
        await page.getByLabel('Patient identifier or name').fill(mrn);
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: `patient “${mrn}”` }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await controlIds()).toEqual(expected);
      });

      await steps.run('at 1,000 × 700, a control id is found by its start in any case (F10)', async () => {
        await page.setViewportSize({ width: 1000, height: 700 });
        await page.getByRole('button', { name: 'Clear' }).click();
        await counted.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await page.getByText('A control id matches by its start, in any case').isVisible()).toBe(true);
        await page.getByLabel('Control id (MSH-10)').fill('e2e-1');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: 'matching control id e2e-1' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await controlIds()).toEqual(['E2E-11', 'E2E-10', 'E2E-1']);
        await page.getByLabel('Control id (MSH-10)').fill('bad-000');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('status').filter({ hasText: 'matching control id bad-000' }).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await controlIds()).toEqual(['BAD-0001']);
        await page.getByRole('button', { name: 'Clear' }).click();
        await counted.waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('a row opens the message: the ACK as sent, the patient, the raw message', async () => {
        await page.getByRole('link', { name: 'E2E-5', exact: true }).click();
        await page.getByRole('heading', { name: 'Message E2E-5' }).waitFor({ timeout: UI_TIMEOUT_MS });
        // The ACK payload as the sender read it (no MLLP framing): its segments, one a line.
        const sent = acks.get('E2E-5')!.split('\r').filter((segment) => segment !== '');
        const shown = await page.getByLabel(/^Acknowledgment \d as sent$/).allInnerTexts();
        expect(shown).toEqual([sent.join('\n')]);
        const patient = demo[5]!.normalized.patient;
        const link = page.getByRole('region', { name: 'What it produced' }).getByRole('link', { name: new RegExp(patient.identifiers[0]!.value) });
        expect(await link.getAttribute('href')).toMatch(/^#\/patients\/[A-Za-z0-9_-]+$/);
        await page.getByRole('button', { name: 'Show the raw message' }).click();
        await page.getByRole('heading', { name: /^Raw message \(journal sequence \d+\)$/ }).waitFor({ timeout: UI_TIMEOUT_MS });
        const violations = await seriousAxeViolations(page);
        expect(violations, formatViolations('message page', violations)).toEqual([]);
        await link.click();
        await page.getByRole('heading', { name: new RegExp(patient.name.family) }).first().waitFor({ timeout: UI_TIMEOUT_MS });
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
