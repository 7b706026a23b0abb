// @vitest-environment happy-dom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { otherCopiesNote, SHARED_UID_NOTE } from '../../../../renderer/features/imaging/study-table';
import type { StudyListEntry } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

function study(id: string, patientId: string, fields: { date: string; description: string; accession: string; modalities: string[]; name: string; identifier: string; shared?: boolean; copies?: number }): StudyListEntry {
  return {
    studyId: id,
    patientId,
    study: { studyInstanceUid: `1.2.3.${id.length}`, date: fields.date, time: '', description: fields.description, accessionNumber: fields.accession, studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-01-15T10:00:00.000Z' },
    modalities: fields.modalities,
    series: fields.modalities.map((modality, index) => ({ seriesId: `${id}-s${index}`, seriesInstanceUid: `1.2.3.${index}`, modality, number: index + 1, description: '', bodyPart: '', instances: 10 + index })),
    instances: fields.modalities.reduce((sum, _m, index) => sum + 10 + index, 0),
    sharedWithOtherPatient: fields.shared ?? false,
    instancesWithOtherCopies: fields.copies ?? 0,
    patient: { patientId, name: fields.name, birthDate: '', sex: '', identifier: fields.identifier },
  };
}

const STUDIES: StudyListEntry[] = [
  study('st-1', 'p-7', { date: '2026-01-14', description: 'CT HEAD W/O', accession: 'ACC77', modalities: ['CT', 'SR'], name: 'Novak, Ivana', identifier: 'MRN7 (NORTH)' }),
  study('st-2', 'p-8', { date: '2025-06-30', description: 'MR KNEE LEFT', accession: 'ACC12', modalities: ['MR'], name: 'Horvat, Luka', identifier: 'MRN8 (NORTH)', shared: true }),
];

describe('Imaging area', () => {
  it('lists every study with its patient, and filters by accession number, modality or patient', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], studies: STUDIES });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging', vault);
    const table = await screen.findByRole('table', { name: 'Studies' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent))).toEqual([
      ['2026-01-14', 'Novak, Ivana · MRN7 (NORTH)', 'CT, SR', 'CT HEAD W/O', 'ACC77', '2 series, 21 instances'],
      // QA explore-12 D0: a study whose UID also holds another patient's images says so.
      ['2025-06-30', 'Horvat, Luka · MRN8 (NORTH)', 'MR', `MR KNEE LEFT${SHARED_UID_NOTE}`, 'ACC12', '1 series, 10 instances'],
    ]);
    expect(within(rows[0]!).getByRole('link', { name: /Novak/ }).getAttribute('href')).toBe('#/patients/p-7');
    // The description opens the study in the viewer.
    expect(within(rows[0]!).getByRole('link', { name: 'CT HEAD W/O' }).getAttribute('href')).toMatch(/^#\/imaging\/studies\/.+/);
    const filter = screen.getByLabelText('Filter by patient, accession number, modality, date or description');
    // User test H6 #2: the hint says which date forms work (a day, a month, a year, a range).
    expect(document.getElementById(filter.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      'Dates: a day (2026-01-14 or 14.01.2026), a month (2026-01), a year (2026) or a range (2026-01-10..2026-01-20 or 20260110-20260120).',
    );
    // The filter is a search in the vault (its blind index), not a look through the decrypted list.
    fireEvent.change(filter, { target: { value: 'acc12' } });
    expect(await screen.findByText('1 of 2 studies, newest first.')).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Studies' })).getAllByRole('row')).toHaveLength(2);
    expect(vault.callsTo('studies')).toContainEqual(['acc12']);
    fireEvent.change(filter, { target: { value: 'novak ct' } });
    await screen.findByText('1 of 2 studies, newest first.');
    await vi.waitFor(() => expect(within(screen.getByRole('table', { name: 'Studies' })).getAllByRole('row').slice(1)[0]!.textContent).toContain('CT HEAD W/O'));
    fireEvent.change(filter, { target: { value: 'PET' } });
    expect(await screen.findByText('0 of 2 studies, newest first.')).toBeTruthy();
    expect(screen.queryByRole('table', { name: 'Studies' })).toBeNull();
    fireEvent.change(filter, { target: { value: '' } });
    expect(await screen.findByText('2 studies, newest first.')).toBeTruthy();
  });

  it("shows the DICOM receiver's state, counters and calling AE titles", async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => ({
      listener: { channel: 'dicom', state: 'listening', address: '127.0.0.1', port: 11112 },
      aeTitle: 'HDMS',
      portOverride: null,
      counters: { associations: 3, rejectedAssociations: 1, echoes: 2, received: 41, stored: 40, held: 0, duplicates: 0, conflicts: 0, failed: 1, protocolErrors: 0, bytes: 1000 },
      callers: [{ aeTitle: 'CT_SCANNER', address: '10.0.0.5', associations: 3, received: 41, stored: 40, held: 0, duplicates: 0, conflicts: 0, failed: 1, rejected: 0, rejections: {} }],
      open: [],
    }));
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const section = await screen.findByRole('region', { name: 'DICOM receiver' });
    expect(await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.')).toBeTruthy();
    expect(within(section).getByText('Instances stored').nextElementSibling?.textContent).toBe('40');
    expect(within(within(section).getByRole('table', { name: 'Calling AE titles' })).getAllByRole('row')[1]!.textContent).toBe('CT_SCANNER10.0.0.53414000010');
  });

  it('says so when no study has arrived', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    expect(await screen.findByText('No study has been received yet.')).toBeTruthy();
  });

  it("shows the patient's studies on the patient's page, and no section for a patient without any", async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], studies: [STUDIES[0]!] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    const section = await screen.findByRole('region', { name: 'Imaging studies' });
    const table = await within(section).findByRole('table');
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('CT HEAD W/O');
    expect(vault.callsTo('patientStudies')).toEqual([['p-7']]);
  });

  // QA explore-12 D4: a resend with other bytes was counted by the receiver, but no study said so.
  it('says under a study that images of it were received again with other bytes, in the list and on the patient page', async () => {
    const conflicted = study('st-3', 'p-7', { date: '2026-02-01', description: 'CONFLICT CHECK', accession: 'ACC3', modalities: ['CT'], name: 'Novak, Ivana', identifier: 'MRN7 (NORTH)', copies: 2 });
    // QA round 4 D8c: an image received three times has two earlier copies: not "the earlier one".
    expect(otherCopiesNote(1)).toBe('1 image was received again with other bytes under its SOP Instance UID: the latest copy is shown; the viewer opens every earlier copy too.');
    expect(otherCopiesNote(2)).toBe('2 images were received again with other bytes under their SOP Instance UIDs: the latest copies are shown; the viewer opens every earlier copy too.');
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], studies: [conflicted, STUDIES[0]!] });
    const app = renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging', vault);
    const rows = within(await screen.findByRole('table', { name: 'Studies' })).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.querySelectorAll('td')[2]!.textContent)).toEqual([`CONFLICT CHECK${otherCopiesNote(2)}`, 'CT HEAD W/O']);
    app.unmount();
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    const section = await screen.findByRole('region', { name: 'Imaging studies' });
    expect(within(await within(section).findByRole('table')).getAllByRole('row')[1]!.textContent).toContain(otherCopiesNote(2));
  });

  // QA s33 D3: the same image re-sent in another transfer syntax read like any edit ("with other bytes").
  it('says which images came again in another transfer syntax, with the syntaxes of the copies', async () => {
    const EXPLICIT = '1.2.840.10008.1.2.1';
    const DEFLATED = '1.2.840.10008.1.2.1.99';
    const recoded = { instances: 1, latest: [DEFLATED], earlier: [EXPLICIT], oneEarlierEach: true };
    expect(otherCopiesNote(1, recoded)).toBe(
      '1 image was received again in another transfer syntax (Deflated Explicit VR Little Endian; first copy: Explicit VR Little Endian) under its SOP Instance UID, so with other bytes: the latest copy is shown; the viewer opens every earlier copy too.',
    );
    expect(otherCopiesNote(3, recoded)).toBe(
      '3 images were received again with other bytes under their SOP Instance UIDs, 1 of them in another transfer syntax (Deflated Explicit VR Little Endian; first copy: Explicit VR Little Endian): the latest copies are shown; the viewer opens every earlier copy too.',
    );
    expect(otherCopiesNote(2, { instances: 2, latest: [EXPLICIT], earlier: [DEFLATED, '1.2.840.10008.1.2.5'], oneEarlierEach: false })).toBe(
      '2 images were received again in another transfer syntax (Explicit VR Little Endian; earlier copies: Deflated Explicit VR Little Endian, RLE Lossless) under their SOP Instance UIDs, so with other bytes: the latest copies are shown; the viewer opens every earlier copy too.',
    );
    const conflicted = { ...study('st-3', 'p-7', { date: '2026-02-01', description: 'CONFLICT CHECK', accession: 'ACC3', modalities: ['CT'], name: 'Novak, Ivana', identifier: 'MRN7 (NORTH)', copies: 1 }), recodedCopies: recoded };
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], studies: [conflicted] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging', vault);
    const rows = within(await screen.findByRole('table', { name: 'Studies' })).getAllByRole('row').slice(1);
    expect(rows[0]!.querySelectorAll('td')[2]!.textContent).toBe(`CONFLICT CHECK${otherCopiesNote(1, recoded)}`);
  });
});
