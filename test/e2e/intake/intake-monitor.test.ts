import net from 'node:net';
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

      // Tester S35 #1, #2: German transliteration and day-first dates, through the real views.
      await steps.run('search finds a name with an umlaut by its ue/oe/ae spelling, and a birth date typed dd.mm.yyyy', async () => {
        const transliterate = (text: string) => text.normalize('NFD').replace(/([aouAOU])\u0308/gu, '$1e').normalize('NFC');
        const withUmlaut = demo.find((message) => transliterate(message.normalized.patient.name.family ?? '') !== (message.normalized.patient.name.family ?? '').normalize('NFC'));
        // Seed 5's first 40 hold Öztürk and Schäfer.
        expect(withUmlaut).toBeDefined();
        const { family } = withUmlaut!.normalized.patient.name;
        const byTransliteration = await searchPatients(page, `${transliterate(family!)} `);
        expect(byTransliteration.rows.some((row) => row.includes(withUmlaut!.normalized.patient.identifiers[0]!.value)), `${family!} as ${transliterate(family!)}`).toBe(true);
        const dated = demo.find((message) => /^\d{4}-\d{2}-\d{2}$/u.test(message.normalized.patient.birthDate ?? ''))!;
        const [year, month, day] = dated.normalized.patient.birthDate!.split('-');
        const found = await searchPatients(page, `${Number(day)}.${Number(month)}.${year!}`);
        expect(found.rows.some((row) => row.includes(dated.normalized.patient.identifiers[0]!.value))).toBe(true);
      });

      // Tester S35 #3: a sender the allow-list turns away is seen on the Intake monitor, not only in the log.
      await steps.run('an allow-list without this computer turns it away, and the Intake monitor lists the refusal', async () => {
        await goToArea(page, 'Settings');
        await page.getByLabel('Allowed peers').fill('10.20.30.40');
        await page.getByRole('button', { name: 'Save listener settings' }).click();
        await page.getByText('Listener settings saved.').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        for (let attempt = 0; attempt < 2; attempt++) {
          await new Promise<void>((resolve) => {
            const socket = net.connect({ port, host: '127.0.0.1' });
            socket.on('error', () => undefined);
            socket.on('close', () => resolve());
          });
        }
        await goToArea(page, 'Intake');
        const refused = page.getByRole('table', { name: 'Refused connections' });
        await refused.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        await expect.poll(() => refused.locator('tbody tr').first().innerText(), { timeout: UI_TIMEOUT_MS }).toMatch(/^127\.0\.0\.1\s+Not on the allowed peers list\s+2\b/);
        await page.getByText(/2 connections were refused since the listener started/).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
