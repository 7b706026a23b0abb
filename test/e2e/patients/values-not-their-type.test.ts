import { describe, expect, it } from 'vitest';
import { connectMllp } from '../../bench/mllp-load';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { UI_TIMEOUT_MS } from '../../support/shell-page';
import { createVaultWithMessages } from '../../support/hl7-vault';
import { StepLog } from '../../support/test-steps';
import { searchPatients } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Security audit (issue 11), end to end in Chromium through the browser shell: an ORU whose OBX-2
 * is NM and OBX-5 "Zyxwvut" is answered AA and shown as sent with "(not a number: sent as NM)" by
 * report, on the flowsheet and in the trend's caption, never drawn; a PID-7 "1945XX17" reads "not a
 * valid date (sent: 1945XX17)" on the banner with no age; an MSH-18 KLINGON is answered AE, ERR 103.
 */

const MRN = 'MRN4711909';
const msh = (type: string, id: string, time: string, charset = '') => `MSH|^~\\&|LAB|CLINIC|HDMS|NODE|${time}+0100||${type}|${id}|P|2.5.1${charset === '' ? '' : `||||||${charset}`}`;
const PID = `PID|1||${MRN}^^^CLINIC^MR||Quell^Ada`;
const glucose = (id: string, day: string, value: string) =>
  [msh('ORU^R01^ORU_R01', id, `202503${day}081500`), PID, `OBR|1||F-${id}|24323-8^Metabolic panel^LN|||202503${day}080000+0100`, `OBX|1|NM|2345-7^Glucose^LN||${value}|mg/dL|70-99||||F|||202503${day}080000+0100`].join('\r');

const MESSAGES: readonly string[] = [
  [msh('ADT^A04^ADT_A01', 'VT-ADT-1', '20250309090000'), 'EVN|A04|20250309090000+0100', `PID|1||${MRN}^^^CLINIC^MR||Quell^Ada||1945XX17|F`].join('\r'),
  glucose('VT-1', '10', '90'),
  glucose('VT-2', '11', '95'),
  glucose('VT-3', '12', 'Zyxwvut'),
];

describe('values that are not what their type says', () => {
  const e2e = useBrowserWithOwnShells();

  it('text under NM flagged and never drawn, an invalid birth date said as sent, an unknown MSH-18 answered AE', async () => {
    const steps = new StepLog('values not their type');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

    await steps.run('create a vault; the four messages are answered AA', async () => {
      await createVaultWithMessages(page, shell, port, MESSAGES);
    });

    await steps.run('an MSH-18 this node does not know is answered AE with ERR 103 at MSH-18', async () => {
      const sender = await connectMllp(port);
      try {
        const ack = (await sender.send(Buffer.from(`${[msh('ADT^A04^ADT_A01', 'VT-CS-1', '20250312090000', 'KLINGON'), PID].join('\r')}\r`, 'utf8'))).toString('latin1');
        expect(ack).toMatch(/\rMSA\|AE\|VT-CS-1/);
        expect(ack).toMatch(/\rERR\|\|MSH\^1\^18\|103\^Table value not found\^HL70357\|E/);
      } finally {
        await sender.close();
      }
    });

    await steps.run('the banner: no age, the birth date as sent', async () => {
      const found = await searchPatients(page, MRN);
      expect(found.names).toEqual(['Quell, Ada']);
      await page.getByRole('link', { name: /Quell, Ada/ }).click();
      const banner = page.getByRole('region', { name: 'Quell, Ada' });
      await banner.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await banner.locator('.patient-banner__age').innerText()).toBe('Age unknown, Female (birth date: not a valid date (sent: 1945XX17))');
    });

    const results = page.getByRole('region', { name: 'Results', exact: true });
    await steps.run('by report and on the flowsheet: "Zyxwvut (not a number: sent as NM)"', async () => {
      const newest = results.getByRole('article', { name: 'Metabolic panel' }).first();
      expect((await newest.locator('tbody tr td').first().innerText()).replace(/\s+/g, ' ').trim()).toBe('Zyxwvut (not a number: sent as NM)');
      await results.getByRole('button', { name: 'Flowsheet' }).click();
      const rows = await results.getByRole('table', { name: 'Flowsheet' }).locator('tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())));
      expect(rows).toEqual([
        ['Test', '2025-03-12', '2025-03-11', '2025-03-10'],
        ['Glucose (mg/dL)', '08:00 Zyxwvut (not a number: sent as NM)', '08:00 95', '08:00 90'],
      ]);
    });

    await steps.run('the trend draws the two numbers only and names the text as the latest, not drawn', async () => {
      await results.getByRole('button', { name: 'Trends' }).click();
      const figure = results.getByRole('figure');
      await figure.locator('.trend__plot canvas').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      expect(await figure.locator('.trend__plot').getAttribute('data-points')).toBe('2');
      expect(await figure.locator('figcaption').innerText()).toContain('latest Zyxwvut (not a number: sent as NM) on 2025-03-12 08:00 (UTC+01:00) (not drawn: not a plain number)');
    });

    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
