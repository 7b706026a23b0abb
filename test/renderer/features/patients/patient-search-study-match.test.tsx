// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { StudyListEntry } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient, type FakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * H9: a patient found through a study (an accession number, a description word) says on its
 * result row which study that was, so an accession number typed does not lead to the wrong
 * patient; rows found by name or MRN stay as they were.
 */

function study(id: string, patientId: string, date: string, description: string, accession: string): StudyListEntry {
  return {
    studyId: id,
    patientId,
    study: { studyInstanceUid: `1.2.3.${id.length}`, date, time: '', description, accessionNumber: accession, studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-01-15T10:00:00.000Z' },
    modalities: ['CT'],
    series: [],
    instances: 1,
    sharedWithOtherPatient: false,
    instancesWithOtherCopies: 0,
    patient: null,
  } as unknown as StudyListEntry;
}

/** The element Tab moves to next (every tab stop here is tabindex 0 or native, so document order). */
function nextInTabOrder(from: Element): HTMLElement | null {
  const stops = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')].filter(
    (element) => element.tabIndex >= 0 && !(element as HTMLButtonElement).disabled,
  );
  return stops[stops.indexOf(from as HTMLElement) + 1] ?? null;
}

const STUDIES = [study('st-1', 'p-7', '2026-03-01', 'CT Schädel nativ', 'ACC2026042'), study('st-2', 'p-7', '2026-04-02', 'MR Knie', 'ACC2026077')];

async function searchFor(vault: FakeVault, query: string) {
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
  const box = await screen.findByRole('searchbox', { name: 'Search records' });
  fireEvent.change(box, { target: { value: query } });
  fireEvent.keyDown(box, { key: 'Enter' });
  const list = await screen.findByRole('list', { name: 'Search results' });
  return list;
}

describe('Patients › a row found through a study', () => {
  it('names the study an accession number found, with a link that opens it', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], studies: STUDIES });
    const list = await searchFor(vault, 'ACC2026042');
    const item = await waitFor(() => {
      const items = within(list).getAllByRole('listitem');
      expect(items).toHaveLength(1);
      expect(items[0]!.textContent).toContain('Matched a study: ACC2026042 · CT Schädel nativ · 2026-03-01');
      return items[0]!;
    });
    expect(item.textContent).not.toContain('more');
    expect(within(item).getByRole('link', { name: /^Open study/ }).getAttribute('href')).toBe('#/imaging/studies/st-1');
    // The row still opens the patient.
    expect(within(item).getAllByRole('link')[0]!.getAttribute('href')).toBe('#/patients/p-7');
  });

  it('lets the keyboard reach Open study: Tab from the row, named after the study, Enter opens it', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], studies: STUDIES });
    const list = await searchFor(vault, 'ACC2026042');
    const item = await waitFor(() => {
      const items = within(list).getAllByRole('listitem');
      expect(items[0]!.textContent).toContain('Matched a study: ACC2026042');
      return items[0]!;
    });
    const row = within(item).getAllByRole('link')[0]!;
    row.focus();
    const open = nextInTabOrder(row);
    expect(open?.getAttribute('href')).toBe('#/imaging/studies/st-1');
    // Named after the study it opens, the visible words first (so speech input finds it).
    expect(open?.getAttribute('aria-label')).toBe('Open study ACC2026042 · CT Schädel nativ · 2026-03-01');
    // A sibling of the row's link, not inside it (no link within a link).
    expect(row.contains(open!)).toBe(false);
    open!.focus();
    expect(document.activeElement).toBe(open);
    // Enter on a link is its click: Chromium does that part (the e2e step), happy-dom does not. The
    // row's own Enter (open the patient) must not take it; the click is caught before the viewer,
    // which needs a Worker this DOM lacks.
    const followed: string[] = [];
    const catchClick = (event: MouseEvent) => {
      followed.push((event.target as HTMLAnchorElement).getAttribute('href') ?? '');
      event.preventDefault();
    };
    window.addEventListener('click', catchClick, true);
    try {
      fireEvent.keyDown(open!, { key: 'Enter' });
      expect(window.location.hash).toBe('#/patients');
      fireEvent.click(open!);
    } finally {
      window.removeEventListener('click', catchClick, true);
    }
    expect(followed).toEqual(['#/imaging/studies/st-1']);
  });

  it('says when more of the patient\'s studies matched', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], studies: STUDIES });
    const list = await searchFor(vault, 'ACC2026');
    await waitFor(() => expect(within(list).getAllByRole('listitem')[0]!.textContent).toMatch(/Matched a study: ACC2026\d+ · .+ \(and 1 more\)/));
  });

  it('leaves a row found by name as it was', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], studies: STUDIES });
    const patient = makePatient(7);
    const list = await searchFor(vault, `${patient.patient.name.family} `);
    await waitFor(() => expect(within(list).getAllByRole('listitem')[0]!.textContent).toContain(patient.patient.name.family));
    expect(list.textContent).not.toContain('Matched a study');
    expect(within(list).getAllByRole('link')).toHaveLength(1);
    expect(vault.callsTo('patientStudies')).toEqual([]);
  });
});
