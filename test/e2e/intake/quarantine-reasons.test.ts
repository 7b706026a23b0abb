import { describe, expect, it } from 'vitest';
import { expectFits, fitOf } from '../../support/table-fit';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { awaitQuarantine, createVaultOn, quarantineTable, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { StepLog } from '../../support/test-steps';

/**
 * QA s34 D2, the quarantine's Reason column at 1,000 × 800: "Non-standard delimiters in
 * MSH-1/MSH-2: …" ran out of its 112 px cell ("Non-standarc", cut under the Sender column),
 * "acknowledged" broke as "acknowledg / ed", and reasons wrapped to 7–14 lines. The README says
 * words wrap at spaces only.
 */

const NON_STANDARD = ['MSH#^~\\&#REGSYS#NORTHCLINIC#HDMS#NODE#20260301120000##ADT^A04^ADT_A01#BADENC001#P#2.5.1', 'PID#1##M1^^^NORTHCLINIC^MR##Doe^Test', ''].join('\r');
const NO_CONTROL_ID = ['MSH|^~\\&|REGSYS|NORTHCLINIC|HDMS|NODE|20260301120000||ADT^A04^ADT_A01||P|2.5.1', 'PID|1||M2^^^NORTHCLINIC^MR||Doe^Test', ''].join('\r');

describe('the quarantine’s reasons at 1,000 px', () => {
  const e2e = useBrowserWithOwnShells();

  it('keeps every word of a long reason whole, inside its cell, in a few lines', async () => {
    const steps = new StepLog('quarantine-reasons');
    const { port, shell, page } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1000, height: 800 }, bypassCSP: true });

    await steps.run('create a vault; send a message with non-standard delimiters and one without a control id (both AR)', async () => {
      await createVaultOn(page, shell);
      expect((await sendOverMllp(port, Buffer.from(NON_STANDARD))).code).toBe('AR');
      expect((await sendOverMllp(port, Buffer.from(NO_CONTROL_ID))).code).toBe('AR');
      await awaitQuarantine(page, 2);
    });

    const table = quarantineTable(page);
    await steps.run('no word is cut or broken inside; each reason stays in its cell, in at most 4 lines, whole in its title', async () => {
      await table.getByText(/Non-standard delimiters/).waitFor();
      const { broken, spilled, cut } = await fitOf(table);
      expect({ broken, spilled, cut }).toEqual({ broken: [], spilled: [], cut: [] });
      await expectFits('Quarantine', table);
      for (const reason of await table.locator('tbody .quarantine__reason').all()) {
        const cell = (await reason.boundingBox())!;
        const fit = await reason.evaluate((element) => {
          const box = element.getBoundingClientRect();
          const words: { word: string; left: number; right: number }[] = [];
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
            for (const word of (node.textContent ?? '').matchAll(/\S+/g)) {
              const range = document.createRange();
              range.setStart(node, word.index);
              range.setEnd(node, word.index + word[0].length);
              const rect = range.getBoundingClientRect();
              // A word on a clamped line (hidden below the cell) is not drawn: only the drawn ones count.
              if (rect.top < box.bottom - 1) words.push({ word: word[0], left: rect.left, right: rect.right });
            }
          }
          // The reason's text block (the cell itself is as tall as its row's stacked actions).
          const text = element.querySelector<HTMLElement>('.quarantine__reason-text') ?? element;
          const lineHeight = parseFloat(getComputedStyle(text).lineHeight);
          return { words, lines: Math.round(text.getBoundingClientRect().height / lineHeight), title: element.getAttribute('title') ?? '' };
        });
        // "Non-standarc": a word running past the cell's right edge (cut by its overflow).
        expect(fit.words.filter((word) => word.right > cell.x + cell.width + 0.5).map((word) => word.word)).toEqual([]);
        expect(fit.lines).toBeLessThanOrEqual(4);
        expect(fit.title).toMatch(/^(Non-standard delimiters in MSH-1\/MSH-2: .*standard delimiters\.|MSH-10 \(message control id\) is empty: .*acknowledged.*)$/);
      }
    });
  });
});
