import { describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { RECENT_SHOWN } from '../../../renderer/features/intake/monitor-tables';
import { ackOf, connectMllp, withControlId } from '../../bench/mllp-load';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS, searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * HL7 over MLLP into the browser shell while the Intake monitor is open: the listener's port, the
 * counters, the newest recent messages (all of them on request), and the patients indexed by
 * the mind and found by search.
 */

const MESSAGES = 40;

describe('the Intake monitor during an MLLP ingest', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    `counts ${MESSAGES} messages sent over MLLP, lists the newest ${RECENT_SHOWN} (all on request), and the patients are indexed and found`,
    async () => {
      const steps = new StepLog('intake monitor');
      const port = await freePort();
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
      const { page, consoleErrors } = await e2e.openPage();
      const demo = [...generateDemoMessages({ patients: MESSAGES, seed: 5, now: new Date('2026-01-01T00:00:00Z') })].slice(0, MESSAGES);
      const patients = new Set(demo.map((message) => message.normalized.patient.identifiers[0]!.value));

      await steps.run('create a vault, open the Intake monitor: the listener says its port', async () => {
        await openFirstRun(page, shell);
        await createVaultThroughUi(page);
        await goToArea(page, 'Intake');
        await page.getByRole('cell', { name: `Listening on 127.0.0.1, port ${port}.` }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      });

      await steps.run(`send ${MESSAGES} messages over 2 connections, each acknowledged`, async () => {
        const senders = await Promise.all([connectMllp(port), connectMllp(port)]);
        let next = 0;
        await Promise.all(
          senders.map(async (sender) => {
            for (let index = next++; index < demo.length; index = next++) {
              const ack = ackOf(await sender.send(withControlId(demo[index]!.raw, `E2E-${index}`)));
              expect(ack.code).toBe('CA');
            }
          }),
        );
        await Promise.all(senders.map((sender) => sender.close()));
      });

      await steps.run('the counters and the recent messages show them', async () => {
        const accepted = page.locator('.totals__item').filter({ has: page.locator('dt', { hasText: /^Accepted$/ }) }).locator('dd');
        await expect.poll(() => accepted.innerText(), { timeout: UI_TIMEOUT_MS }).toBe(String(MESSAGES));
        const recent = page.getByRole('table', { name: 'Recent messages' });
        await page.getByText(`Showing the newest ${RECENT_SHOWN} of ${MESSAGES} recent messages.`).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        expect(await recent.locator('tbody tr').count()).toBe(RECENT_SHOWN);
        await page.getByRole('button', { name: `Show all ${MESSAGES}` }).click();
        await expect.poll(() => recent.locator('tbody tr').count()).toBe(MESSAGES);
        expect(await recent.locator('tbody tr').first().innerText()).toMatch(/E2E-\d+/);
      });

      await steps.run('the mind indexed every patient: Patients counts them and finds the last one sent', async () => {
        await goToArea(page, 'Patients');
        await page
          .getByRole('status')
          .filter({ hasText: `${patients.size} patients in the vault.` })
          .waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
        const last = demo.at(-1)!.normalized.patient.identifiers[0]!.value;
        const found = await searchPatients(page, last);
        expect(found.count).toBe(1);
        expect(found.rows[0]).toContain(last);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
