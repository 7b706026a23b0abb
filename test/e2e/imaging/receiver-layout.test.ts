import { describe, expect, it } from 'vitest';
import { DIMSE_STATUS } from '../../../electron/intake/dicom/dimse-command';
import { TestScu } from '../../electron/intake/dicom/dicom-test-support';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { freePort } from '../../support/free-port';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { expectFits } from '../../support/table-fit';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi } from '../../support/vault-ui';

/**
 * QA4-12 D8a, in a window of 1,000 × 700: the DICOM receiver's "Calling AE titles" table was 875 px
 * wide in an 838 px panel (its last columns cut off, the page scrolling sideways). Modalities with
 * AE titles of the full 16 characters associate, one asks for a wrong called AE title of 16
 * characters and then opens more associations than the receiver allows, so its Refused cell holds
 * the longest text the table shows; the table must keep every column inside its panel.
 */

/** AE titles of the most characters DICOM allows (16), with no place to break. */
const MODALITIES = ['CT_SCANNER_WEST1', 'MR3T_NORTHWING02', 'USCARDIOLOGY_ER3'] as const;
const WRONG_CALLED = 'ARCHIVE_PACS_SRV';
/** The receiver's default limit of associations open at once (dicom-contract's maxAssociations). */
const MAX_ASSOCIATIONS = 8;

describe('the DICOM receiver at 1,000 × 700', () => {
  const e2e = useBrowserWithOwnShells();

  it('keeps the calling AE titles table inside its panel with long AE titles and rejection reasons (QA4-12 D8a)', { timeout: 120_000 }, async () => {
    const steps = new StepLog('receiver layout 1000');
    const port = await freePort();
    const shell = await e2e.startShell({ extraArgs: ['--dicom-port', String(port)] });
    const { page, consoleErrors } = await e2e.openPage({ viewport: { width: 1000, height: 700 } });

    await steps.run('create a vault; three modalities echo, one asks for a wrong called AE title and opens more associations than allowed', async () => {
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      for (const callingAeTitle of MODALITIES) {
        const { scu, answer } = await TestScu.associate({ port, callingAeTitle });
        expect(answer.type).toBe('ac');
        scu.echo();
        expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
        scu.release();
        expect(await scu.next()).toEqual({ type: 'release-rp' });
        scu.close();
      }
      const wrong = await TestScu.associate({ port, callingAeTitle: MODALITIES[0], calledAeTitle: WRONG_CALLED });
      expect(wrong.answer.type).toBe('rj');
      wrong.scu.close();
      // One more than the limit: the last is refused (too many at once), the others stay open until the end of the step.
      const open: TestScu[] = [];
      const answers: string[] = [];
      for (let i = 0; i <= MAX_ASSOCIATIONS; i++) {
        const { scu, answer } = await TestScu.associate({ port, callingAeTitle: MODALITIES[0] });
        open.push(scu);
        answers.push(answer.type);
      }
      expect(answers.filter((type) => type === 'rj').length).toBeGreaterThanOrEqual(1);
      for (const scu of open) scu.close();
    });

    await steps.run('Imaging: the calling AE titles table keeps every column in its panel, the long values whole in a title', async () => {
      await goToArea(page, 'Imaging');
      const table = page.getByRole('table', { name: 'Calling AE titles' });
      const first = table.locator('tbody tr').filter({ hasText: MODALITIES[0] });
      // Why, in a sentence under the table; the table counts.
      const refusals = page.getByRole('list', { name: 'Refused associations' });
      await expect
        .poll(() => refusals.innerText().catch(() => ''), { timeout: UI_TIMEOUT_MS })
        .toMatch(new RegExp(`${MODALITIES[0]} at [0-9a-f.:]+: \\d+ refused, wrong called AE title \\(asked for “${WRONG_CALLED}” once\\) \\(1\\), too many associations at once`));
      expect(Number(await first.locator('td').last().innerText())).toBeGreaterThanOrEqual(2);
      for (const title of MODALITIES) expect(await table.locator('tbody tr').filter({ hasText: title }).count()).toBe(1);
      await expectFits('Calling AE titles', table);
      // The AE title, what a technician reads the row by, is whole at 1,000 px (16 characters, the most DICOM allows).
      const cutTitles = await table.locator('tbody th .cell-clip:first-child').evaluateAll((titles) => titles.filter((title) => title.scrollWidth > title.clientWidth).map((title) => title.textContent));
      expect(cutTitles).toEqual([]);
      // The wrap is the panel's: the table does not run past the panel either.
      const edges = await table.evaluate((element) => {
        const panel = element.closest('section.panel')!;
        const style = getComputedStyle(panel);
        return { table: element.getBoundingClientRect().right, panel: panel.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth) };
      });
      expect(edges.table).toBeLessThanOrEqual(edges.panel + 0.5);
    });

    expect(consoleErrors).toEqual([]);
  });
});
