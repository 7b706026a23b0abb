import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { UI_TIMEOUT_MS } from '../../support/shell-page';
import { createVaultWithMessages } from '../../support/hl7-vault';
import { StepLog } from '../../support/test-steps';
import { searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Issue 11, patient safety, end to end in Chromium: an admission lists the MRN then the national
 * number with an allergy; the lab's ORU lists the same two identifiers the other way round with a
 * critical potassium. The lab result must land on the admitted patient's chart (one "Okafor", with
 * the allergy in the banner and the 7.1 HH under results), not on a second chart without allergies.
 */

const msh = (type: string, id: string, time: string) => `MSH|^~\\&|LAB|CITYHOSP|HDMS|NODE|${time}+0100||${type}|${id}|P|2.5.1`;

const MESSAGES: readonly string[] = [
  [
    msh('ADT^A04^ADT_A01', 'E2E-ALIAS-ADT-1', '20250302070000'),
    'EVN|A04|20250302070000+0100',
    'PID|1||MRN900102^^^CITYHOSP^MR~756.9000.0102.11^^^CH^NI||Okafor^Chidi||19720514|M',
    'PV1|1|O|Clinic A^1^1',
    'AL1|1|DA|7980^Penicillin G^RXNORM|SV|Anaphylaxis',
  ].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'E2E-ALIAS-ORU-1', '20250302081500'),
    'PID|1||756.9000.0102.11^^^CH^NI~MRN900102^^^CITYHOSP^MR||Okafor^Chidi',
    'OBR|1||F-900|24323-8^Metabolic panel^LN|||20250302074000+0100|||||||||||||||||F',
    'OBX|1|NM|2823-3^Potassium^LN||7.1|mmol/L|3.5-5.1|HH|||F|||20250302074000+0100',
  ].join('\r'),
];

describe('a lab result with the identifiers in another order', () => {
  const e2e = useBrowserWithOwnShells();

  it('lands on the admitted patient: one Okafor, with the allergy and the critical potassium', async () => {
    const steps = new StepLog('patient identifiers');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

    await steps.run('create a vault; send the A04 (MRN~AHV, allergy) and the ORU (AHV~MRN, K 7.1 HH) over MLLP', async () => {
      await createVaultWithMessages(page, shell, port, MESSAGES);
    });

    await steps.run('Patients lists one Okafor', async () => {
      const found = await searchPatients(page, 'Okafor');
      expect(found.count).toBe(1);
      expect(found.names).toEqual(['Okafor, Chidi']);
      await page.getByRole('link', { name: /Okafor, Chidi/ }).click();
    });

    await steps.run('the chart shows the allergy and the critical potassium', async () => {
      const banner = page.getByRole('region', { name: 'Okafor, Chidi' });
      await banner.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect((await banner.getByRole('group', { name: 'Allergies' }).innerText()).replace(/\s+/g, ' ')).toBe('Allergies Penicillin G (Severe, Anaphylaxis)');
      const results = page.getByRole('region', { name: 'Results' });
      const potassium = results.getByRole('article', { name: 'Metabolic panel' }).locator('tbody tr').filter({ hasText: 'Potassium' });
      await potassium.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await potassium.innerText()).toMatch(/^Potassium\t7\.1\s+mmol\/L/);
      expect(await potassium.locator('.flag--critical [aria-hidden]').innerText()).toBe('▲▲ HH');
    });

    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
