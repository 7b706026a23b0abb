import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { freePort } from '../../support/free-port';
import { areaLink, areaNav, goToArea, isFocused, UI_TIMEOUT_MS } from '../../support/shell-page';
import { expectFits, fitOf } from '../../support/table-fit';
import { createVaultWithMessages, sendAccepted } from '../../support/hl7-vault';
import { StepLog } from '../../support/test-steps';
import { IMPORT_TIMEOUT_MS, searchPatients } from '../../support/vault-ui';

/**
 * The flowsheet, the trend picker and the collapsed sidebar at 1,000 × 700 (QA s32 t3, issue 11
 * "Layout at 1,000 × 700: tables keep their columns, the sidebar collapses"). The results are the
 * tester's: labs and vitals on three days, a long test name ("Diastolic blood pressure", one result
 * only) and a text result with a critical flag ("Gram-positive cocci in clusters ◆◆ AA").
 *
 * - Three days fit the panel: no sideways scroll, no column cut, no word broken (the table was 921 px
 *   in an 838 px panel and the third day read "2026-11…").
 * - Many days may scroll sideways (tests × days), but then the Test column stays in view and the
 *   first four days are in view without scrolling.
 * - The Trends picker says which tests it leaves out (one numeric result, or none).
 * - The collapsed sidebar shows each link's label on hover and on keyboard focus.
 */

const MRN = '100234';
const msh = (id: string, time: string) => `MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|${time}+0100||ORU^R01^ORU_R01|${id}|P|2.5.1`;
const PID = `PID|1||${MRN}^^^CLINIC^MR||Müller^José||19580312|M`;

function labs(id: string, day: string, order: string, obx: readonly string[]): string {
  return [msh(id, `${day}081500`), PID, `OBR|1||${order}|24323-8^Metabolic panel^LN|||${day}080000+0100|||||||||||||||||F`, ...obx.map((segment) => segment.replaceAll('@', `${day}080000+0100`))].join('\r');
}

function vitals(id: string, day: string, order: string, obx: readonly string[]): string {
  return [msh(id, `${day}083000`), PID, `OBR|1||${order}|85353-1^Vital signs panel^LN|||${day}082000+0100|||||||||||||||||F`, ...obx.map((segment) => segment.replaceAll('@', `${day}082000+0100`))].join('\r');
}

const THREE_DAYS: readonly string[] = [
  labs('ORU-2001', '20261122', 'L-500', ['OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.1|N|||F|||@', 'OBX|2|NM|2951-2^Sodium^LN||128|mmol/L|135-145|L|||F|||@', 'OBX|3|NM|2345-7^Glucose^LN||5.2|mmol/L|3.9-5.5|N|||F|||@']),
  vitals('ORU-2002', '20261122', 'V-501', [
    'OBX|1|NM|8310-5^Body temperature^LN||38.4|Cel|36.1-37.5|H|||F|||@',
    'OBX|2|NM|8480-6^Systolic blood pressure^LN||142|mm[Hg]|90-140|H|||F|||@',
    'OBX|3|NM|8462-4^Diastolic blood pressure^LN||88|mm[Hg]|60-90|N|||F|||@',
  ]),
  labs('ORU-2003', '20261124', 'L-502', [
    'OBX|1|NM|2823-3^Potassium^LN||6.9|mmol/L|3.5-5.1|HH|||F|||@',
    'OBX|2|NM|2951-2^Sodium^LN||118|mmol/L|135-145|LL|||F|||@',
    'OBX|3|NM|2345-7^Glucose^LN||2.1|mmol/L|3.9-5.5|LL|||F|||@',
    'OBX|4|ST|600-7^Blood culture^LN||Gram-positive cocci in clusters||Negative|AA|||F|||@',
  ]),
  vitals('ORU-2004', '20261124', 'V-503', ['OBX|1|NM|8310-5^Body temperature^LN||39.6|Cel|36.1-37.5|HH|||F|||@', 'OBX|2|NM|8480-6^Systolic blood pressure^LN||85|mm[Hg]|90-140|L|||F|||@']),
  labs('ORU-2005', '20261126', 'L-504', ['OBX|1|NM|2823-3^Potassium^LN||5.3|mmol/L|3.5-5.1|H|||F|||@', 'OBX|2|NM|2951-2^Sodium^LN||136|mmol/L|135-145|N|||F|||@', 'OBX|3|NM|2345-7^Glucose^LN||7.8|mmol/L|3.9-5.5|H|||F|||@']),
  vitals('ORU-2006', '20261126', 'V-505', ['OBX|1|NM|8310-5^Body temperature^LN||37.1|Cel|36.1-37.5|N|||F|||@', 'OBX|2|NM|8480-6^Systolic blood pressure^LN||118|mm[Hg]|90-140|N|||F|||@']),
];

