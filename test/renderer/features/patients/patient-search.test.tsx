// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SEARCH_DEBOUNCE_MS } from '../../../../renderer/features/patients/use-patient-search';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { bulkPatientId, createFakeVault, makePatient, type FakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

function namedPatients() {
  return [
    makePatient(1, { name: { family: 'Müller', given: ['Zoë'] } }),
    makePatient(2, { name: { family: 'Mueller', given: ['Jan'] }, sex: 'M', birthDate: '1955-12-24' }),
    makePatient(3, { name: { family: 'Novák', given: ['Eva'] } }),
  ];
}

async function openPatients(vault: FakeVault) {
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
  return (await screen.findByRole('searchbox', { name: 'Search records' })) as HTMLInputElement;
}

const pause = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

function searchCalls(vault: FakeVault): string[] {
  return vault.callsTo('search').map(([query]) => query as string);
}

function resultRows(): HTMLAnchorElement[] {
  const list = screen.getByRole('list', { name: 'Search results' });
  return within(list).getAllByRole('link') as HTMLAnchorElement[];
}

describe('Patients › search', () => {
  it('guides an empty query and says how many patients the vault holds', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    expect(box.type).toBe('search');
    expect(await screen.findByText(/^Type a name, MRN \(or its first digits\), code or word… 3 patients in the vault\.$/)).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Search results' })).toBeNull();
  });

  it('searches once the typing pauses (debounced), not on every keystroke', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    await waitFor(() => expect(searchCalls(vault)).toEqual(['']));

    for (const text of ['m', 'mu', 'mue', 'muel']) fireEvent.change(box, { target: { value: text } });
    expect(searchCalls(vault)).toEqual(['']);
    await pause(SEARCH_DEBOUNCE_MS + 50);
    expect(searchCalls(vault)).toEqual(['', 'muel']);

    // "muel" is the start of Mueller and of Müller's transliteration (tester S35 #1).
    const status = await screen.findByText(/^2 patients found in \d+ ms\./);
    expect(status.getAttribute('role')).toBe('status');
    await waitFor(() => expect(resultRows().map((r) => r.textContent)).toEqual([expect.stringContaining('Müller, Zoë'), expect.stringContaining('Mueller, Jan')]));
  });

  it('searches at once on Enter', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: 'novak' } });
    fireEvent.submit(box.closest('form')!);
    await waitFor(() => expect(searchCalls(vault)).toContain('novak'));
    expect(await screen.findByText(/^1 patient found/)).toBeTruthy();
    await pause(SEARCH_DEBOUNCE_MS + 50);
    expect(searchCalls(vault).filter((q) => q === 'novak')).toHaveLength(1);
  });

  it('shows each hit with name, birth date, sex and identifier, linking to the patient page', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: 'jan mueller' } });
    fireEvent.submit(box.closest('form')!);
    await screen.findByText(/^1 patient found/);
    const [link] = resultRows();
    await waitFor(() => expect(link!.textContent).toContain('Mueller, Jan'));
    expect(link!.textContent).toContain('1955-12-24');
    expect(link!.textContent).toContain('Male');
    expect(link!.textContent).toContain('MRN00000002 (HDMS-DEMO)');
    expect(link!.getAttribute('href')).toBe('#/patients/p-2');
  });

  it('says when nothing matches, and reports a failed search', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: 'nobody' } });
    fireEvent.submit(box.closest('form')!);
    expect(await screen.findByText(/^No patients match “nobody”/)).toBeTruthy();

    vault.failWith('search', new VaultError('E_LOCKED', 'locked'));
    fireEvent.change(box, { target: { value: 'eva' } });
    fireEvent.submit(box.closest('form')!);
    expect((await screen.findByRole('alert')).textContent).toBe('The search failed: The vault is locked. Unlock it and try again.');
  });

  it('renders only the visible rows of 100 000 hits and decrypts just those', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.seedBulk(100_000);
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: 'bulk' } });
    fireEvent.submit(box.closest('form')!);
    expect(await screen.findByText(/^100,000 patients found in/)).toBeTruthy();

    await waitFor(() => expect(resultRows()[0]!.textContent).toContain('Bulk, Patient 1'));
    const rows = resultRows();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(document.querySelectorAll('.result-row')).toHaveLength(rows.length);
    expect(rows[0]!.closest('li')!.getAttribute('aria-setsize')).toBe('100000');
    expect(rows[0]!.closest('li')!.getAttribute('aria-posinset')).toBe('1');

    const requested = vault.callsTo('patientHits').flatMap(([ids]) => ids as string[]);
    expect(requested.length).toBe(rows.length);
    expect(requested[0]).toBe(bulkPatientId(1));
    // The list is as tall as all rows, so the scrollbar is right.
    const inner = screen.getByRole('list', { name: 'Search results' });
    expect(inner.style.getPropertyValue('--list-height')).toBe(`${100_000 * 44}px`);
  });

  it('moves through the results with the arrow keys and opens one with Enter', async () => {
    // Three patients born the same day: one query finds them all (a single letter finds nothing).
    const sameDay = namedPatients().map((p) => ({ ...p, patient: { ...p.patient, birthDate: '1980-02-01' } }));
    const vault = createFakeVault({ phase: 'unlocked', patients: sameDay });
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: '1980-02-01' } });
    fireEvent.submit(box.closest('form')!);
    await screen.findByText(/^3 patients found/);
    const rows = resultRows();
    expect(rows.map((r) => r.tabIndex)).toEqual([0, -1, -1]);

    fireEvent.keyDown(box, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(rows[0]));
    fireEvent.keyDown(rows[0]!, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(rows[1]));
    expect(rows.map((r) => r.tabIndex)).toEqual([-1, 0, -1]);
    fireEvent.keyDown(rows[1]!, { key: 'End' });
    await waitFor(() => expect(document.activeElement).toBe(rows[2]));
    fireEvent.keyDown(rows[2]!, { key: 'ArrowUp' });
    await waitFor(() => expect(document.activeElement).toBe(rows[1]));
    fireEvent.keyDown(rows[1]!, { key: 'Home' });
    await waitFor(() => expect(document.activeElement).toBe(rows[0]));
    fireEvent.keyDown(rows[0]!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(box);

    fireEvent.keyDown(box, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(rows[0]));
    fireEvent.keyDown(rows[0]!, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(rows[1]));
    const target = rows[1]!.getAttribute('href');
    fireEvent.keyDown(rows[1]!, { key: 'Enter' });
    await waitFor(() => expect(window.location.hash).toBe(target));
    expect(await screen.findByRole('heading', { level: 2, name: /, / })).toBeTruthy();
  });

  it('keeps the query and results when coming back from a patient', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: namedPatients() });
    const box = await openPatients(vault);
    fireEvent.change(box, { target: { value: 'novak' } });
    fireEvent.submit(box.closest('form')!);
    await screen.findByText(/^1 patient found/);
    await act(async () => {
      window.location.hash = '#/patients/p-3';
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    await screen.findByRole('heading', { level: 2, name: 'Novák, Eva' });
    fireEvent.click(screen.getByRole('link', { name: '← All patients' }));
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    const again = (await screen.findByRole('searchbox', { name: 'Search records' })) as HTMLInputElement;
    expect(again.value).toBe('novak');
    expect(screen.getByText(/^1 patient found/)).toBeTruthy();
  });
});

