// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { INDEXING_NOTICE_DELAY_MS } from '../../../../renderer/features/patients/indexing-notice';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient, type FakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const INDEXING_TEXT = /^Indexing the vault… results may be incomplete\./;

function render(vault: FakeVault, hash = '#/patients') {
  return renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
}

function addPatient(vault: FakeVault, index: number, family: string): void {
  const entry = makePatient(index, { name: { family, given: ['Eva'] } });
  vault.patients.set(entry.patientId, entry);
}

function searchCalls(vault: FakeVault): string[] {
  return vault.callsTo('search').map(([query]) => query as string);
}

const pause = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

async function findIndexingNotice(): Promise<HTMLElement> {
  return screen.findByText(INDEXING_TEXT);
}

describe('Patients › while the vault is indexing', () => {
  it('says results may be incomplete, with the count applied so far, as a status line', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(1)] });
    vault.setIndexing({ busy: true, applied: 1234 });
    render(vault);
    await screen.findByRole('searchbox', { name: 'Search records' });
    const notice = await findIndexingNotice();
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.textContent).toBe('Indexing the vault… results may be incomplete. 1,234 journal records applied so far.');

    act(() => vault.setIndexing({ applied: 5000 }));
    expect(notice.textContent).toContain('5,000 journal records applied so far.');

    act(() => vault.setIndexing({ busy: false }));
    expect(screen.queryByText(INDEXING_TEXT)).toBeNull();
  });

  it('shows no empty-vault screen while busy, only the notice; the real answer once indexing ends', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.setIndexing({ busy: true });
    render(vault);
    expect((await findIndexingNotice()).textContent).toBe('Indexing the vault… results may be incomplete.');
    await waitFor(() => expect(searchCalls(vault)).toEqual(['']));
    expect(screen.queryByRole('region', { name: 'No patients yet' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Import demo data' })).toBeNull();

    // The replay brings the restored patients in: the search page, never "No patients yet".
    addPatient(vault, 1, 'Novák');
    addPatient(vault, 2, 'Müller');
    act(() => vault.setIndexing({ busy: false }));
    expect(screen.queryByRole('region', { name: 'No patients yet' })).toBeNull();
    expect(await screen.findByText(/2 patients in the vault\./)).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'No patients yet' })).toBeNull();
    expect(screen.queryByText(INDEXING_TEXT)).toBeNull();
  });

  it('offers demo data once indexing ends on a vault that is really empty', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.setIndexing({ busy: true });
    render(vault);
    await findIndexingNotice();
    act(() => vault.setIndexing({ busy: false }));
    expect(await screen.findByRole('region', { name: 'No patients yet' })).toBeTruthy();
    expect(searchCalls(vault)).toEqual(['', '']);
  });

  it('runs the current search again when indexing ends, so the results complete without retyping', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(1, { name: { family: 'Novák', given: ['Eva'] } })] });
    vault.setIndexing({ busy: true, applied: 10 });
    render(vault);
    const box = (await screen.findByRole('searchbox', { name: 'Search records' })) as HTMLInputElement;
    fireEvent.change(box, { target: { value: 'eva' } });
    fireEvent.submit(box.closest('form')!);
    expect(await screen.findByText(/^1 patient found in/)).toBeTruthy();
    await findIndexingNotice();

    addPatient(vault, 2, 'Svoboda');
    act(() => vault.setIndexing({ busy: false }));
    expect(await screen.findByText(/^2 patients found in/)).toBeTruthy();
    expect(searchCalls(vault)).toEqual(['', 'eva', '', 'eva']);
    const list = screen.getByRole('list', { name: 'Search results' });
    expect(within(list).getAllByRole('link')).toHaveLength(2);
    expect(box.value).toBe('eva');
    expect(screen.queryByText(INDEXING_TEXT)).toBeNull();
  });

  it('shows the chart as it is now after a replay: a row read before an ADT^A08 is read again (QA11 D1)', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(1, { name: { family: 'Obermeier', given: ['Karl'] }, birthDate: '1970-12-24' })] });
    render(vault);
    const box = (await screen.findByRole('searchbox', { name: 'Search records' })) as HTMLInputElement;
    fireEvent.change(box, { target: { value: 'Oberm' } });
    fireEvent.submit(box.closest('form')!);
    const list = await screen.findByRole('list', { name: 'Search results' });
    await waitFor(() => expect(list.textContent).toContain('Obermeier, Karl'));
    expect(list.textContent).toContain('1970-12-24');

    // An A08 renames and redates her; its replay (busy, then not) brings the change into the views.
    vault.patients.set('p-1', makePatient(1, { name: { family: 'Obermaier', given: ['Karl'] }, birthDate: '1970-12-25' }));
    act(() => vault.setIndexing({ busy: true }));
    act(() => vault.setIndexing({ busy: false }));
    // The list on screen is read again by itself (the same query, the same patient ids)…
    await waitFor(() => expect(screen.getByRole('list', { name: 'Search results' }).textContent).toContain('Obermaier, Karl'));
    expect(screen.getByRole('list', { name: 'Search results' }).textContent).not.toContain('Obermeier');
    // …and a new search lists the new values too.
    fireEvent.change(box, { target: { value: 'Obermaier' } });
    fireEvent.submit(box.closest('form')!);
    await waitFor(() => expect(screen.getByRole('list', { name: 'Search results' }).textContent).toContain('Obermaier, Karl'));
    const row = screen.getByRole('list', { name: 'Search results' }).textContent!;
    expect(row).toContain('1970-12-25');
    expect(row).not.toContain('Obermeier');
    expect(row).not.toContain('1970-12-24');
  });

  it('does not flash the notice for a replay that ends at once (a journaled access, a new message)', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(1)] });
    render(vault);
    await screen.findByText(/1 patient in the vault\./);
    act(() => vault.setIndexing({ busy: true }));
    await pause(INDEXING_NOTICE_DELAY_MS / 3);
    act(() => vault.setIndexing({ busy: false }));
    await pause(INDEXING_NOTICE_DELAY_MS + 100);
    expect(screen.queryByText(INDEXING_TEXT)).toBeNull();
  });

  it('shows the notice on a patient page too', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(1)] });
    vault.setIndexing({ busy: true });
    render(vault, '#/patients/p-1');
    expect((await findIndexingNotice()).getAttribute('role')).toBe('status');
  });

  it('keeps the empty-vault screen and its own progress while its demo import indexes', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    render(vault);
    const empty = await screen.findByRole('region', { name: 'No patients yet' });
    vault.hold('sync');
    fireEvent.change(within(empty).getByLabelText('Number of patients'), { target: { value: '5' } });
    fireEvent.click(within(empty).getByRole('button', { name: 'Import demo data' }));
    expect(await within(empty).findByText(/^Indexing:/)).toBeTruthy();
    act(() => vault.setIndexing({ busy: true, applied: 7 }));
    await pause(INDEXING_NOTICE_DELAY_MS + 50);
    expect(screen.getByRole('region', { name: 'No patients yet' })).toBe(empty);
    expect(screen.queryByText(INDEXING_TEXT)).toBeNull();

    // A replay ends mid-import with some patients in: the count is re-read, the import screen stays.
    addPatient(vault, 1, 'Early');
    act(() => vault.setIndexing({ busy: false }));
    await waitFor(() => expect(searchCalls(vault)).toEqual(['', '']));
    await pause(10);
    expect(screen.getByRole('region', { name: 'No patients yet' })).toBe(empty);
    expect(within(empty).getByText(/^Indexing:/)).toBeTruthy();

    await act(async () => vault.release('sync'));
    expect(await screen.findByText(/6 patients in the vault\./)).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'No patients yet' })).toBeNull();
  });
});