/** Five more days of labs: eight in all, more than the panel holds. */
const FIVE_MORE_DAYS: readonly string[] = ['20261127', '20261128', '20261129', '20261130', '20261201'].map((day, index) =>
  labs(`ORU-21${index}`, day, `L-6${index}`, ['OBX|1|NM|2823-3^Potassium^LN||6.1|mmol/L|3.5-5.1|HH|||F|||@', 'OBX|2|NM|2951-2^Sodium^LN||131|mmol/L|135-145|L|||F|||@']),
);

/**
 * Tester H8 F5: a CBC report with critical LL and HH rows, long LOINC names and an NTE under a test
 * (the bold critical value, the "▲▲ HH" chip and the comment) made its results table 860 px in an
 * 838 px card, the Time column cut to "2026-12-01 10:0". On a day the flowsheet already has.
 */
const CRITICAL_CBC = [
  msh('ORU-2201', '20261201110000'),
  PID,
  'OBR|1|ORD111|FIL111|58410-2^CBC panel - Blood by Automated count^LN|||20261201100000+0100|||||||||1234^Shah^Priya||||||20261201105500+0100|||F',
  'NTE|1|L|Specimen slightly haemolysed; potassium may be falsely raised.',
  'OBX|1|NM|718-7^Hemoglobin [Mass/volume] in Blood^LN||6.1|g/dL|12.0-15.5|LL|||F|||20261201100000+0100',
  'OBX|2|NM|6690-2^Leukocytes [#/volume] in Blood^LN||11.2|10*3/uL|4.0-11.0|H|||F|||20261201100000+0100',
  'NTE|1|L|Repeat suggested.',
  'OBX|3|NM|2823-3^Potassium [Moles/volume] in Serum or Plasma^LN||6.8|mmol/L|3.5-5.1|HH|||F|||20261201100000+0100',
].join('\r');

async function openJose(page: Page): Promise<Locator> {
  await goToArea(page, 'Patients');
  const found = await searchPatients(page, MRN);
  expect(found.count).toBe(1);
  await page.getByRole('link', { name: /Müller, José/ }).click();
  const results = page.getByRole('region', { name: 'Results', exact: true });
  await results.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return results;
}

/** Where a collapsed link's label is and whether it is seen: its box, and whether it is on top at its middle. */
function labelShown(link: Locator): Promise<{ width: number; height: number; inViewport: boolean; onTop: boolean; text: string }> {
  return link.evaluate((element) => {
    const label = element.querySelector('span')!;
    const box = label.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {
      width: Math.round(box.width),
      height: Math.round(box.height),
      inViewport: box.left >= 0 && box.top >= 0 && box.right <= window.innerWidth && box.bottom <= window.innerHeight,
      onTop: hit !== null && label.contains(hit),
      text: (label.textContent ?? '').trim(),
    };
  });
}

