// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { lab, row, visit, vital } from '../../support/clinical-fixtures';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

function patientWithRecords() {
  return makePatient(
    7,
    {
      name: { family: 'Dvořák', given: ['Anežka', 'Marie'] },
      birthDate: '1962-07-14',
      sex: 'F',
      identifiers: [
        { value: 'MRN00000007', authority: 'HDMS-DEMO', type: 'MR' },
        { value: '620714/1234', authority: 'CZ', type: 'NI' },
      ],
      address: { street: 'Náměstí 1', city: 'Brno', postalCode: '602 00', country: 'CZE' },
      phones: ['+420 555 123 456'],
    },
    // Deliberately out of order: the page sorts newest first.
    [
      row('r-visit', visit('2025-02-28T09:00:00+01:00', 'Chest pain')),
      row('r-k', lab('2823-3', 'Potassium', 3.1, 'mmol/L', '2025-03-01T08:15:00+01:00', ['L'], '3.5-5.1')),
      row('r-glu', lab('2345-7', 'Glucose', 9.4, 'mmol/L', '2025-03-01T10:30:00+01:00', ['H'], '3.9-5.5')),
      row('r-na', lab('2951-2', 'Sodium', 140, 'mmol/L', '2025-03-01T08:15:00+01:00', ['N'], '135-145')),
      row('r-hr', vital('8867-4', 'Heart rate', 72, '/min', '2025-02-27T17:45:00+01:00')),
    ],
  );
}

async function openPatient(role: 'admin' | 'clinician' = 'admin', hash = '#/patients/p-7') {
  const vault = createFakeVault({
    phase: 'unlocked',
    operators: [{ name: role === 'admin' ? 'Ada Admin' : 'Carl Clinician', role, passphrase: 'x'.repeat(20) }],
    patients: [patientWithRecords(), makePatient(8)],
  });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
  return vault;
}

function tableRows(): string[][] {
  const table = screen.getByRole('table', { name: 'Records' });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

describe('Patient page', () => {
  it('shows the patient: name, birth date, sex, identifiers, address and phones, and journals the access once', async () => {
    const vault = await openPatient();
    const header = await screen.findByRole('region', { name: 'Dvořák, Anežka Marie' });
    const text = header.textContent ?? '';
    for (const fact of ['1962-07-14', 'Female', 'MRN00000007 (HDMS-DEMO, MR)', '620714/1234 (CZ, NI)', 'Náměstí 1, 602 00 Brno, CZE', '+420 555 123 456']) {
      expect(text).toContain(fact);
    }
    expect(vault.callsTo('openPatient')).toEqual([['p-7']]);
  });

  // QA explore-11 D13: home (PID-13) and business (PID-14) phones were one list; the page tells them apart.
  it('shows the home or unspecified phone and the business phone under their own terms', async () => {
    const vault = createFakeVault({
      phase: 'unlocked',
      operators: [{ name: 'Ada Admin', role: 'admin', passphrase: 'x'.repeat(20) }],
      patients: [makePatient(9, { phones: ['031 111 11 11'], businessPhones: ['031 222 22 22', '031 333 33 33'] }, [])],
    });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-9', vault);
    await screen.findByText('031 111 11 11');
    const facts = [...document.querySelectorAll('.patient-facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]);
    expect(facts).toContainEqual(['Phone', '031 111 11 11']);
    expect(facts).toContainEqual(['Business phones', '031 222 22 22, 031 333 33 33']);
  });

  it('lists the records newest first, grouped by day, with type, name, value, range and flag', async () => {
    await openPatient();
    await screen.findByRole('table', { name: 'Records' });
    expect(tableRows()).toEqual([
      ['Saturday, 1 March 2025'],
      ['10:30', 'Lab', 'Glucose', '9.4 mmol/L', '3.9-5.5', '▲ HHigh'],
      // Same time: the later journal entry first.
      ['08:15', 'Lab', 'Sodium', '140 mmol/L', '135-145', ''],
      ['08:15', 'Lab', 'Potassium', '3.1 mmol/L', '3.5-5.1', '▼ LLow'],
      ['Friday, 28 February 2025'],
      ['09:00', 'Visit', 'Outpatient visit', 'Chest pain', '', ''],
      ['Thursday, 27 February 2025'],
      // The fixture's heart rate is preliminary (OBX-11 P): it says so (T1 D7).
      ['17:45', 'Vital sign', 'Heart rate', '72 /minPreliminary', '', ''],
    ]);
  });

  it('marks H and L by symbol and word, not by colour alone', async () => {
    await openPatient();
    const table = await screen.findByRole('table', { name: 'Records' });
    const high = within(table).getByText('High');
    expect(high.className).toBe('visually-hidden');
    const flag = high.closest('.flag')!;
    expect(flag.getAttribute('title')).toBe('High');
    expect(flag.querySelector('[aria-hidden="true"]')!.textContent).toBe('▲ H');
    expect(flag.closest('tr')!.className).toContain('record-table__row--flagged');
    expect(within(table).getByText('Low').closest('.flag')!.className).toContain('flag--low');
  });

  it('opens the record detail with every field, the code system, status and source', async () => {
    const vault = await openPatient();
    const table = await screen.findByRole('table', { name: 'Records' });
    const link = within(table).getByRole('link', { name: 'Glucose' });
    expect(link.getAttribute('href')).toBe('#/patients/p-7/records/r-glu');
    fireEvent.click(link);
    window.location.hash = '#/patients/p-7/records/r-glu';

    const detail = await screen.findByRole('region', { name: 'Lab: Glucose' });
    const facts = Object.fromEntries(
      [...detail.querySelectorAll('.facts__row')].map((r) => [r.querySelector('dt')!.textContent, r.querySelector('dd')!.textContent]),
    );
    expect(facts).toMatchObject({
      Time: '2025-03-01 10:30 (UTC+01:00)',
      Type: 'Lab',
      Name: 'Glucose',
      Code: '2345-7',
      'Code system': 'LN',
      Value: '9.4 mmol/L',
      Unit: 'mmol/L',
      'Reference range': '3.9-5.5',
      Status: 'Final',
    });
    expect(facts.Flags).toContain('High');
    const source = screen.getByRole('region', { name: 'Source' });
    expect(source.textContent).toContain('ORU^R01');
    expect(source.textContent).toContain('Demo data');
    expect(source.textContent).toMatch(/Journal sequence\d+/);
    expect(vault.callsTo('openRecord')).toEqual([['r-glu']]);
    expect(screen.getByRole('link', { name: '← Back to the patient' }).getAttribute('href')).toBe('#/patients/p-7');
  });

  it('shows a visit’s own fields', async () => {
    await openPatient('admin', '#/patients/p-7/records/r-visit');
    const detail = await screen.findByRole('region', { name: 'Visit: Outpatient visit' });
    expect(detail.textContent).toContain('Cardiology clinic');
    expect(detail.textContent).toContain('Dr. Weiß');
    expect(detail.textContent).toContain('Chest pain');
  });

  it('says so when a patient cannot be opened, and retries', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [patientWithRecords()] });
    vault.failWith('openPatient', new VaultError('E_NODE', 'The object store is unreadable.'));
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    expect((await screen.findByRole('alert')).textContent).toContain('The object store is unreadable.');
    vault.failWith('openPatient', undefined);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('table', { name: 'Records' })).toBeTruthy();
  });
});

