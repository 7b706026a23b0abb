// @vitest-environment happy-dom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { importSummary, importTableRows, rowsNeedingAttentionFirst, type DicomImportRow } from '../../../../renderer/features/imaging/dicom-import-panel';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';
import { buildDicomdir } from '../../../shared/dicom/dicomdir-builder';

// QA-12 D6: the summary was always a green "N instances stored of M files", whatever became of the rest.

const rows = (outcome: DicomImportRow['outcome'], count: number, prefix: string = outcome): DicomImportRow[] => Array.from({ length: count }, (_, index) => ({ name: `${prefix}-${index + 1}`, outcome }));

describe('DICOM import summary', () => {
  it('counts every outcome, and is a warning when a file was neither stored nor a duplicate', () => {
    const cancelledMidway = [...rows('stored', 62), ...rows('conflict', 1), ...rows('duplicate', 1), ...rows('held', 1), ...rows('quarantined', 1), ...rows('not-dicom', 2), ...rows('cancelled', 232), ...rows('missing', 5)];
    expect(importSummary(cancelledMidway)).toEqual({
      text: 'Of 300 files: 63 stored (1 conflicting with an earlier copy), 1 duplicate (stored before), 1 held in quarantine, 1 quarantined, 2 not DICOM, 232 cancelled; 5 files named by the DICOMDIR are missing.',
      warn: true,
    });
    // A DICOMDIR whose images are not there: nothing stored is not a success.
    expect(importSummary([...rows('directory', 1), ...rows('missing', 5)])).toEqual({ text: 'Of 1 file: 0 stored, 1 DICOMDIR (the index of the files); 5 files named by the DICOMDIR are missing.', warn: true });
    expect(importSummary([...rows('stored', 2), ...rows('duplicate', 3)])).toEqual({ text: 'Of 5 files: 2 stored, 3 duplicates (stored before).', warn: false });
    expect(importSummary([...rows('stored', 1), ...rows('error', 1), ...rows('too-large', 1), ...rows('failed', 1), ...rows('no-file', 1)]).text).toBe(
      'Of 4 files: 1 stored, 1 not stored, 1 too large, 1 not imported; 1 DICOMDIR record names no file.',
    );
  });

  it('lists the files that need attention first, the others after in their order', () => {
    const list = [...rows('stored', 2), ...rows('quarantined', 1), ...rows('duplicate', 1), ...rows('held', 1), ...rows('cancelled', 1), ...rows('missing', 1), ...rows('not-dicom', 1), ...rows('directory', 1)];
    expect(rowsNeedingAttentionFirst(list).map((row) => row.name)).toEqual(['quarantined-1', 'held-1', 'missing-1', 'not-dicom-1', 'stored-1', 'stored-2', 'duplicate-1', 'cancelled-1', 'directory-1']);
  });

  // H6 (session 38) finding 10: a Cancel of 300 files listed 292 "Cancelled" rows.
  it('collapses a run of cancelled files into one row with its count and first and last names; a lone one stays a row', () => {
    const list = [...rows('stored', 2), ...rows('cancelled', 3), ...rows('directory', 1), ...rows('cancelled', 1, 'lone')];
    expect(importTableRows(list)).toEqual([
      { kind: 'file', row: list[0] },
      { kind: 'file', row: list[1] },
      { kind: 'cancelled', names: ['cancelled-1', 'cancelled-2', 'cancelled-3'] },
      { kind: 'file', row: list[5] },
      { kind: 'file', row: list[6] },
    ]);
  });

  it('on the page: a Cancel midway lists the files sent, then one row for the files cancelled, under the same summary', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.importFiles', (request) => {
      // The operator presses Cancel while the first batch is with the node.
      fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
      const files = (request as { files?: unknown[] }).files ?? [];
      return { results: files.map((_, file) => ({ file, outcome: 'stored', seq: file + 1 })) };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const files = Array.from({ length: 300 }, (_, index) => new File([new Uint8Array(16)], `B${String(index).padStart(5, '0')}`));
    fireEvent.change(await screen.findByLabelText('Folder or CD'), { target: { files } });
    fireEvent.click(screen.getByRole('button', { name: 'Import DICOM files' }));
    const table = await screen.findByRole('table', { name: 'Import results' });
    expect(screen.getByText(/^Of 300 files:/).textContent).toBe('Of 300 files: 8 stored, 292 cancelled.');
    const body = within(table).getAllByRole('row').slice(1);
    expect(body).toHaveLength(9);
    expect(within(table).getAllByText('Cancelled')).toHaveLength(1);
    const last = body.at(-1)!;
    expect(last.querySelector('summary')?.textContent).toBe('292 files: B00008 … B00299');
    expect([...last.querySelectorAll('li')].map((item) => item.textContent)).toHaveLength(292);
  });

  it('on the page: a file stored with a note (an unknown character set) comes after those that need attention, and the summary counts it', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const note = 'Character set ISO_IR 999 (0008,0005) is not known: names and text are shown as read with Latin-1 and may be wrong.';
    node.handle('dicom.importFiles', (request) => {
      const files = (request as { files?: unknown[] }).files ?? [];
      return { results: files.map((_, file) => (file === 3 ? { file, outcome: 'stored', seq: 9, reason: note } : file === 4 ? { file, outcome: 'not-dicom', reason: 'Why.' } : { file, outcome: 'stored', seq: file + 1 })) };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const files = Array.from({ length: 6 }, (_, index) => new File([new Uint8Array(16)], `IM${index + 1}`));
    fireEvent.change(await screen.findByLabelText('Folder or CD'), { target: { files } });
    fireEvent.click(screen.getByRole('button', { name: 'Import DICOM files' }));
    const table = await screen.findByRole('table', { name: 'Import results' });
    expect(screen.getByText(/^Of 6 files:/).textContent).toBe('Of 6 files: 5 stored (1 with a note), 1 not DICOM. The files that need attention are listed first.');
    const shown = within(table).getAllByRole('row').slice(1, 4).map((row) => [...row.querySelectorAll('th, td')].slice(0, 3).map((cell) => cell.textContent));
    expect(shown).toEqual([
      ['IM5', 'Not DICOM', 'Why.'],
      ['IM4', 'Stored', note],
      ['IM1', 'Stored', ''],
    ]);
  });

  it('on the page: a warning summary and the quarantined, held and not-DICOM files at the top of a long list', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const outcome = (index: number) => (index === 37 ? 'quarantined' : index === 61 ? 'held' : index === 88 ? 'not-dicom' : 'stored');
    let sent = 0;
    node.handle('dicom.importFiles', (request) => {
      const files = (request as { files?: unknown[] }).files ?? [];
      const results = files.map((_, file) => ({ file, outcome: outcome(sent + file), ...(outcome(sent + file) === 'stored' ? { seq: sent + file + 1 } : { reason: 'Why.' }) }));
      sent += files.length;
      return { results };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const files = Array.from({ length: 100 }, (_, index) => new File([new Uint8Array(16)], `IM${String(index).padStart(4, '0')}`));
    fireEvent.change(await screen.findByLabelText('Folder or CD'), { target: { files } });
    fireEvent.click(screen.getByRole('button', { name: 'Import DICOM files' }));
    const table = await screen.findByRole('table', { name: 'Import results' });
    const summary = screen.getByText(/^Of 100 files:/);
    expect(summary.textContent).toBe('Of 100 files: 97 stored, 1 held in quarantine, 1 quarantined, 1 not DICOM. The files that need attention are listed first.');
    expect(summary.className).toContain('note--warn');
    expect(summary.className).not.toContain('note--ok');
    const first = within(table).getAllByRole('row').slice(1, 5).map((row) => [...row.querySelectorAll('th, td')].slice(0, 2).map((cell) => cell.textContent));
    expect(first).toEqual([
      ['IM0037', 'Quarantined'],
      ['IM0061', 'Held in quarantine'],
      ['IM0088', 'Not DICOM'],
      ['IM0000', 'Stored'],
    ]);
  });

  // QA s32 D3: a CD imported again whose damaged file is already in the quarantine read "6 duplicates
  // (stored before)", that file among them and not first: all six images seemed to be in the vault.
  it('on the page: a file already in the quarantine is a warning of its own, listed first and counted apart', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const already = 'Quarantined before (an identical copy came earlier; not stored again). The file ends inside Pixel Data.';
    node.handle('dicom.importFiles', (request) => {
      const files = (request as { files?: unknown[] }).files ?? [];
      return { results: files.map((_, file) => (file === 4 ? { file, outcome: 'duplicate', inQuarantine: true, reason: already } : { file, outcome: 'duplicate' })) };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const files = Array.from({ length: 6 }, (_, index) => new File([new Uint8Array(16)], `IM${index + 1}`));
    fireEvent.change(await screen.findByLabelText('Folder or CD'), { target: { files } });
    fireEvent.click(screen.getByRole('button', { name: 'Import DICOM files' }));
    const table = await screen.findByRole('table', { name: 'Import results' });
    const summary = screen.getByText(/^Of 6 files:/);
    expect(summary.textContent).toBe('Of 6 files: 0 stored, 5 duplicates (stored before), 1 quarantined before (not in the studies). The files that need attention are listed first.');
    expect(summary.className).toContain('note--warn');
    const shown = within(table).getAllByRole('row').slice(1, 3).map((row) => [...row.querySelectorAll('th, td')].slice(0, 3).map((cell) => cell.textContent));
    expect(shown).toEqual([
      ['IM5', 'Quarantined before (not stored)', already],
      ['IM1', 'Duplicate (stored before)', ''],
    ]);
  });
  // A CD of 11 files (a DICOMDIR and 10 others) said "file 5 of 8" in the quarantine: each call's own numbering.
  it("on the page: each file sent is numbered by its place among the files chosen, of the count the summary gives (the DICOMDIR read here counts as one)", async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const positions: unknown[] = [];
    node.handle('dicom.importFiles', (request) => {
      const { files = [], position } = request as { files?: unknown[]; position?: unknown };
      positions.push(position);
      return { results: files.map((_, file) => ({ file, outcome: 'quarantined', reason: 'Why.' })) };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const dicomdir = buildDicomdir([{ type: 'PATIENT', children: [{ type: 'STUDY', children: [{ type: 'SERIES', children: [{ type: 'IMAGE', fileId: ['IM10'] }] }] }] }]);
    const files = [new File([new Uint8Array(dicomdir)], 'DICOMDIR'), ...Array.from({ length: 10 }, (_, index) => new File([new Uint8Array(16)], `IM${index + 1}`))];
    fireEvent.change(await screen.findByLabelText('Folder or CD'), { target: { files } });
    fireEvent.click(screen.getByRole('button', { name: 'Import DICOM files' }));
    await screen.findByRole('table', { name: 'Import results' });
    expect(screen.getByText(/^Of 11 files:/)).toBeTruthy();
    expect(positions).toEqual([
      { files: [2, 3, 4, 5, 6, 7, 8, 9], of: 11 },
      { files: [10, 11], of: 11 },
    ]);
  });
});