describe('the flowsheet, the trend picker and the sidebar at 1,000 × 700', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'three days fit; many days scroll with the Test column in view; Trends names what it leaves out; the sidebar labels show on hover and focus',
    async () => {
      const steps = new StepLog('flowsheet layout');
      const port = await freePort();
      const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(port)] });
      const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

      await steps.run('create a vault and send three days of labs and vitals over MLLP', async () => {
        await createVaultWithMessages(page, shell, port, THREE_DAYS);
      });

      let results = await openJose(page);
      await steps.run('three days: the flowsheet fits its panel, every column whole, no word broken', async () => {
        await results.getByRole('button', { name: 'Flowsheet' }).click();
        const sheet = results.getByRole('table', { name: 'Flowsheet' });
        expect(await sheet.locator('thead th').allInnerTexts()).toEqual(['Test', '2026-11-26', '2026-11-24', '2026-11-22']);
        expect((await sheet.locator('tbody tr', { hasText: 'Blood culture' }).innerText()).replace(/\s+/g, ' ')).toContain('Gram-positive cocci in clusters ◆◆ AA');
        await expectFits('Flowsheet, three days', sheet);
        // Numbers stay on one line with their time and flag: only test names and text results wrap, between words.
        const numericLines = await sheet.locator('tbody tr', { hasText: 'Potassium' }).locator('td').evaluateAll((cells) => cells.map((cell) => Math.round(cell.getBoundingClientRect().height)));
        const rowHeight = await sheet.locator('tbody tr', { hasText: 'Sodium' }).evaluate((row) => Math.round(row.getBoundingClientRect().height));
        expect(Math.max(...numericLines)).toBeLessThanOrEqual(rowHeight);
      });

      await steps.run('Trends: the picker says which tests have no trend and where they are', async () => {
        await results.getByRole('button', { name: 'Trends' }).click();
        const picker = results.getByRole('combobox', { name: 'Test' });
        expect(await picker.locator('option').allInnerTexts()).toEqual(['Body temperature', 'Glucose', 'Potassium', 'Sodium', 'Systolic blood pressure']);
        const note = results.getByText(/^Not in this list/);
        expect(await note.innerText()).toBe('Not in this list (fewer than two numeric results; the flowsheet shows them): Blood culture (no numeric result), Diastolic blood pressure (one numeric result).');
        // Screen readers hear it with the picker.
        expect(await picker.evaluate((element) => element.getAttribute('aria-describedby')?.split(' ').some((id) => document.getElementById(id)?.textContent?.startsWith('Not in this list')))).toBe(true);
      });

      await steps.run('the collapsed sidebar: a label shows on keyboard focus and on hover, not otherwise', async () => {
        const nav = areaNav(page);
        expect((await nav.boundingBox())!.width).toBeLessThan(80);
        const patients = areaLink(page, 'Patients');
        const intake = areaLink(page, 'Intake');
        const hidden = await labelShown(patients);
        expect(hidden.width).toBeLessThanOrEqual(1);
        // Keyboard: focus the link before, then Tab (focus from the keyboard, as a user moves it).
        await intake.focus();
        await page.keyboard.press('Tab');
        expect(await isFocused(patients)).toBe(true);
        const focused = await labelShown(patients);
        expect(focused).toEqual({ width: expect.any(Number), height: expect.any(Number), inViewport: true, onTop: true, text: 'Patients' });
        expect(focused.width).toBeGreaterThan(40);
        // Escape hides it without moving focus (WCAG 1.4.13: dismissible).
        await page.keyboard.press('Escape');
        expect(await isFocused(patients)).toBe(true);
        expect((await labelShown(patients)).width).toBeLessThanOrEqual(1);
        await patients.evaluate((element) => (element as HTMLElement).blur());
        // Hover: the label of the link under the pointer, and only that one.
        const devices = areaLink(page, 'Devices');
        await devices.hover();
        const hovered = await labelShown(devices);
        expect(hovered).toEqual({ width: expect.any(Number), height: expect.any(Number), inViewport: true, onTop: true, text: 'Devices' });
        expect((await labelShown(intake)).width).toBeLessThanOrEqual(1);
        await page.mouse.move(600, 650);
        expect((await labelShown(devices)).width).toBeLessThanOrEqual(1);
      });

      await steps.run('eight days: the flowsheet scrolls sideways, the Test column stays in view, four days in view at first', async () => {
        await sendAccepted(port, FIVE_MORE_DAYS);
        // The page reads the chart when it opens: open it again until the views took the new days in.
        const sheet = page.getByRole('table', { name: 'Flowsheet' });
        await expect
          .poll(
            async () => {
              results = await openJose(page);
              await results.getByRole('button', { name: 'Flowsheet' }).click();
              return sheet.locator('thead th').count();
            },
            { timeout: IMPORT_TIMEOUT_MS, interval: 1000 },
          )
          .toBe(9);
        const fit = await fitOf(sheet);
        const widths = await sheet.locator('thead th').evaluateAll((heads) => heads.map((head) => Math.round(head.getBoundingClientRect().width)));
        console.log(`Flowsheet, eight days, at 1,000 px: table ${fit.table} px, wrap scrollWidth ${fit.scrollWidth} / clientWidth ${fit.clientWidth}; columns ${widths.join(', ')} px`);
        expect({ cut: fit.cut, spilled: fit.spilled, broken: fit.broken, untitled: fit.untitled }).toEqual({ cut: [], spilled: [], broken: [], untitled: [] });
        expect(fit.offside.length).toBeGreaterThan(0);
        expect(fit.offside.length).toBeLessThanOrEqual(4);
        const wrap = sheet.locator('xpath=..');
        await wrap.evaluate((element) => (element.scrollLeft = element.scrollWidth));
        const place = await sheet.evaluate((table) => {
          const wrapBox = table.parentElement!.getBoundingClientRect();
          const heads = [...table.querySelectorAll<HTMLElement>('.flowsheet__test')];
          return {
            scrolled: table.parentElement!.scrollLeft,
            lefts: heads.map((head) => Math.round(head.getBoundingClientRect().left - wrapBox.left)),
            // Those on screen are drawn over the day cells scrolled under them.
            onScreen: heads.filter((head) => head.getBoundingClientRect().bottom <= window.innerHeight).length,
            onTop: heads.every((head) => {
              const box = head.getBoundingClientRect();
              if (box.bottom > window.innerHeight) return true;
              const hit = document.elementFromPoint(box.left + 8, box.top + box.height / 2);
              return hit !== null && head.contains(hit);
            }),
          };
        });
        expect(place.scrolled).toBeGreaterThan(0);
        expect(new Set(place.lefts)).toEqual(new Set([place.lefts[0]]));
        expect(place.lefts[0]).toBeLessThanOrEqual(2);
        expect(place.onScreen).toBeGreaterThanOrEqual(2);
        expect(place.onTop).toBe(true);
      });

      await steps.run('a report with critical LL and HH rows and a comment under a test: its results table fits, the Time column whole (H8 F5)', async () => {
        await sendAccepted(port, [CRITICAL_CBC]);
        const table = page.getByRole('table', { name: 'CBC panel - Blood by Automated count' });
        await expect
          .poll(
            async () => {
              results = await openJose(page);
              await results.getByRole('button', { name: 'By report' }).click();
              return table.count();
            },
            { timeout: IMPORT_TIMEOUT_MS, interval: 1000 },
          )
          .toBe(1);
        const potassium = (await table.locator('tbody tr', { hasText: 'Potassium [Moles/volume]' }).innerText()).replace(/\s+/g, ' ');
        expect(potassium).toContain('6.8 mmol/L');
        expect(potassium).toContain('▲▲ HH');
        expect(potassium).toContain('2026-12-01 10:00');
        expect(await table.getByText('Repeat suggested.').count()).toBe(1);
        await expectFits('Results, CBC report with critical rows', table);
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    180_000,
  );
});
