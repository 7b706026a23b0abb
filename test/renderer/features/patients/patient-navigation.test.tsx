// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { lab, row } from '../../support/clinical-fixtures';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Issue 11: lock and unlock return to the open patient; "/" focuses search; short queries say why; a partial MRN matches. */

const OPERATORS = [
  { name: 'Carl Clinician', role: 'clinician' as const, passphrase: 'carl-passphrase-long' },
  { name: 'Dora Doctor', role: 'clinician' as const, passphrase: 'dora-passphrase-long' },
];

function open(hash: string) {
  const vault = createFakeVault({
    phase: 'unlocked',
    operators: OPERATORS,
    patients: [
      makePatient(7, { name: { family: 'Dvořák', given: ['Anežka'] } }, [row('r-k', lab('2823-3', 'Potassium', 4.1, 'mmol/L', '2025-03-01T08:15:00+01:00'))]),
      makePatient(8, { name: { family: 'Li', given: ['Wei'] } }),
      makePatient(19, { name: { family: 'Novak', given: ['Eva'] } }),
    ],
  });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
  return vault;
}

function searchBox(): HTMLInputElement {
  return screen.getByRole('searchbox', { name: 'Search records' }) as HTMLInputElement;
}

async function search(query: string): Promise<string> {
  fireEvent.change(searchBox(), { target: { value: query } });
  fireEvent.submit(searchBox().closest('form')!);
  const status = await screen.findByText((_, element) => element?.classList.contains('search-status') === true && /found in|No patients match|is exactly/.test(element.textContent ?? ''));
  return status.textContent ?? '';
}

async function unlockAs(name: string, passphrase: string): Promise<void> {
  await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
  const operator = (await screen.findByRole('combobox', { name: 'Operator' })) as HTMLSelectElement;
  const option = [...operator.options].find((o) => o.textContent?.startsWith(name))!;
  fireEvent.change(operator, { target: { value: option.value } });
  fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: passphrase } });
  fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
}

describe('finding and returning to patients', () => {
  it('a partial MRN finds the patients whose MRN starts so', async () => {
    open('#/patients');
    await screen.findByText(/3 patients in the vault/);
    expect(await search('MRN0000000')).toMatch(/^2 patients found/); // MRN00000007 and MRN00000008, not MRN00000019
    expect(await search('MRN0000001')).toMatch(/^1 patient found/);
  });

  it('a 2-letter query says to type at least 3 letters, and still finds the whole word', async () => {
    open('#/patients');
    await screen.findByText(/3 patients in the vault/);
    fireEvent.change(searchBox(), { target: { value: 'no' } });
    expect(document.querySelector('.search-status')?.textContent).toBe('Type at least 3 letters to search by the start of a name or number.');
    expect(await search('li')).toMatch(/^1 patient found in \d+ ms with the whole word “li”\. Type at least 3 letters to search by the start of a name or number\.$/);
    // No whole word matched: the status leads with what to do, and never says no patient matches (QA: a hurried reader took "Zi" for "not in the vault").
    const none = await search('no');
    expect(none).toMatch(/^Type at least 3 letters to search by the start of a name or number\. No name, number or word is exactly “no” \(\d+ ms\)\.$/);
    expect(none).not.toMatch(/No patients match/);
    expect(await search('nov')).toMatch(/^1 patient found in \d+ ms\. Use the arrow keys/);
  });

  it('"/" focuses the search box, from the list and from a patient page; typed in a field it is a character', async () => {
    open('#/patients/p-7');
    await screen.findByRole('region', { name: 'Dvořák, Anežka' });
    fireEvent.keyDown(document.body, { key: '/' });
    await waitFor(() => expect(document.activeElement).toBe(searchBox()));
    expect(window.location.hash).toBe('#/patients');
    searchBox().blur();
    fireEvent.keyDown(document.body, { key: '/' });
    await waitFor(() => expect(document.activeElement).toBe(searchBox()));
    const typed = fireEvent.keyDown(searchBox(), { key: '/' });
    expect(typed).toBe(true); // not prevented: "/" is typed into the box
  });

  it('"/" from a patient page selects the old query, so what is typed next replaces it (H8 F2)', async () => {
    open('#/patients');
    await screen.findByText(/3 patients in the vault/);
    expect(await search('dvořák')).toMatch(/^1 patient found/);
    window.location.hash = '#/patients/p-7';
    await screen.findByRole('region', { name: 'Dvořák, Anežka' });
    fireEvent.keyDown(document.body, { key: '/' });
    await waitFor(() => expect(document.activeElement).toBe(searchBox()));
    expect(searchBox().value).toBe('dvořák');
    expect([searchBox().selectionStart, searchBox().selectionEnd]).toEqual([0, 'dvořák'.length]);
  });

  it('lock and unlock by the same operator return to the open patient; another operator starts from their start page', async () => {
    const vault = open('#/patients');
    await unlockFirstIfNeeded();
    window.location.hash = '#/patients/p-7';
    await screen.findByRole('region', { name: 'Dvořák, Anežka' });

    act(() => vault.lock());
    await unlockAs('Carl Clinician', 'carl-passphrase-long');
    expect(await screen.findByRole('region', { name: 'Dvořák, Anežka' })).toBeTruthy();
    expect(window.location.hash).toBe('#/patients/p-7');

    // From a record of the patient: back to the record.
    window.location.hash = '#/patients/p-7/records/r-k';
    await screen.findByRole('heading', { name: /Potassium/ });
    act(() => vault.lock());
    await unlockAs('Carl Clinician', 'carl-passphrase-long');
    expect(await screen.findByRole('heading', { name: /Potassium/ })).toBeTruthy();
    expect(window.location.hash).toBe('#/patients/p-7/records/r-k');

    // Another operator: their role's start page (a clinician's is Patients, H8 F18); the address named nothing while locked (T1 S35 F14).
    act(() => vault.lock());
    expect(window.location.hash).toBe('#/');
    await unlockAs('Dora Doctor', 'dora-passphrase-long');
    await screen.findByRole('heading', { level: 1, name: 'Patients' });
    expect(window.location.hash).toBe('#/patients');
    expect(screen.queryByRole('region', { name: 'Dvořák, Anežka' })).toBeNull();
    expect(within(document.body).queryByText('Potassium')).toBeNull();
  });
});

/** The fake vault opens unlocked as its first operator (Carl). */
async function unlockFirstIfNeeded(): Promise<void> {
  await screen.findByRole('searchbox', { name: 'Search records' });
}
