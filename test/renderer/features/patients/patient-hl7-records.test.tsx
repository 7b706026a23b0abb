// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const source = { messageType: 'ORU^R01', channel: 'hl7-mllp', seq: 9, messageId: 'MSG9', mapping: 'mapped' as const, hasRaw: true };

function chart(recordId: string, record: RecordRow['record'], time: string): RecordRow {
  return { recordId, patientId: '', time, record, source };
}

const RECORDS: RecordRow[] = [
  chart('p-3.09.0', { type: 'report', kind: 'result', code: { code: '36643-5', system: 'LN', display: 'Chest X-ray' }, time: '2025-03-01T08:15:00+01:00', status: 'F', text: 'Cardiomegaly.\nNo effusion.', author: 'Dr. Ray' }, '2025-03-01T08:15:00+01:00'),
  chart('p-3.09.1', { type: 'order', control: 'NW', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, priority: 'S', time: '2025-03-01T07:00:00+01:00' }, '2025-03-01T07:00:00+01:00'),
  chart('p-3.09.2', { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, severity: 'SV', reactions: ['Urticaria'] }, '2025-03-01T06:00:00.000Z'),
  chart('p-3.09.3', { type: 'diagnosis', code: { code: 'I50.9', system: 'I10', display: 'Heart failure' }, diagnosisType: 'A' }, '2025-03-01T06:00:00.000Z'),
  chart('p-3.09.4', { type: 'immunization', vaccine: { code: '141', system: 'CVX', display: 'Influenza' }, time: '2025-02-28T09:00:00+01:00', amount: 0.5, unit: 'mL' }, '2025-02-28T09:00:00+01:00'),
];

describe('Patient page: HL7 record types', () => {
  it('lists reports, orders, allergies, diagnoses and immunizations with their values, and names merged patients', async () => {
    const patient = makePatient(3, {}, RECORDS);
    const vault = createFakeVault({ phase: 'unlocked', patients: [patient] });
    const openPatient = vault.openPatient.bind(vault);
    vault.openPatient = async (id) => ({ ...(await openPatient(id)), mergedPatients: [{ identifiers: [{ value: 'MRN-OLD', authority: 'CLINIC', type: 'MR' }], name: { family: 'Old', given: ['Record'] } }] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-3', vault);
    const table = await screen.findByRole('table', { name: 'Records' });
    const rows = within(table)
      .getAllByRole('row')
      .filter((tr) => tr.classList.contains('record-table__row'))
      .map((tr) => [...tr.querySelectorAll('th, td')].slice(1, 4).map((cell) => cell.textContent ?? ''));
    expect(rows).toEqual([
      ['Report', 'Chest X-ray', 'Cardiomegaly.'],
      ['Order', 'Metabolic panel', 'New order, Stat'],
      ['Allergy', 'Penicillin G', 'Urticaria, Severe'],
      ['Diagnosis', 'Heart failure', 'Admitting'],
      ['Immunization', 'Influenza', '0.5 mL'],
    ]);
    expect(screen.getByText(/Includes the records of Old, Record \(MRN-OLD \(CLINIC, MR\)\)/)).toBeTruthy();
  });

  it('shows a report’s fields and text on its detail page', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(3, {}, RECORDS)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-3/records/p-3.09.0', vault);
    await screen.findByRole('heading', { name: 'Report: Chest X-ray' });
    expect(screen.getByRole('region', { name: 'Report text' }).textContent).toContain('Cardiomegaly.\nNo effusion.');
    expect(screen.getByText('Dr. Ray')).toBeTruthy();
    expect(screen.getByText('Final')).toBeTruthy();
    expect(screen.getByText('Mapped')).toBeTruthy();
  });
});
