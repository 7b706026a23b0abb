// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ACCESSES_SHOWN } from '../../../../renderer/features/patients/patient-accesses';
import { bytes32ToPseudonym } from '../../../../renderer/ledger/ledger-details';
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

  it('words an operator whose name this operator may not see, with the role and the ledger pseudonym on hover (QA s35 T2 F6)', async () => {
    // base64url of 32 bytes 0xa1 0xb2 …: the journal's form; the ledger shows 0x and hex.
    const operator = bytes32ToPseudonym(`0x${'a1b2'.repeat(16)}`);
    const hidden = { operatorName: '', operator, operatorRole: 'auditor', at: '2025-03-01T08:00:00.000Z', seq: 9 };
    const unknown = { operatorName: '', operator, at: '2025-03-01T07:00:00.000Z', seq: 8 };
    openPatient(createFakeLedger({ accesses: { 'p-7': [hidden, unknown] } }));
    const table = await screen.findByRole('table', { name: 'Who accessed this record' });
    const cells = within(table).getAllByTitle(`Ledger pseudonym 0x${'a1b2'.repeat(16)}`);
    expect(cells.map((cell) => cell.textContent)).toEqual(['Another operator (auditor)', 'Another operator']);
    expect(table.textContent).not.toContain(operator.slice(0, 6));
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
