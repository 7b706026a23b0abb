// @vitest-environment happy-dom
import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DicomStatus } from '../../../../shared/ipc/dicom-contract';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const caller = (aeTitle: string, counts: Partial<DicomStatus['callers'][number]>): DicomStatus['callers'][number] => ({
  aeTitle,
  address: '10.0.0.5',
  associations: 2,
  received: 0,
  stored: 0,
  held: 0,
  duplicates: 0,
  conflicts: 0,
  failed: 0,
  rejected: 0,
  rejections: {},
  ...counts,
});

const STATUS: DicomStatus = {
  listener: { channel: 'dicom', state: 'listening', address: '127.0.0.1', port: 11112 },
  aeTitle: 'HDMS',
  portOverride: null,
  counters: { associations: 4, rejectedAssociations: 0, echoes: 1, received: 17, stored: 9, held: 1, duplicates: 5, conflicts: 1, failed: 1, protocolErrors: 0, bytes: 1000 },
  callers: [caller('CT_QA', { received: 15, stored: 7, held: 1, duplicates: 5, conflicts: 1, failed: 1 }), caller('MR_QA', { received: 2, stored: 2 })],
  open: [],
};

/** A row's cells as shown: the caller's AE title and address (each a line of the row head) joined by " | ". */
const cells = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((cell) => (cell.matches('tbody th') ? [...cell.children].map((line) => line.textContent).join(' | ') : cell.textContent));

