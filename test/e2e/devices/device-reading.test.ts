import { describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { ackOf, connectMllp, withControlId } from '../../bench/mllp-load';
import { aarq, bpReport, sf, SYSTEM_ID, toHex } from '../../electron/intake/devices/agent-apdus';
import { tcpAgent } from '../../support/device-agent';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS, searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Issue 13 end to end: a scripted blood-pressure agent (the project's own APDUs, over the device
 * manager's TCP transport, which a fresh clone can run without socat) associates with the browser
 * shell's body; an administrator approves the device in the Devices area; its reading appears
 * there, is assigned to a patient found by search, and shows in that patient's vitals.
 */

describe('a blood-pressure reading from a device to a patient’s chart', () => {
  const e2e = useBrowserWithOwnShells();

  it('associates, is approved, shows in Devices, is assigned to a patient and shows in the patient’s vitals', async () => {
    const steps = new StepLog('device reading');
    const [mllpPort, devicePort] = [await freePort(), await freePort()];
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(mllpPort), '--device-tcp-port', String(devicePort)] });
    const { page, consoleErrors } = await e2e.openPage();
    const demo = [...generateDemoMessages({ patients: 1, seed: 13, now: new Date('2026-01-01T00:00:00Z') })][0]!;
    const mrn = demo.normalized.patient.identifiers[0]!.value;
    const systemId = toHex(SYSTEM_ID);

    await steps.run('create a vault; one patient arrives over HL7', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      const sender = await connectMllp(mllpPort);
      expect(ackOf(await sender.send(withControlId(demo.raw, 'DEV-1'))).code).toBe('CA');
      await sender.close();
      await goToArea(page, 'Patients');
      await expect.poll(async () => (await searchPatients(page, mrn)).count, { timeout: IMPORT_TIMEOUT_MS }).toBe(1);
    });

    const agent = await tcpAgent(devicePort);
    await steps.run('the agent associates (0x02BC): the device awaits approval; the administrator approves it', async () => {
      agent.send(aarq(0x02bc));
      expect((await agent.next(1)).type).toBe('aare');
      await goToArea(page, 'Devices');
      await page.getByRole('button', { name: `Approve ${systemId}` }).click({ timeout: UI_TIMEOUT_MS });
      await page.getByRole('heading', { name: 'Devices awaiting approval' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    });

    await steps.run('a confirmed report is answered (same invoke id) and its readings show in Devices', async () => {
      agent.send(bpReport(0x2a, { sys: sf(128), dia: sf(82), map: sf(97), pulse: sf(66) }));
      const rors = await agent.next(2);
      expect(rors.type === 'prst' && rors.data.invokeId).toBe(0x2a);
      const readings = page.getByRole('table', { name: 'Latest readings' });
      await readings.getByRole('row', { name: /Systolic blood pressure.*128 mmHg/ }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await readings.innerText()).toContain('Approved device');
    });

    await steps.run('assigned to the patient found by MRN, the reading shows in the patient’s vitals', async () => {
      await page.getByRole('button', { name: 'Assign to a patient' }).click();
      await page.getByLabel('Find the patient').fill(mrn);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('button', { name: /^Assign to / }).click({ timeout: UI_TIMEOUT_MS });
      await page.getByRole('button', { name: 'Assign to a patient' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
      await goToArea(page, 'Patients');
      const found = await searchPatients(page, mrn);
      await page.goto(new URL(found.hrefs[0]!, page.url()).toString());
      const table = page.getByRole('table', { name: 'Blood pressure readings' });
      await table.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await table.innerText()).toMatch(/Systolic\s+128 mm\[?Hg/);
      expect(await page.getByRole('table', { name: 'Pulse readings' }).innerText()).toContain('66');
    });

    agent.close();
    expect(consoleErrors).toEqual([]);
    console.log(steps.summary());
  }, 180_000);
});
