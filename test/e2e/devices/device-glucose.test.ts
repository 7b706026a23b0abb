import { describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { STANDARD_CONFIGURATIONS } from '../../../electron/intake/devices/configuration';
import { ATTR, DIM } from '../../../electron/intake/devices/nomenclature';
import { ackOf, connectMllp, withControlId } from '../../bench/mllp-load';
import { aarq, concat, configReportApdu, scanApdu, sf, sfloatBytes, timeBytes, toHex } from '../../electron/intake/devices/agent-apdus';
import { tcpAgent } from '../../support/device-agent';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { freePort } from '../../support/free-port';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS, searchPatients } from '../../support/vault-ui';

/**
 * A glucose meter that reports in mmol/L (an extended configuration: 10417's standard one is in
 * mg/dL), as a European meter does: 5.5 mmol/L is stored as 99.088 mg/dL (the factor 18.016) but
 * shown as the meter reported it, 5.5 mmol/L, in the Devices inbox as on the patient's vitals chart
 * (all in mmol/L): never the stored 99.088 (QA: "99.099 mg/dL"), nor converted where the chart is not.
 */

const SYSTEM_ID = Uint8Array.from([0x00, 0x1c, 0x05, 0xff, 0xfe, 0x65, 0x43, 0x21]);
const CONFIG_ID = 0x4005;

/** 10417's glucose meter configuration with its unit in mmol/L. */
function mmolGlucoseConfig() {
  const standard = STANDARD_CONFIGURATIONS.get(0x06a4)!.report;
  return {
    configReportId: CONFIG_ID,
    objects: standard.objects.map((object) => ({
      ...object,
      attributes: object.attributes.map((attribute) => (attribute.id === ATTR.UNIT_CODE ? { id: ATTR.UNIT_CODE, value: Uint8Array.of(DIM.MILLI_MOLE_PER_L >> 8, DIM.MILLI_MOLE_PER_L & 0xff) } : attribute)),
    })),
  };
}

describe('a glucose reading in mmol/L from a device to a patient’s chart', () => {
  const e2e = useBrowserWithOwnShells();

  it('shows 5.5 mmol/L as the meter reported it, in Devices and on the patient’s vitals alike', async () => {
    const steps = new StepLog('device glucose');
    const [mllpPort, devicePort] = [await freePort(), await freePort()];
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(mllpPort), '--device-tcp-port', String(devicePort)] });
    const { page, consoleErrors } = await e2e.openPage();
    const demo = [...generateDemoMessages({ patients: 1, seed: 17, now: new Date('2026-01-01T00:00:00Z') })][0]!;
    const mrn = demo.normalized.patient.identifiers[0]!.value;

    await steps.run('create a vault; one patient arrives over HL7', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      const sender = await connectMllp(mllpPort);
      expect(ackOf(await sender.send(withControlId(demo.raw, 'GLU-1'))).code).toBe('CA');
      await sender.close();
      await goToArea(page, 'Patients');
      await expect.poll(async () => (await searchPatients(page, mrn)).count, { timeout: IMPORT_TIMEOUT_MS }).toBe(1);
    });

    const agent = await tcpAgent(devicePort);
    await steps.run('the meter associates with its own configuration (glucose in mmol/L), which is accepted; the administrator approves it', async () => {
      agent.send(aarq(CONFIG_ID, { systemId: SYSTEM_ID }));
      expect((await agent.next(1)).type).toBe('aare');
      agent.send(configReportApdu(1, mmolGlucoseConfig()));
      const rsp = await agent.next(2);
      expect(rsp.type === 'prst' && rsp.data.invokeId).toBe(1);
      await goToArea(page, 'Devices');
      await page.getByRole('button', { name: `Approve ${toHex(SYSTEM_ID)}` }).click({ timeout: UI_TIMEOUT_MS });
      await page.getByRole('heading', { name: 'Devices awaiting approval' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    });

    await steps.run('a reading of 5.5 mmol/L shows in Devices as the meter reported it, 5.5 mmol/L, as the patient page will', async () => {
      const report = { dataReqId: 0xf000, scanReportNo: 0, persons: [{ personId: undefined, fixed: [{ objHandle: 1, obsValData: concat(sfloatBytes(sf(55, -1)), timeBytes()) }] }] };
      agent.send(scanApdu(0x2b, 'fixed', report));
      const rors = await agent.next(3);
      expect(rors.type === 'prst' && rors.data.invokeId).toBe(0x2b);
      const readings = page.getByRole('table', { name: 'Latest readings' });
      const row = readings.getByRole('row', { name: /Glucose/ });
      await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await row.innerText()).toMatch(/\t5\.5 mmol\/L\t/);
    });

    await steps.run('assigned to the patient, the reading shows in the patient’s vitals as 5.5 mmol/L, as in Devices', async () => {
      await page.getByRole('button', { name: 'Assign to a patient' }).click();
      await page.getByLabel('Find the patient').fill(mrn);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('button', { name: /^Assign to / }).click({ timeout: UI_TIMEOUT_MS });
      await page.getByRole('button', { name: 'Assign to a patient' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
      await goToArea(page, 'Patients');
      const found = await searchPatients(page, mrn);
      await page.goto(new URL(found.hrefs[0]!, page.url()).toString());
      const table = page.getByRole('table', { name: 'Glucose readings' });
      await table.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      // On the chart, in the unit the meter reported (a chart is in the unit most of its values were reported in, QA s32 #1).
      expect(await table.locator('tbody tr td').nth(2).innerText()).toBe('5.5 mmol/L');
      // The chart's caption says the latest value as the table does.
      expect(await page.locator('figcaption', { hasText: /^Glucose:/ }).innerText()).toMatch(/latest 5\.5 mmol\/L/);
    });

    agent.close();
    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
