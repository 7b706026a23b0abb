import { describe, expect, it } from 'vitest';
import { ackOf, connectMllp } from '../../bench/mllp-load';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { formatViolations, seriousAxeViolations } from '../../support/axe';
import { goToArea, isFocused, reopenWithNewLink, UI_TIMEOUT_MS } from '../../support/shell-page';
import { createVaultWithMessages } from '../../support/hl7-vault';
import { StepLog } from '../../support/test-steps';
import { lockVault, searchBox, searchPatients, unlockVault } from '../../support/vault-ui';
import { freePort } from '../../support/free-port';

/**
 * Issue 11, "Patients, as a clinician uses them", end to end in Chromium through the browser shell
 * at 1,000 × 700: an admission, an update with only a business phone, three lab results and a correction of the last
 * arrive over MLLP; the ORUs' PIDs carry no address and the update no home phone, which must not blank the admission's. The banner, the results by report with their
 * comments and critical flags, the flowsheet and the trend chart are checked against the messages
 * below; a partial MRN finds the patient, "/" focuses the search, and lock/unlock comes back.
 */

const MRN = 'MRN4711002';
const msh = (type: string, id: string, time: string) => `MSH|^~\\&|LAB|CLINIC|HDMS|NODE|${time}+0100||${type}|${id}|P|2.5.1`;
const LAB_PID = `PID|1||${MRN}^^^CLINIC^MR||Brunner^Lea`;

const MESSAGES: readonly string[] = [
  [
    msh('ADT^A01^ADT_A01', 'E2E-ADT-1', '20250210090000'),
    'EVN|A01|20250210090000+0100',
    `PID|1||${MRN}^^^CLINIC^MR~756.1234.5678.97^^^CH^NI||Brunner^Lea||19800203|F|||Hauptstrasse 5^^Bern^^3011^CH||031 555 12 12`,
    'PV1|1|I|Ward 3^12^1||||^Weiss^Anna' + '|'.repeat(37) + '20250210083000+0100',
    'AL1|1|DA|7980^Penicillin G^RXNORM|SV|Urticaria',
    'AL1|2|DA|1191^Aspirin^RXNORM|MI|Rash',
  ].join('\r'),
  // An update with only a business phone (PID-14): the home phone the admission gave stays (QA D13).
  // It repeats the penicillin allergy unchanged (QA D6: the Records table listed it twice).
  [msh('ADT^A08^ADT_A01', 'E2E-ADT-2', '20250210100000'), 'EVN|A08|20250210100000+0100', `PID|1||${MRN}^^^CLINIC^MR||Brunner^Lea|||||||||031 999 99 99`, 'AL1|1|DA|7980^Penicillin G^RXNORM|SV|Urticaria'].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'E2E-ORU-1', '20250211081500'),
    LAB_PID,
    'OBR|1||F-100|24323-8^Metabolic panel^LN|||20250211080000+0100|||||||||||||||||F',
    'NTE|1|L|Specimen slightly haemolysed.',
    'OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.1|N|||F|||20250211080000+0100',
    'OBX|2|NM|8310-5^Body temperature^LN||38.4|Cel|36.1-37.5|H|||F|||20250211080000+0100',
  ].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'E2E-ORU-2', '20250213081500'),
    LAB_PID,
    'OBR|1||F-101|24323-8^Metabolic panel^LN|||20250213080000+0100|||||||||||||||||F',
    'OBX|1|NM|2823-3^Potassium^LN||6.8|mmol/L|3.5-5.1|HH|||F|||20250213080000+0100',
    'NTE|1|L|Called to ward 3 at 08:20.',
    'OBX|2|NM|2345-7^Glucose^LN||9.4|mmol/L|3.9-5.5|H|||F|||20250213080000+0100',
  ].join('\r'),
  [
    msh('ORU^R01^ORU_R01', 'E2E-ORU-3', '20250215081500'),
    LAB_PID,
    'OBR|1||F-102|24323-8^Metabolic panel^LN|||20250215080000+0100|||||||||||||||||F',
    'NTE|1|L|Drawn at 07:40.',
    'OBX|1|NM|2823-3^Potassium^LN||5.0|mmol/L|3.5-5.1|N|||F|||20250215080000+0100',
  ].join('\r'),
  // The lab corrects that potassium (OBX-11 C, same filler order): 5.6 replaces 5.0 everywhere (QA D0).
  [
    msh('ORU^R01^ORU_R01', 'E2E-ORU-4', '20250215101500'),
    LAB_PID,
    'OBR|1||F-102|24323-8^Metabolic panel^LN|||20250215080000+0100|||||||||||||||||C',
    'NTE|1|L|Corrected result.\\.br\\Ward informed.',
    'OBX|1|NM|2823-3^Potassium^LN||5.6|mmol/L|3.5-5.1|H|||C|||20250215080000+0100',
  ].join('\r'),
];