describe('Erase patient', () => {
  it('is not offered to non-admins', async () => {
    await openPatient('clinician');
    await screen.findByRole('table', { name: 'Records' });
    expect(screen.queryByRole('button', { name: 'Erase patient…' })).toBeNull();
  });

  it('asks for the identifier before erasing, explains it, and can be cancelled', async () => {
    const vault = await openPatient();
    fireEvent.click(await screen.findByRole('button', { name: 'Erase patient…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Erase Dvořák, Anežka Marie?' });
    expect(dialog.textContent).toMatch(/cannot be undone/);
    expect(dialog.textContent).toMatch(/ERASURE entry .* no personal data/);
    // Issue 11 (security audit): what goes with the patient, counted before, and exactly what stays.
    expect(await within(dialog).findByText(/^No quarantined input names this patient\./)).toBeTruthy();
    expect(dialog.textContent).toMatch(/identifiers with its assigning authority .*not on a name alone/);
    expect(dialog.textContent).toMatch(/No access report this app wrote into its exports folder names this patient\./);
    expect(dialog.textContent).toMatch(
      /Not erased: files saved elsewhere through a save or print dialog \(documents saved from the viewer, datasets, access reports printed or saved as PDF, copies moved out of the exports folder\), and access reports written before this version/,
    );
    expect(vault.callsTo('erasurePreview')).toEqual([['p-7']]);
    const erase = within(dialog).getByRole('button', { name: 'Erase patient' }) as HTMLButtonElement;
    const field = within(dialog).getByLabelText('Identifier of the patient to erase');
    expect(document.activeElement).toBe(field);
    expect(erase.disabled).toBe(true);

    fireEvent.change(field, { target: { value: 'MRN00000008' } });
    expect(erase.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'MRN00000007' } });
    expect(erase.disabled).toBe(false);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(vault.callsTo('erasePatient')).toEqual([]);
  });

  it('counts the quarantined inputs and the access reports that go with the patient (issue 11)', async () => {
    const vault = await openPatient();
    vault.erasurePreviewAnswer = { quarantined: 3, reports: 1 };
    fireEvent.click(await screen.findByRole('button', { name: 'Erase patient…' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/^3 quarantined inputs that name this patient will also be erased/)).toBeTruthy();
    expect(dialog.textContent).toMatch(/1 access report this app wrote into its exports folder names this patient: it will be removed\./);
  });

  it('erases after confirmation and returns to the list with a note', async () => {
    const vault = await openPatient();
    fireEvent.click(await screen.findByRole('button', { name: 'Erase patient…' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Identifier of the patient to erase'), { target: { value: 'MRN00000007' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Erase patient' }));

    await waitFor(() => expect(window.location.hash).toBe('#/patients'));
    expect(vault.callsTo('erasePatient')).toEqual([['p-7']]);
    expect(await screen.findByText(/^Dvořák, Anežka Marie was erased\./)).toBeTruthy();
    expect(await screen.findByText(/1 patient in the vault/)).toBeTruthy();
  });

  it('tells the administrator when the erasure’s record could not be copied beside the backups (QA11 D1)', async () => {
    const vault = await openPatient();
    vault.erasureRecordProblem = 'The record of an erasure could not be copied beside the backups: the backup destination folder is not there.';
    fireEvent.click(await screen.findByRole('button', { name: 'Erase patient…' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Identifier of the patient to erase'), { target: { value: 'MRN00000007' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Erase patient' }));
    await waitFor(() => expect(window.location.hash).toBe('#/patients'));
    expect(await screen.findByText(/^Dvořák, Anežka Marie was erased\./)).toBeTruthy();
    expect((await screen.findByRole('alert')).textContent).toMatch(/could not be copied beside the backups: the backup destination folder is not there\./);
  });

  it('shows a refused erasure in the dialog', async () => {
    const vault = await openPatient();
    vault.failWith('erasePatient', new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.'));
    fireEvent.click(await screen.findByRole('button', { name: 'Erase patient…' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Identifier of the patient to erase'), { target: { value: 'MRN00000007' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Erase patient' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('Only an administrator may do this.');
  });
});
