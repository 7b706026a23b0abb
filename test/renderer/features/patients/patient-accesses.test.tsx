// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ACCESSES_SHOWN } from '../../../../renderer/features/patients/patient-accesses';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, type FakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

function openPatient(ledger?: FakeLedger) {
  const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault, ledger);
  return vault;
}

const access = (seq: number, operatorName: string) => ({
  operatorName,
  operator: `op-${operatorName}`,
  at: new Date(Date.UTC(2025, 2, 1, 8, 0) + seq * 60_000).toISOString(),
  seq,
});

describe('Patient page › Who accessed this record', () => {
  it('lists who accessed the patient, newest first, linking to the ledger entries', async () => {
    const ledger = createFakeLedger({ accesses: { 'p-7': [access(40, 'Carl Clinician'), access(12, 'Ada Admin')] } });
    openPatient(ledger);
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    const table = await within(section).findByRole('table', { name: 'Who accessed this record' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((tr) => tr.querySelector('th')!.textContent);
    expect(rows).toEqual(['Carl Clinician', 'Ada Admin']);
    expect(within(table).getAllByRole('link').map((a) => a.getAttribute('href'))).toEqual(['#/ledger/40', '#/ledger/12']);
    expect(within(table).getAllByRole('row')[1]!.querySelector('time')!.getAttribute('datetime')).toBe(access(40, '').at);
    expect(ledger.callsTo('accessesOf')).toEqual([['p-7']]);
  });

  it('shows the pseudonym of an operator whose name this operator may not see', async () => {
    const hidden = { operatorName: '', operator: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', at: '2025-03-01T08:00:00.000Z', seq: 9 };
    openPatient(createFakeLedger({ accesses: { 'p-7': [hidden] } }));
    const table = await screen.findByRole('table', { name: 'Who accessed this record' });
    const cell = within(table).getByTitle(hidden.operator);
    expect(cell.textContent).toBe('a1b2c3…8f90');
  });

  it('has an empty state', async () => {
    openPatient(createFakeLedger());
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    expect(await within(section).findByText('The ledger records no access to this patient yet.')).toBeTruthy();
  });

  it('shows the first accesses and all on demand', async () => {
    const many = Array.from({ length: ACCESSES_SHOWN + 5 }, (_, i) => access(100 - i, 'Ada Admin'));
    openPatient(createFakeLedger({ accesses: { 'p-7': many } }));
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    const table = await within(section).findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(ACCESSES_SHOWN + 1);
    fireEvent.click(within(section).getByRole('button', { name: `Show all ${ACCESSES_SHOWN + 5} accesses` }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(ACCESSES_SHOWN + 6));
  });

  it('shows a failed load with Retry', async () => {
    const ledger = createFakeLedger({ accesses: { 'p-7': [access(3, 'Ada Admin')] } });
    ledger.failWith('accessesOf', new VaultError('E_NODE', 'The ledger view is unreadable.'));
    openPatient(ledger);
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    const alert = await within(section).findByRole('alert');
    expect(alert.textContent).toContain('The accesses could not be loaded: The ledger view is unreadable.');
    ledger.failWith('accessesOf', undefined);
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await within(section).findByRole('table')).toBeTruthy();
  });

  it('is absent without a ledger', async () => {
    openPatient();
    await screen.findByRole('region', { name: 'Records' });
    expect(screen.queryByRole('region', { name: 'Who accessed this record' })).toBeNull();
  });
});
