import { describe, expect, it } from 'vitest';
import { ackOf, connectMllp } from '../../bench/mllp-load';
import { formatViolations, seriousAxeViolations } from '../../support/axe';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Issue 11: setup ends with "Connect your first feed". The page gives the host and port the
 * listener really has; the test message it offers, sent as shown to that address over MLLP, is
 * acknowledged and appears on the page as the first message.
 */

describe('connect your first feed', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'after setup shows the address and a test message; sending that message shows it as the first one',
    async () => {
      const steps = new StepLog('first feed');
      const port = await freePort();
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
      const { page, consoleErrors } = await e2e.openPage({ bypassCSP: true });

      const shown = await steps.run('setup ends on the first-feed step, with the listener’s host and port', async () => {
        await openFirstRun(page, shell);
        await createVaultThroughUi(page);
        await page.getByRole('heading', { name: 'Connect your first feed' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByRole('button', { name: 'Copy the port' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const facts = await page.locator('dl.facts').first().innerText();
        expect(facts).toContain('127.0.0.1');
        expect(facts).toContain(String(port));
        await page.getByRole('status').filter({ hasText: 'Waiting for the first message' }).waitFor({ timeout: UI_TIMEOUT_MS });
        // An empty vault and its administrator: demo data is offered.
        await page.getByRole('form', { name: 'Import demo data' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const violations = await seriousAxeViolations(page);
        expect(violations, formatViolations('first feed', violations)).toEqual([]);
        return (await page.getByLabel('Test message', { exact: true }).innerText()).split('\n').join('\r');
      });

      await steps.run('the test message, sent as shown, is acknowledged and shown as the first message', async () => {
        const sender = await connectMllp(port);
        const ack = ackOf(await sender.send(Buffer.from(`${shown}\r`, 'utf8')));
        await sender.close();
        expect(ack.code).toBe('AA');
        expect(ack.controlId).toMatch(/^HDMS-TEST-\d{14}$/);
        await page.getByText('The first message arrived:').waitFor({ timeout: IMPORT_TIMEOUT_MS });
        const arrived = await page.getByRole('status').filter({ hasText: 'The first message arrived:' }).innerText();
        expect(arrived).toContain(ack.controlId);
        expect(arrived).toContain('TESTSENDER|TESTFACILITY');
        // No longer empty: no demo data.
        expect(await page.getByRole('form', { name: 'Import demo data' }).count()).toBe(0);
        await page.getByRole('link', { name: 'Open it in the message browser' }).click();
        await page.getByRole('heading', { name: `Message ${ack.controlId}` }).waitFor({ timeout: UI_TIMEOUT_MS });
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );

  // Tester S35 #4: with the listener disabled for the run, the step said it was waiting for a message.
  it(
    'with --mllp-port 0 says the HL7 listener is turned off for this run and how to turn it on, and waits for nothing',
    async () => {
      const steps = new StepLog('first feed, listener off');
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', '0'] });
      const { page, consoleErrors } = await e2e.openPage();
      await steps.run('setup ends on the first-feed step, which says the listener is off and how to turn it on', async () => {
        await openFirstRun(page, shell);
        await createVaultThroughUi(page);
        await page.getByRole('heading', { name: 'Connect your first feed' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const address = page.getByRole('region', { name: '1. Give the sending system this address' });
        await address.getByText(/The HL7 listener is turned off for this run: the node was started with --mllp-port 0\./).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await address.innerText()).toContain('start the node again with --mllp-port 2575');
        const arrived = page.getByRole('region', { name: '3. The first message' });
        await arrived.getByText(/No message can arrive over MLLP while the HL7 listener is turned off/).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await arrived.innerText()).not.toContain('Waiting');
        expect(await page.getByLabel('Command that sends the test message').count()).toBe(0);
      });
      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