describe('Patients › empty vault', () => {
  it('offers "Import demo data" with a patient count, shows progress, then search works', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
    const empty = await screen.findByRole('region', { name: 'No patients yet' });
    const count = within(empty).getByLabelText('Number of patients') as HTMLInputElement;
    expect(count.value).toBe('1000');
    const button = within(empty).getByRole('button', { name: 'Import demo data' }) as HTMLButtonElement;

    fireEvent.change(count, { target: { value: '0' } });
    expect(button.disabled).toBe(true);
    fireEvent.change(count, { target: { value: '12' } });
    expect(button.disabled).toBe(false);

    vault.hold('sync');
    fireEvent.click(button);
    expect(await within(empty).findByText(/^Indexing:/)).toBeTruthy();
    expect(vault.callsTo('importDemoData')).toEqual([[12]]);
    await act(async () => vault.release('sync'));

    const box = await screen.findByRole('searchbox', { name: 'Search records' });
    expect(await screen.findByText(/12 patients in the vault/)).toBeTruthy();
    fireEvent.change(box, { target: { value: 'zoe' } });
    fireEvent.submit(box.closest('form')!);
    expect(await screen.findByText(/^12 patients found/)).toBeTruthy();
  });

  it('reports demo progress as the import runs', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.hold('importDemoData');
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
    const empty = await screen.findByRole('region', { name: 'No patients yet' });
    fireEvent.click(within(empty).getByRole('button', { name: 'Import demo data' }));
    expect(await within(empty).findByText('Importing demo data: 0 of 1,000…')).toBeTruthy();
    expect(within(empty).getByRole('progressbar', { name: 'Demo data import' })).toBeTruthy();
    await act(async () => vault.release('importDemoData'));
    await screen.findByRole('searchbox', { name: 'Search records' });
  });

  it('shows a failed import next to the button', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.failWith('importDemoData', new VaultError('E_NODE', 'The disk is full.'));
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
    const empty = await screen.findByRole('region', { name: 'No patients yet' });
    fireEvent.click(within(empty).getByRole('button', { name: 'Import demo data' }));
    expect((await within(empty).findByRole('alert')).textContent).toBe('The disk is full.');
  });
});
