import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { UI_TIMEOUT_MS } from '../../support/shell-page';
import { fitOf } from '../../support/table-fit';
import { createVaultWithMessages } from '../../support/hl7-vault';
import { StepLog } from '../../support/test-steps';
import { searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * QA s32 #2 (a nurse at 1,000 px): the "Glucose readings" and "Blood pressure readings" tables of the
 * patient's vitals broke ranges inside ("70–" / "140", "3.9-" / "5.5"). Lab results with their ranges
 * arrive over MLLP; at 1,000 × 700 no word of either table is broken inside (test/support/table-fit.ts),
 * and the lab's critical glucose keeps its LL and its mmol/L (QA s32 #1).
 */

const MRN = 'MRN5511003';
const msh = (type: string, id: string, time: string) => `MSH|^~\\&|LAB|CLINIC|HDMS|NODE|${time}+0100||${type}|${id}|P|2.5.1`;
const PID = `PID|1||${MRN}^^^CLINIC^MR||Keller^Anna^Maria||19700505|F`;

const MESSAGES: readonly string[] = [
  [msh('ADT^A04^ADT_A01', 'VL-ADT-1', '20261120090000'), 'EVN|A04|20261120090000+0100', PID, 'PV1|1|O'].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'VL-ORU-1', '20261122083000'),
    PID,
    'OBR|1||V-1|85353-1^Vital signs panel^LN|||20261122082000+0100|||||||||||||||||F',
    'OBX|1|NM|8480-6^Systolic blood pressure^LN||142|mm[Hg]|90-140|H|||F|||20261122082000+0100',
    'OBX|2|NM|8462-4^Diastolic blood pressure^LN||88|mm[Hg]|60-90|N|||F|||20261122082000+0100',
  ].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'VL-ORU-2', '20261124081500'),
    PID,
    'OBR|1||L-2|24323-8^Metabolic panel^LN|||20261124080000+0100|||||||||||||||||F',
    'OBX|1|NM|2345-7^Glucose^LN||2.1|mmol/L|3.9-5.5|LL|||F|||20261124080000+0100',
  ].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'VL-ORU-3', '20261126081500'),
    PID,
    'OBR|1||L-3|24323-8^Metabolic panel^LN|||20261126080000+0100|||||||||||||||||F',
    'OBX|1|NM|2345-7^Glucose^LN||7.8|mmol/L|3.9-5.5|H|||F|||20261126080000+0100',
  ].join('\r'),
  // Another sender's glucose in mg/dL and systolic in kPa: converted, their values long ("10.0 mmol/L (reported as 180 mg/dL)"), the Reference column narrow.
  [
    msh('ORU^R01^ORU_R01', 'VL-ORU-4', '20261125081500'),
    PID,
    'OBR|1||L-4|24323-8^Metabolic panel^LN|||20261125080000+0100|||||||||||||||||F',
    'OBX|1|NM|2345-7^Glucose^LN||180|mg/dL|70-99|H|||F|||20261125080000+0100',
    'OBX|2|NM|8480-6^Systolic blood pressure^LN||16|kPa|12.0-18.7|N|||F|||20261125080000+0100',
  ].join('\r'),
  // Issue 11: a systolic with its own range (OBX-7) and no flag (OBX-8) is read against that range, not the general adult 90–139.
  [
    msh('ORU^R01^ORU_R01', 'VL-ORU-5', '20261127081500'),
    PID,
    'OBR|1||V-5|85353-1^Vital signs panel^LN|||20261127080000+0100|||||||||||||||||F',
    'OBX|1|NM|8480-6^Systolic blood pressure^LN||135|mm[Hg]|90-120||||F|||20261127080000+0100',
  ].join('\r'),
];

describe('the patient’s vitals tables at 1,000 px', () => {
  const e2e = useBrowserWithOwnShells();

  it('no range is broken inside in the Glucose and Blood pressure readings; the lab’s LL glucose reads 2.1 mmol/L with its flag', async () => {
    const steps = new StepLog('vitals layout');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

    await steps.run('create a vault; an admission and three results arrive over MLLP', async () => {
      await createVaultWithMessages(page, shell, port, MESSAGES);
      const found = await searchPatients(page, MRN);
      await page.goto(new URL(found.hrefs[0]!, page.url()).toString());
    });

    await steps.run('the readings tables: nothing broken inside a word or a range', async () => {
      for (const name of ['Glucose readings', 'Blood pressure readings']) {
        const table = page.getByRole('table', { name });
        await table.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        const fit = await fitOf(table);
        console.log(`${name} at 1,000 px: table ${fit.table} px, broken ${JSON.stringify(fit.broken)}`);
        expect({ name, broken: fit.broken, spilled: fit.spilled }).toEqual({ name, broken: [], spilled: [] });
        expect(fit.scrollWidth, `${name}: the table runs past its panel`).toBeLessThanOrEqual(fit.clientWidth);
      }
      const glucose = page.getByRole('table', { name: 'Glucose readings' }).locator('tbody tr');
      expect((await glucose.nth(2).locator('td').nth(2).innerText()).replace(/\s+/g, ' ')).toMatch(/^2\.1 mmol\/L ▼▼ LL/);
      expect(await glucose.nth(2).locator('.flag--critical').count()).toBe(1);
    });

    await steps.run('a reading is flagged against the range its Reference names first: its own lab range, not the general adult one', async () => {
      const newest = page.getByRole('table', { name: 'Blood pressure readings' }).locator('tbody tr').first();
      expect((await newest.locator('td').nth(2).innerText()).trim()).toBe('135 mmHg');
      expect((await newest.locator('td').nth(5).innerText()).replace(/\s+/g, ' ').trim()).toBe('High (lab range 90-120 mmHg); general adult range 90–139 mmHg');
      // The lab's H on 142 and the 135 above its own range: two highs, under the newest result's shaded lab range.
      expect(await page.locator('figcaption', { hasText: /^Blood pressure:/ }).innerText()).toMatch(/; 2 high\. Shaded: Systolic lab range 90–120 mmHg/);
    });

    expect(consoleErrors).toEqual([]);
    console.log(steps.summary());
  }, 120_000);
});