describe('a patient as a clinician uses it', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'banner, results by report, flowsheet and trend from HL7 over MLLP at 1,000 × 700; partial MRN, "/", lock and unlock',
    async () => {
      const steps = new StepLog('patient chart');
      const port = await freePort();
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
      const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

      await steps.run('create a vault and send an admission, three results and a correction over MLLP', async () => {
        await createVaultWithMessages(page, shell, port, MESSAGES);
      });

      await steps.run('"/" focuses the search; two letters ask for three; a partial MRN finds the patient', async () => {
        await page.locator('main h1').click();
        await page.keyboard.press('/');
        await expect.poll(() => isFocused(searchBox(page))).toBe(true);
        await page.getByRole('status').filter({ hasText: /^Type a name, MRN \(or its first digits\), code or word…/ }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        await searchBox(page).fill('MR');
        await page.getByRole('status').filter({ hasText: /^Type at least 3 letters/ }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        // F9: the digits alone, by their start (staff often say only the number).
        expect((await searchPatients(page, '471100')).names).toEqual(['Brunner, Lea']);
        const found = await searchPatients(page, 'MRN4711');
        expect(found.count).toBe(1);
        expect(found.names).toEqual(['Brunner, Lea']);
        await page.getByRole('link', { name: /Brunner, Lea/ }).click();
      });

      const banner = page.getByRole('region', { name: 'Brunner, Lea' });
      await steps.run('the banner: age and sex, identifiers, allergy highlighted, last visit; the address the ORUs did not send is kept', async () => {
        await banner.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        expect(await banner.locator('.patient-banner__age').innerText()).toMatch(/^\d+ y, Female \(born 1980-02-03\)$/);
        expect(await banner.getByRole('list', { name: 'Identifiers' }).getByRole('listitem').allInnerTexts()).toEqual(['MRN4711002 (CLINIC, MR)', '756.1234.5678.97 (CH, NI)']);
        const allergies = banner.getByRole('group', { name: 'Allergies' });
        // QA D6: the most severe first, then by name (alphabetical order put Aspirin first).
        expect((await allergies.getByRole('listitem').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim())).toEqual(['Penicillin G (Severe, Urticaria)', 'Aspirin (Mild, Rash)']);
        // QA D6: the A08 repeating the admission's allergy does not list it twice among the records.
        const penicillin = page.getByRole('table', { name: 'Records' }).locator('tbody tr', { hasText: 'Penicillin G' });
        await expect.poll(() => penicillin.count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
        expect(await allergies.evaluate((element) => getComputedStyle(element).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
        expect((await banner.locator('.patient-banner__visit').innerText()).replace(/\s+/g, ' ')).toBe('Last visit 2025-02-10, Inpatient, Ward 3 12 1');
        expect(await banner.innerText()).toContain('Hauptstrasse 5, 3011 Bern, CH');
        // Home and business phones apart; the A08 that sent only PID-14 kept PID-13 (QA D13).
        expect((await banner.innerText()).replace(/\s+/g, ' ')).toMatch(/Phone 031 555 12 12 Business phone 031 999 99 99/);
      });

      const results = page.getByRole('region', { name: 'Results', exact: true });
      await steps.run('results by report: the comment, the critical potassium apart from the high glucose, °C with its UCUM code', async () => {
        const reports = results.getByRole('article', { name: 'Metabolic panel' });
        expect(await reports.count()).toBe(3);
        const [newest, middle, oldest] = [reports.nth(0), reports.nth(1), reports.nth(2)];
        // The correction under its report, the value it replaced only as a note (D0); \.br\ is a line break (D20).
        expect(await newest.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^Potassium\t5\.6\s+mmol\/L\s+Corrected from 5\.0 mmol\/L\s*\t3\.5-5\.1\t/)]);
        expect(await newest.getByRole('note', { name: 'Report comments' }).innerText()).toBe('Corrected result.\nWard informed.');
        // The original report's comment, which the correction did not repeat, stays under it, marked as the earlier report's.
        expect((await newest.getByRole('note', { name: 'Comments on the earlier report' }).innerText()).replace(/\s+/g, ' ')).toBe('From the report of 2025-02-15 08:00 (UTC+01:00): Drawn at 07:40.');
        const critical = middle.locator('tbody tr').filter({ hasText: 'Potassium' });
        expect(await critical.getAttribute('class')).toContain('result-table__row--critical');
        expect(await critical.locator('.flag--critical [aria-hidden]').innerText()).toBe('▲▲ HH');
        expect(await critical.innerText()).toContain('Called to ward 3 at 08:20.');
        const glucose = middle.locator('tbody tr').filter({ hasText: 'Glucose' });
        expect(await glucose.locator('.flag--critical').count()).toBe(0);
        expect(await glucose.locator('.flag--high [aria-hidden]').innerText()).toBe('▲ H');
        const [criticalBg, highBg] = await Promise.all([critical.locator('.flag').evaluate((e) => getComputedStyle(e).backgroundColor), glucose.locator('.flag').evaluate((e) => getComputedStyle(e).backgroundColor)]);
        expect(criticalBg).not.toBe(highBg);
        expect(await oldest.getByRole('note', { name: 'Report comments' }).innerText()).toBe('Specimen slightly haemolysed.');
        const celsius = oldest.locator('abbr.unit', { hasText: '°C' });
        expect(await celsius.getAttribute('title')).toBe('UCUM: Cel');
      });

      await steps.run('the flowsheet: tests × days with the values sent', async () => {
        await results.getByRole('button', { name: 'Flowsheet' }).click();
        const sheet = results.getByRole('table', { name: 'Flowsheet' });
        const rows = await sheet.locator('tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())));
        expect(rows).toEqual([
          ['Test', '2025-02-15', '2025-02-13', '2025-02-11'],
          ['Body temperature (°C)', '', '', '08:00 38.4 ▲ HHigh'],
          ['Glucose (mmol/L)', '', '08:00 9.4 ▲ HHigh', ''],
          ['Potassium (mmol/L)', '08:00 5.6 ▲ HHighCorrected from 5.0 mmol/L', '08:00 6.8 ▲▲ HHCritically high', '08:00 4.2'],
        ]);
      });

      await steps.run('the trend of potassium: a uPlot chart with the reference band and the values sent', async () => {
        await results.getByRole('button', { name: 'Trends' }).click();
        expect(await results.getByRole('combobox', { name: 'Test' }).inputValue()).toBe('LN|2823-3');
        const figure = results.getByRole('figure');
        expect(await figure.locator('figcaption').innerText()).toBe(
          'Potassium: 3 results from 2025-02-11 08:00 (UTC+01:00) to 2025-02-15 08:00 (UTC+01:00); latest 5.6 mmol/L; reference range 3.5–5.1 mmol/L (shaded).',
        );
        const canvas = figure.locator('.trend__plot canvas');
        await canvas.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        expect(await figure.locator('.trend__plot').getAttribute('data-points')).toBe('3');
        // The band is painted: a pixel in the middle of the range has the band's colour, not the background.
        const painted = await canvas.evaluate((element) => {
          const c = element as HTMLCanvasElement;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let coloured = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0) coloured++;
          return coloured;
        });
        expect(painted).toBeGreaterThan(1000);
        // QA D3: hovering the newest point, the legend says its time as the page does, with its zone
        // (uPlot formatted in this computer's zone: "2025-02-15 07:00" on a UTC machine).
        const overlay = figure.locator('.u-over');
        await overlay.scrollIntoViewIfNeeded();
        const over = (await overlay.boundingBox())!;
        // Issue 11 F18: before any hover the legend shows the newest result, not "Time: – Potassium: –".
        const legendValues = () => figure.locator('.u-legend .u-series .u-value').allInnerTexts();
        await expect.poll(legendValues, { timeout: UI_TIMEOUT_MS }).toEqual(['2025-02-15 08:00 (UTC+01:00)', '5.6 mmol/L']);
        await overlay.hover({ position: { x: over.width - 2, y: over.height / 2 } });
        await expect.poll(() => figure.locator('.u-legend .u-series').first().locator('.u-value').innerText(), { timeout: UI_TIMEOUT_MS }).toBe('2025-02-15 08:00 (UTC+01:00)');
        await overlay.hover({ position: { x: 2, y: over.height / 2 } });
        await expect.poll(() => figure.locator('.u-legend .u-series').first().locator('.u-value').innerText(), { timeout: UI_TIMEOUT_MS }).toBe('2025-02-11 08:00 (UTC+01:00)');
        // And again once the pointer leaves the chart.
        await figure.locator('figcaption').hover();
        await expect.poll(legendValues, { timeout: UI_TIMEOUT_MS }).toEqual(['2025-02-15 08:00 (UTC+01:00)', '5.6 mmol/L']);
        await figure.locator('summary', { hasText: 'Values' }).click();
        const values = await figure
          .getByRole('table', { name: 'Potassium values' })
          .locator('tbody tr')
          .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((cell) => (cell.querySelector('[aria-hidden]') ?? cell).textContent ?? '')));
        expect(values).toEqual([
          ['2025-02-15 08:00 (UTC+01:00)', '5.6 mmol/L, corrected from 5.0 mmol/L', '▲ H'],
          ['2025-02-13 08:00 (UTC+01:00)', '6.8 mmol/L', '▲▲ HH'],
          ['2025-02-11 08:00 (UTC+01:00)', '4.2 mmol/L', ''],
        ]);
      });

      await steps.run('at 1,000 × 700 the sidebar is collapsed and the tables keep their columns', async () => {
        const nav = page.getByRole('navigation', { name: 'Areas' });
        expect((await nav.boundingBox())!.width).toBeLessThan(80);
        expect(await nav.getByRole('link', { name: 'Patients' }).count()).toBe(1);
        await results.getByRole('button', { name: 'By report' }).click();
        // Every cell of the patient tables but free text stays on one line (no mid-word wraps).
        const wrapped = await page.locator('.result-table, .record-table').evaluateAll((tables) =>
          tables.flatMap((table) =>
            [...table.querySelectorAll('td, th')]
              // A corrected value's note (what it replaced) is a second line on purpose.
              .filter((cell) => !cell.classList.contains('result-table__test') && !cell.classList.contains('record-table__value') && cell.querySelector('.result-corrected') === null)
              .filter((cell) => {
                // The lines the visible text occupies (text for screen readers only is left out).
                const tops = new Set<number>();
                const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
                  if (node.parentElement?.closest('.visually-hidden') !== null) continue;
                  const range = document.createRange();
                  range.selectNodeContents(node);
                  for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top + rect.height / 2));
                }
                const sorted = [...tops].sort((x, y) => x - y);
                // Baselines differ by a pixel or two between a badge and plain text: a new line is a jump of 8 px or more.
                return sorted.some((top, index) => index > 0 && top - sorted[index - 1]! >= 8);
              })
              .map((cell) => cell.textContent ?? ''),
          ),
        );
        expect(wrapped).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      });

      await steps.run('lock and unlock return to the patient', async () => {
        await lockVault(page);
        // The address is cleared at a lock (415005c, tester T1 S35 F14): the page is kept for the operator who locked.
        expect(await page.evaluate(() => window.location.hash)).toBe('#/');
        await unlockVault(page);
        await banner.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      });

      await steps.run('axe finds no serious violation on the patient page: banner, by report, flowsheet, trend', async () => {
        // A second window with bypassCSP, only so axe-core can be injected; the first ran under the real CSP.
        const { page: audit } = await e2e.openPage({ viewport: { width: 1000, height: 700 }, bypassCSP: true });
        await reopenWithNewLink(audit, shell);
        await unlockVault(audit);
        const hash = await page.evaluate(() => window.location.hash);
        await audit.evaluate((target) => (window.location.hash = target), hash);
        const auditResults = audit.getByRole('region', { name: 'Results', exact: true });
        await auditResults.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        const report: string[] = [];
        let total = 0;
        for (const view of ['By report', 'Flowsheet', 'Trends'] as const) {
          await auditResults.getByRole('button', { name: view }).click();
          if (view === 'Trends') await auditResults.locator('.trend__plot canvas').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
          const violations = await seriousAxeViolations(audit);
          total += violations.length;
          report.push(formatViolations(`patient page, ${view}`, violations));
        }
        expect(total, report.join('\n')).toBe(0);
      });

      // QA2-11 Q8: a newer critical "> 7.0" is not a point; the chart ended before it and the caption called 5.6 "latest".
      await steps.run('a newer critical potassium "> 7.0" is named the latest and marked on the chart, not left off its end', async () => {
        const sender = await connectMllp(port);
        const critical = [
          msh('ORU^R01^ORU_R01', 'E2E-ORU-5', '20250216081500'),
          LAB_PID,
          'OBR|1||F-103|24323-8^Metabolic panel^LN|||20250216080000+0100|||||||||||||||||F',
          'OBX|1|NM|2823-3^Potassium^LN||>7.0|mmol/L|3.5-5.1|HH|||F|||20250216080000+0100',
        ].join('\r');
        expect(ackOf(await sender.send(Buffer.from(`${critical}\r`, 'utf8'))).code).toBe('AA');
        await sender.close();
        await goToArea(page, 'Patients');
        const found = await searchPatients(page, 'MRN4711');
        expect(found.count).toBe(1);
        await page.getByRole('link', { name: /Brunner, Lea/ }).click();
        await results.getByRole('button', { name: 'Trends' }).click();
        const figure = results.getByRole('figure');
        await expect.poll(() => figure.getByRole('note', { name: 'Latest result' }).count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
        expect(await figure.getByRole('note', { name: 'Latest result' }).innerText()).toBe('Latest result: > 7.0 mmol/L on 2025-02-16 08:00 (UTC+01:00), Critically high — not drawn on the chart (not a plain number).');
        expect(await figure.locator('figcaption').innerText()).toMatch(/^Potassium: latest > 7\.0 mmol\/L on 2025-02-16 08:00 \(UTC\+01:00\), Critically high \(not drawn: not a plain number\); 3 results drawn from /);
        const canvas = figure.locator('.trend__plot canvas');
        await canvas.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        // The mark is painted in the danger colour, in the right part of the chart (its time is the newest).
        const marked = await canvas.evaluate((element) => {
          const c = element as HTMLCanvasElement;
          const probe = document.createElement('canvas').getContext('2d')!;
          probe.fillStyle = getComputedStyle(c.closest('.trend__plot')!).getPropertyValue('--color-danger-text').trim() || '#a4161a';
          probe.fillRect(0, 0, 1, 1);
          const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let right = 0;
          let left = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) > 30 || data[i + 3]! < 200) continue;
            if ((i / 4) % c.width > c.width / 2) right++;
            else left++;
          }
          return { right, left };
        });
        expect(marked.right).toBeGreaterThan(50);
        expect(marked.left).toBe(0);
      });

      // Tester T1 D2 and D3: a result posted as wrong (OBX-11 W) was listed twice as a current critical
      // value and charted; a deleted one (D) twice under "Corrected". Table 0085: W withdraws the
      // original, D deletes it.
      await steps.run('a sodium posted as wrong (W) is withdrawn, struck through and never charted; a deleted haemoglobin (D) is gone', async () => {
        const sender = await connectMllp(port);
        const electrolytes = (id: string, sent: string, reportStatus: string, resultStatus: string) =>
          [
            msh('ORU^R01^ORU_R01', id, sent),
            LAB_PID,
            `OBR|1||F-104|24326-1^Electrolytes^LN|||20250216090000+0100|||||||||||||||||${reportStatus}`,
            `OBX|1|NM|2951-2^Sodium^LN||118|mmol/L|135-145|LL|||${resultStatus}|||20250216090000+0100`,
          ].join('\r');
        const blood = (id: string, sent: string, reportStatus: string, resultStatus: string) =>
          [
            msh('ORU^R01^ORU_R01', id, sent),
            LAB_PID,
            `OBR|1||F-105|58410-2^CBC panel^LN|||20250216093000+0100|||||||||||||||||${reportStatus}`,
            `OBX|1|NM|718-7^Hemoglobin^LN||10.8|g/dL|12.0-16.0|L|||${resultStatus}|||20250216093000+0100`,
          ].join('\r');
        for (const message of [electrolytes('E2E-ORU-6', '20250216091500', 'F', 'F'), electrolytes('E2E-ORU-7', '20250216111500', 'C', 'W'), blood('E2E-ORU-8', '20250216094500', 'F', 'F'), blood('E2E-ORU-9', '20250216114500', 'C', 'D')]) {
          expect(ackOf(await sender.send(Buffer.from(`${message}\r`, 'utf8'))).code).toBe('AA');
        }
        await sender.close();
        const electrolytesReport = results.getByRole('article', { name: 'Electrolytes' });
        const sodium = electrolytesReport.locator('tbody tr');
        // A patient's page shows the views as they were when it opened, and the four messages were
        // answered before the views took them in: open the chart again until the withdrawal and the deletion are there.
        await expect
          .poll(
            async () => {
              await goToArea(page, 'Patients');
              expect((await searchPatients(page, 'MRN4711')).count).toBe(1);
              await page.getByRole('link', { name: /Brunner, Lea/ }).click();
              await results.getByRole('button', { name: 'By report' }).click();
              await electrolytesReport.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
              // Both: the W and the D are two messages, and the views may have taken in the first only.
              return `${await sodium.locator('s').count()} struck, ${await results.getByText('Hemoglobin').count()} haemoglobin`;
            },
            { timeout: 3 * UI_TIMEOUT_MS, interval: 1000 },
          )
          .toBe('1 struck, 0 haemoglobin');
        expect(await sodium.count()).toBe(1);
        expect(await sodium.getAttribute('class')).not.toContain('critical');
        expect(await sodium.locator('s').innerText()).toBe('118 mmol/L');
        expect(await sodium.locator('.result-table__value').innerText()).toMatch(/^118 mmol\/L\s+Withdrawn by the lab \(sent in error\)$/);
        expect(await sodium.locator('.flag').count()).toBe(0);
        expect(await results.locator('p.muted').first().innerText()).toMatch(/; 1 withdrawn by the lab \(struck through\)\.$/);
        expect(await results.getByText('Hemoglobin').count()).toBe(0);
        await results.getByRole('button', { name: 'Flowsheet' }).click();
        const sheet = results.getByRole('table', { name: 'Flowsheet' });
        expect(await sheet.getByRole('row', { name: /Hemoglobin/ }).count()).toBe(0);
        const sodiumCells = await sheet
          .getByRole('row', { name: /Sodium/ })
          .locator('td')
          .evaluateAll((tds) => tds.map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()).filter((text) => text !== ''));
        // The row has no unit (no current value of it), so the struck value keeps its own.
        expect(sodiumCells).toEqual(['09:00 118 mmol/L Withdrawn by the lab (sent in error)']);
        await results.getByRole('button', { name: 'Trends' }).click();
        expect(await results.getByRole('combobox', { name: 'Test' }).locator('option').allInnerTexts()).not.toContain('Sodium');
        // The list of every record keeps both versions of each, saying why neither is current.
        const records = page.getByRole('table', { name: 'Records' });
        expect(await records.locator('tbody tr', { hasText: 'Withdrawn by the lab (sent in error)' }).count()).toBe(2);
        expect(await records.locator('tbody tr', { hasText: 'Deleted by a later message' }).count()).toBe(1);
        expect(await records.locator('tr.record-table__row--critical', { hasText: 'Sodium' }).count()).toBe(0);
        // The struck-through original's page links the W that withdrew it, and the W's page back.
        await records.locator('tbody tr', { hasText: 'Withdrawn by the lab (sent in error)' }).nth(1).getByRole('link', { name: 'Sodium' }).click();
        const history = page.getByRole('region', { name: 'History of this result' });
        await history.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        expect((await history.innerText()).replace(/\s+/g, ' ')).toMatch(/^History of this result Withdrawn by Sodium 118 mmol\/L \(withdrawn by the lab; message E2E-ORU-7\)$/);
        await history.getByRole('link', { name: /E2E-ORU-7/ }).click();
        await expect.poll(async () => (await history.innerText()).replace(/\s+/g, ' '), { timeout: UI_TIMEOUT_MS, interval: 300 }).toMatch(/^History of this result Withdraws Sodium 118 mmol\/L \(withdrawn by the lab; message E2E-ORU-6\)$/);
      });

      // QA11 D1 and D2: after an ADT^A08 renames and redates, the list shows the chart as it is now
      // (it showed the earlier name and birth date), and the earlier name and date find nothing.
      await steps.run('an A08 renames and redates her: the result list on screen and a new search show the chart as it is now', async () => {
        await goToArea(page, 'Patients');
        const before = await searchPatients(page, 'Lea');
        expect(before.rows).toHaveLength(1);
        expect(before.rows[0]).toMatch(/^Brunner, Lea Born 1980-02-03 /);
        const sender = await connectMllp(port);
        const rename = [msh('ADT^A08^ADT_A01', 'E2E-ADT-3', '20250217090000'), 'EVN|A08|20250217090000+0100', `PID|1||${MRN}^^^CLINIC^MR||Brunnar^Lea||19800204`].join('\r');
        expect(ackOf(await sender.send(Buffer.from(`${rename}\r`, 'utf8'))).code).toBe('AA');
        await sender.close();
        // The list on screen ("Lea" still matches) is read again once the views took the message in.
        const list = page.getByRole('region', { name: 'Search results' });
        await expect.poll(async () => (await list.getByRole('link').first().innerText()).replace(/\s+/g, ' '), { timeout: UI_TIMEOUT_MS, interval: 300 }).toMatch(/^Brunnar, Lea Born 1980-02-04 /);
        const renamed = await searchPatients(page, 'Brunnar');
        expect(renamed.rows).toHaveLength(1);
        expect(renamed.rows[0]).toMatch(/^Brunnar, Lea Born 1980-02-04 /);
        expect((await searchPatients(page, '1980-02-04')).count).toBe(1);
        expect((await searchPatients(page, 'Brunner')).count).toBe(0);
        expect((await searchPatients(page, '1980-02-03')).count).toBe(0);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