describe('Imaging › DICOM receiver status (QA explore-12 D2, D4)', () => {
  it('shows received, stored, held, duplicates, conflicts and failed in total and per calling AE title', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => STATUS);
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const section = await screen.findByRole('region', { name: 'DICOM receiver' });
    await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.');
    const fact = (term: string) => within(section).getByText(term).nextElementSibling?.textContent;
    expect([fact('Instances received'), fact('Instances stored'), fact('Held (no Patient ID)'), fact('Duplicates (resent, not stored again)'), fact('Conflicts (same UID, other bytes)'), fact('Instances failed')]).toEqual(['17', '9', '1', '5', '1', '1']);
    const table = within(section).getByRole('table', { name: 'Calling AE titles' });
    const rows = within(table).getAllByRole('row');
    expect(cells(rows[0]!)).toEqual(['AE title and address', 'Associations', 'Received', 'Stored', 'Held', 'Duplicates', 'Conflicts', 'Failed', 'Refused']);
    // H6 finding 7: what each count of associations is, said once under the table and in the facts' words.
    expect(table.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(table.getAttribute('aria-describedby')!)?.textContent).toBe('Associations: those accepted, an echo or a send that stored nothing included. Refused: those not accepted.');
    expect(fact('Refused associations')).toBe('0');
    expect(cells(rows[1]!)).toEqual(['CT_QA | 10.0.0.5', '2', '15', '7', '1', '5', '1', '1', '0']);
    expect(cells(rows[2]!)).toEqual(['MR_QA | 10.0.0.5', '2', '2', '2', '0', '0', '0', '0', '0']);
    // A conflict is said in words: where the copies are. QA2-12 Q7: not 'both' (one image may have 3–7 copies), nor 'its study' (conflicts may be in several).
    expect(section.textContent).toMatch(/1 instance arrived again with other bytes under a SOP Instance UID already stored: every copy is kept; each study with such an image says so in the list, and the viewer shows the latest copy and opens the earlier ones\./);
    expect(section.textContent).not.toMatch(/both copies|its study/);
  });

  describe('live (QA4-12 D3: echoes, rejections and duplicates store nothing, so no replay refreshed it)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('follows the receiver while the page is open: an echo, a rejected association and a duplicate show within a few seconds', async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      const node = createFakeNode({ vault: { state: 'unlocked' } });
      let status = STATUS;
      node.handle('dicom.status', () => status);
      const view = renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
      const section = await screen.findByRole('region', { name: 'DICOM receiver' });
      await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.');
      const fact = (term: string) => within(section).getByText(term).nextElementSibling?.textContent;
      expect(fact('Echoes')).toBe('1');

      status = { ...STATUS, counters: { ...STATUS.counters, echoes: 2, rejectedAssociations: 1, duplicates: 6 } };
      await act(() => vi.advanceTimersByTimeAsync(5_000));
      expect([fact('Echoes'), fact('Duplicates (resent, not stored again)')]).toEqual(['2', '6']);

      // Asks no more once the page is gone.
      view.unmount();
      const asked = node.calls.filter((call) => call.method === 'dicom.status').length;
      await act(() => vi.advanceTimersByTimeAsync(30_000));
      expect(node.calls.filter((call) => call.method === 'dicom.status').length).toBe(asked);
    });
  });

  it('says nothing about conflicts when there are none', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => ({ ...STATUS, counters: { ...STATUS.counters, conflicts: 0 }, callers: [] }));
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const section = await screen.findByRole('region', { name: 'DICOM receiver' });
    await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.');
    expect(section.textContent).not.toMatch(/other bytes under/);
  });

  it('says who was rejected and why, per calling AE title and address; callers past the named rows are one row (QA12 D5)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => ({
      ...STATUS,
      counters: { ...STATUS.counters, rejectedAssociations: 7 },
      callers: [
        caller('WHOAMI', { associations: 0, rejected: 2, rejections: { 'called-ae-title': 2 }, calledAeTitles: [{ aeTitle: 'WRONGAE', count: 1 }, { aeTitle: 'hdms_ct', count: 1 }] }),
        caller('SCANNER', { associations: 0, rejected: 9, rejections: { 'called-ae-title': 9 }, calledAeTitles: [{ aeTitle: 'A', count: 3 }, { aeTitle: 'B', count: 1 }, { aeTitle: 'C', count: 1 }], otherCalledAeTitles: { titles: 4, more: false } }),
        caller('SCANNER2', { associations: 0, rejected: 9, rejections: { 'called-ae-title': 9 }, calledAeTitles: [{ aeTitle: 'A', count: 3 }], otherCalledAeTitles: { titles: 64, more: true } }),
        caller('MODBAD', { associations: 0, rejected: 1, rejections: { 'not-allowed': 1 } }),
        caller('MODOK', { associations: 3, rejected: 3, rejections: { 'too-many': 2, 'not-allowed': 1 } }),
        caller('', { associations: 0, rejected: 1, rejections: { 'too-many': 1 } }),
        { ...caller('', { associations: 0 }), address: '', others: true as const },
      ],
    }));
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const section = await screen.findByRole('region', { name: 'DICOM receiver' });
    const table = await within(section).findByRole('table', { name: 'Calling AE titles' });
    const rows = within(table).getAllByRole('row');
    expect(rows.slice(1).map((row) => [cells(row)[0], cells(row).at(-1)])).toEqual([
      ['WHOAMI | 10.0.0.5', '2'],
      ['SCANNER | 10.0.0.5', '9'],
      ['SCANNER2 | 10.0.0.5', '9'],
      ['MODBAD | 10.0.0.5', '1'],
      ['MODOK | 10.0.0.5', '3'],
      ['(no AE title: cut off before asking) | 10.0.0.5', '1'],
      ['Other callers (not counted by name)', '0'],
    ]);
    // Why, in sentences under the table (QA4-12 D8a: in a column of their own they pushed the table past its panel at 1,000 px).
    const refusals = within(section).getByRole('list', { name: 'Refused associations' });
    expect(within(refusals).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      // Each called AE title asked for, with its count (QA s32: only the last was named).
      'WHOAMI at 10.0.0.5: 2 refused, wrong called AE title (asked for “WRONGAE” once, “hdms_ct” once)',
      'SCANNER at 10.0.0.5: 9 refused, wrong called AE title (asked for “A” 3 times, “B” once, “C” once and 4 others)',
      'SCANNER2 at 10.0.0.5: 9 refused, wrong called AE title (asked for “A” 3 times and at least 64 others)',
      'MODBAD at 10.0.0.5: 1 refused, not on the allow-list',
      'MODOK at 10.0.0.5: 3 refused, not on the allow-list (1), too many associations at once (2)',
      '(no AE title: cut off before asking) at 10.0.0.5: 1 refused, too many associations at once',
    ]);
  });

  it('cuts a long AE title, address or count to its column at 1,000 px and keeps each whole in a title (QA4-12 D8a)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const address = '2001:db8:85a3:1200:8a2e:370:7334:abcd';
    node.handle('dicom.status', () => ({ ...STATUS, callers: [{ ...caller('CT_SCANNER_WEST1', { received: 12_345_678, stored: 12_345_678 }), address }] }));
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const section = await screen.findByRole('region', { name: 'DICOM receiver' });
    const table = await within(section).findByRole('table', { name: 'Calling AE titles' });
    expect(table.classList.contains('fit-table')).toBe(true);
    const row = within(table).getAllByRole('row')[1]!;
    const head = row.querySelector('th')!;
    expect([...head.children].map((line) => [line.className, line.getAttribute('title')])).toEqual([
      ['cell-clip', 'CT_SCANNER_WEST1'],
      ['cell-clip muted', address],
    ]);
    expect([...row.querySelectorAll('td')].slice(1, 3).map((cell) => [cell.className, cell.getAttribute('title'), cell.textContent])).toEqual([
      ['cell-clip', '12,345,678', '12,345,678'],
      ['cell-clip', '12,345,678', '12,345,678'],
    ]);
    // No list of refusals when nobody was refused.
    expect(within(section).queryByRole('list', { name: 'Refused associations' })).toBeNull();
  });
});
