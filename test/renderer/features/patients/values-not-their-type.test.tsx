// @vitest-environment happy-dom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../../../renderer/vault/vault-service';
import { buildFlowsheet, trendOf } from '../../../../renderer/features/patients/results-model';
import { notNumberNote, recordValue } from '../../../../renderer/features/patients/record-format';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Security audit (issue 11): an ORU whose OBX-2 is NM and OBX-5 "Zyxwvut" was listed as a Glucose
 * result like any number. Text under NM is shown as sent with "(not a number: sent as NM)" wherever
 * the value is shown (records list, record page, by report, flowsheet, trend), and never charted.
 */

function at(recordId: string, record: ViewRecord, seq: number): RecordRow {
  const time = 'time' in record && typeof record.time === 'string' ? record.time : '2025-01-01T00:00:00Z';
  return { recordId, patientId: 'p-7', time, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq, hasRaw: false } };
}

const day = (d: string) => `2025-03-${d}T08:00:00+01:00`;

function glucose(time: string, value: Observation['value'], extra: Partial<Observation> = {}): Observation {
  return { type: 'observation', category: 'laboratory', code: { code: '2345-7', system: 'LN', display: 'Glucose' }, value, status: 'F', time, valueType: 'NM', referenceRange: '70-99', ...extra };
}

const ZYX = glucose(day('12'), { kind: 'text', value: 'Zyxwvut' }, { orderId: 'F-3' });
const RECORDS: RecordRow[] = [
  at('p-7.g1.0', glucose(day('10'), { kind: 'numeric', value: 90, unit: 'mg/dL' }, { orderId: 'F-1' }), 1),
  at('p-7.g2.0', glucose(day('11'), { kind: 'numeric', value: 95, unit: 'mg/dL' }, { orderId: 'F-2' }), 2),
  at('p-7.g3.1', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-3', time: day('12') }, 3),
  at('p-7.g3.0', ZYX, 3),
];

function openChart(records: RecordRow[]) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, {}, records)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
  return screen.findByRole('region', { name: 'Results' });
}

const cells = (row: Element) => [...row.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim());

describe('text sent as NM', () => {
  it('reads "Zyxwvut (not a number: sent as NM)" in the records list and the record page value', () => {
    expect(notNumberNote(ZYX)).toBe('(not a number: sent as NM)');
    expect(recordValue(ZYX)).toBe('Zyxwvut (not a number: sent as NM)');
  });

  it('by report, on the flowsheet and in the trend it is shown as sent with the flag, and never drawn', async () => {
    const results = await openChart(RECORDS);
    const panel = within(results).getByRole('article', { name: 'Metabolic panel' });
    expect(within(panel).getAllByRole('row').slice(1).map((tr) => cells(tr).slice(0, 2))).toEqual([['Glucose', 'Zyxwvut (not a number: sent as NM)']]);

    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    expect(within(sheet).getAllByRole('row').map(cells)).toEqual([
      ['Test', '2025-03-12', '2025-03-11', '2025-03-10'],
      ['Glucose (mg/dL)', '08:00 Zyxwvut (not a number: sent as NM)', '08:00 95', '08:00 90'],
    ]);

    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent ?? '';
    expect(caption).toContain('latest Zyxwvut (not a number: sent as NM) on 2025-03-12 08:00 (UTC+01:00) (not drawn: not a plain number)');
    expect(caption).toContain('2 results drawn');
  });

  it('the model charts only the numbers: the flowsheet counts two numeric results, the trend draws 90 and 95', () => {
    const sheet = buildFlowsheet(RECORDS);
    expect(sheet.tests.map((test) => [test.label, test.numericResults, test.trend])).toEqual([['Glucose', 2, true]]);
    const trend = trendOf(RECORDS, 'LN|2345-7');
    expect(trend.points.map((point) => point.value)).toEqual([90, 95]);
    expect(trend.notNumeric.map((row) => row.recordId)).toEqual(['p-7.g3.0']);
  });

  it('a comparator or a range the lab sent as NM reads as sent without the flag; an empty value has none either', () => {
    const compared = glucose(day('12'), { kind: 'text', value: '<5' }, { valueDetail: { kind: 'structured-numeric', comparator: '<', value: 5, unit: 'mg/dL' } });
    expect(recordValue(compared)).toBe('< 5 mg/dL');
    const range = glucose(day('12'), { kind: 'text', value: '5.0-7.0' }, { valueDetail: { kind: 'structured-numeric', value: 5, separator: '-', value2: 7, decimals: 1, unit: 'mg/dL' } });
    expect(recordValue(range)).toBe('5.0-7.0 mg/dL');
    expect(notNumberNote(glucose(day('12'), { kind: 'text', value: '' }))).toBeNull();
    expect(notNumberNote(glucose(day('12'), { kind: 'text', value: '""' }))).toBeNull();
    expect(notNumberNote(glucose(day('12'), { kind: 'text', value: 'Positive' }, { valueType: 'ST' }))).toBeNull();
    // Stored before ranges under NM were read as SN: the text alone, flagged.
    expect(recordValue(glucose(day('12'), { kind: 'text', value: '5.0-7.0' }))).toBe('5.0-7.0 (not a number: sent as NM)');
    // An SN whose parts hold no number at all.
    expect(recordValue(glucose(day('12'), { kind: 'text', value: 'abc' }, { valueType: 'SN', valueDetail: { kind: 'structured-numeric' } }))).toBe('abc (not a number: sent as SN)');
  });
});

// A decimal comma ("7,9" under NM) is not read as 7.9 (the body's mapping note says why: HL7 NM's
// decimal mark is the period). The patient view gives the same plain reason, not "not a number",
// which a reader who writes 7,9 would not believe.
describe('a decimal comma sent as NM', () => {
  const COMMA = glucose(day('12'), { kind: 'text', value: '7,9' }, { orderId: 'F-3' });

  it('reads "7,9 (decimal comma: HL7 NM uses a period; not charted)"; other text keeps "not a number"', () => {
    expect(notNumberNote(COMMA)).toBe('(decimal comma: HL7 NM uses a period; not charted)');
    expect(recordValue(COMMA)).toBe('7,9 (decimal comma: HL7 NM uses a period; not charted)');
    expect(recordValue(glucose(day('12'), { kind: 'text', value: ' -0,25 ' }))).toBe('-0,25 (decimal comma: HL7 NM uses a period; not charted)');
    for (const value of ['1,234,5', '7,9 mg', '7,']) expect(notNumberNote(glucose(day('12'), { kind: 'text', value })), value).toBe('(not a number: sent as NM)');
  });

  it('by report and on the flowsheet the cell gives that reason', async () => {
    const results = await openChart([...RECORDS.slice(0, 3), at('p-7.g3.0', COMMA, 3)]);
    const panel = within(results).getByRole('article', { name: 'Metabolic panel' });
    expect(within(panel).getAllByRole('row').slice(1).map((tr) => cells(tr).slice(0, 2))).toEqual([['Glucose', '7,9 (decimal comma: HL7 NM uses a period; not charted)']]);
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    expect(within(sheet).getAllByRole('row').map(cells)[1]).toEqual(['Glucose (mg/dL)', '08:00 7,9 (decimal comma: HL7 NM uses a period; not charted)', '08:00 95', '08:00 90']);
  });
});
