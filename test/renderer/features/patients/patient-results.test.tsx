// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../../../renderer/vault/vault-service';
import { ageSexLabel } from '../../../../renderer/features/patients/patient-banner';
import { ageInYears, allergiesOf, buildFlowsheet, groupResults, parseReferenceRange, repeatedAllergies, testKeyOf, trendOf } from '../../../../renderer/features/patients/results-model';
import { recordValue, reportSummary } from '../../../../renderer/features/patients/record-format';
import { trendSummary, trendTimeRange, undrawnMarks } from '../../../../renderer/features/patients/trend-chart';
import { reportedAsText } from '../../../../renderer/features/patients/chart-format';
import { unitLabel, unitTitle } from '../../../../renderer/features/patients/ucum-units';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Issue 11, "Patients, as a clinician uses them": the banner and the results (by report, flowsheet, trend). */

function at(recordId: string, record: ViewRecord, seq: number, time?: string): RecordRow {
  const when = time ?? (record.type === 'visit' ? record.start : record.type === 'allergy' ? '2025-01-10T00:00:00Z' : 'time' in record && record.time !== undefined ? record.time : '2025-01-01T00:00:00Z');
  return { recordId, patientId: 'p-7', time: when, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq, hasRaw: false } };
}

function obs(code: string, display: string, value: number, unit: string, time: string, extra: Partial<Observation> = {}): Observation {
  return { type: 'observation', category: 'laboratory', code: { code, system: 'LN', display }, value: { kind: 'numeric', value, unit }, status: 'F', time, ...extra };
}

const RECORDS: RecordRow[] = [
  at('m1.0', { type: 'visit', patientClass: 'I', location: 'Ward 3', reason: 'Chest pain', start: '2025-02-28T09:00:00+01:00' }, 1),
  at('m0.0', { type: 'visit', patientClass: 'O', location: 'Clinic', start: '2024-11-02T09:00:00+01:00' }, 0),
  at('m1.1', { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, severity: 'SV', reactions: ['Urticaria'] }, 1),
  // Message 2: a metabolic panel with a comment, a critical potassium with its own comment, a high glucose.
  at('m2.2', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, status: 'F', fillerOrderId: 'F-1', time: '2025-03-01T08:15:00+01:00', comments: ['Specimen slightly haemolysed.'] }, 2),
  at('m2.0', obs('2823-3', 'Potassium', 6.8, 'mmol/L', '2025-03-01T08:15:00+01:00', { abnormalFlags: ['HH'], referenceRange: '3.5-5.1', orderId: 'F-1', comments: ['Called to ward 3.'] }), 2),
  at('m2.1', obs('2345-7', 'Glucose', 9.4, 'mmol/L', '2025-03-01T08:15:00+01:00', { abnormalFlags: ['H'], referenceRange: '3.9-5.5', orderId: 'F-1' }), 2),
  // Message 3: vitals without a report, a temperature in UCUM Cel.
  at('m3.0', obs('8310-5', 'Body temperature', 38.4, 'Cel', '2025-03-02T07:00:00+01:00', { category: 'vital-signs', referenceRange: '36.1-37.5', abnormalFlags: ['H'] }), 3),
  // Message 4: an earlier potassium, normal, under its own report.
  at('m4.1', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-0', time: '2025-02-20T08:00:00+01:00' }, 4),
  at('m4.0', obs('2823-3', 'Potassium', 4.2, 'mmol/L', '2025-02-20T08:00:00+01:00', { referenceRange: '3.5-5.1', orderId: 'F-0' }), 4),
];

describe('the results model', () => {
  it('groups results under the report of their message and order number, newest first, and keeps vitals without a report apart', () => {
    const groups = groupResults(RECORDS);
    expect(groups.map((group) => [group.report?.recordId ?? null, group.results.map((row) => row.recordId)])).toEqual([
      [null, ['m3.0']],
      ['m2.2', ['m2.0', 'm2.1']],
      ['m4.1', ['m4.0']],
    ]);
  });

  it('a flowsheet of tests × days, newest day first, and the trend of one test with its reference band', () => {
    const sheet = buildFlowsheet(RECORDS);
    expect(sheet.days).toEqual(['2025-03-02', '2025-03-01', '2025-02-20']);
    expect(sheet.tests.map((test) => [test.label, test.unit, test.trend])).toEqual([
      ['Body temperature', 'Cel', false],
      ['Glucose', 'mmol/L', false],
      ['Potassium', 'mmol/L', true],
    ]);
    const potassium = sheet.tests[2]!.key;
    expect(sheet.cells.get(potassium)?.get('2025-02-20')?.map((row) => row.recordId)).toEqual(['m4.0']);
    const trend = trendOf(RECORDS, potassium);
    expect(trend.points.map((point) => point.value)).toEqual([4.2, 6.8]);
    expect(trend.points[0]!.at).toBe(Date.parse('2025-02-20T08:00:00+01:00') / 1000);
    expect(trend.range).toEqual({ low: 3.5, high: 5.1, lowText: '3.5', highText: '5.1', text: '3.5-5.1' });
    expect(testKeyOf(RECORDS[4]!.record as Observation)).toBe('LN|2823-3');
  });

  it('reads reference ranges, ages and UCUM units', () => {
    expect(parseReferenceRange('3.5 - 5.1')).toEqual({ low: 3.5, high: 5.1, lowText: '3.5', highText: '5.1' });
    expect(parseReferenceRange('3,5–5,1')).toEqual({ low: 3.5, high: 5.1, lowText: '3,5', highText: '5,1' });
    expect(parseReferenceRange('<200')).toEqual({ low: null, high: 200, lowText: null, highText: '200' });
    expect(parseReferenceRange('>=60')).toEqual({ low: 60, high: null, lowText: '60', highText: null });
    expect(parseReferenceRange('negative')).toBeNull();
    expect(ageInYears('1962-07-14', '2025-07-13')).toBe(62);
    expect(ageInYears('1962-07-14', '2025-07-14')).toBe(63);
    expect(ageInYears(undefined, '2025-07-14')).toBeNull();
    expect(ageSexLabel('1962-07-14', 'F', '2025-07-14')).toBe('63 y, Female (born 1962-07-14)');
    expect([unitLabel('Cel'), unitLabel('mm[Hg]'), unitLabel('10*3/uL'), unitLabel('umol/L'), unitLabel('furlongs')]).toEqual(['°C', 'mmHg', '×10³/µL', 'µmol/L', 'furlongs']);
    // QA D18: pH is a number without a unit; "/uL" reads as the cell counts beside it do.
    expect([unitLabel('[pH]'), unitLabel('/uL'), unitLabel('/mL'), unitLabel('{cells}/uL')]).toEqual(['', '/µL', '/mL', 'cells/µL']);
    expect(unitTitle('Cel')).toBe('UCUM: Cel');
    expect(unitTitle('mmol/L')).toBeUndefined();
  });
});

async function openPatient(records: RecordRow[] = RECORDS) {
  const patient = makePatient(
    7,
    {
      name: { family: 'Dvořák', given: ['Anežka'] },
      birthDate: '1962-07-14',
      sex: 'F',
      identifiers: [
        { value: 'MRN00000007', authority: 'HDMS-DEMO', type: 'MR' },
        { value: '620714/1234', authority: 'CZ', type: 'NI' },
      ],
    },
    records,
  );
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [patient] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
  return screen.findByRole('region', { name: 'Dvořák, Anežka' });
}

describe('the patient page for a clinician', () => {
  it('the banner: name, age and sex, identifiers, allergies highlighted, the last visit', async () => {
    const banner = await openPatient();
    expect(within(banner).getByText(/^\d+ y, Female \(born 1962-07-14\)$/)).toBeTruthy();
    const ids = within(banner).getByRole('list', { name: 'Identifiers' });
    expect(within(ids).getAllByRole('listitem').map((item) => item.textContent)).toEqual(['MRN00000007 (HDMS-DEMO, MR)', '620714/1234 (CZ, NI)']);
    const allergies = within(banner).getByRole('group', { name: 'Allergies' });
    expect(allergies.className).toContain('patient-banner__allergies--present');
    expect(allergies.textContent).toBe('Allergies Penicillin G (Severe, Urticaria)');
    expect(within(banner).getByText('Last visit').parentElement?.textContent).toBe('Last visit 2025-02-28, Inpatient, Ward 3 (Chest pain)');
  });

  // Interface analyst (QA s33 D2): a PV1-2 that was no patient class read "Last visit 2007-12-19, Outpatient".
  it('the banner says a last visit without a patient class is "class not recorded"', async () => {
    const banner = await openPatient([at('m9.0', { type: 'visit', location: 'Clinic', start: '2007-12-19T09:00:00+01:00' } as ViewRecord, 9)]);
    expect(within(banner).getByText('Last visit').parentElement?.textContent).toBe('Last visit 2007-12-19, class not recorded, Clinic');
  });

  it('results by report: the report comment, critical flags apart from H, readable units with the UCUM code on hover', async () => {
    await openPatient();
    const results = screen.getByRole('region', { name: 'Results' });
    const [panel] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    expect(within(panel!).getByRole('note', { name: 'Report comments' }).textContent).toBe('Specimen slightly haemolysed.');
    const [potassium, glucose] = within(panel!).getAllByRole('row').slice(1);
    expect(potassium!.className).toContain('result-table__row--critical');
    expect(potassium!.textContent).toContain('Called to ward 3.');
    expect(potassium!.querySelector('.flag--critical')?.textContent).toBe('▲▲ HHCritically high');
    expect(glucose!.className).toContain('result-table__row--flagged');
    expect(glucose!.querySelector('.flag--critical')).toBeNull();
    const vitals = within(results).getByRole('article', { name: 'Results without a report' });
    const unit = within(vitals).getByText('°C');
    expect(unit.tagName).toBe('ABBR');
    expect(unit.getAttribute('title')).toBe('UCUM: Cel');
    expect(within(vitals).getByRole('row', { name: /Body temperature/ }).textContent).toContain('38.4 °C');
  });

  it('the flowsheet (tests × days) and the trend of a numeric test with its reference range', async () => {
    await openPatient();
    const results = screen.getByRole('region', { name: 'Results' });
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const rows = within(sheet)
      .getAllByRole('row')
      .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(rows).toEqual([
      ['Test', '2025-03-02', '2025-03-01', '2025-02-20'],
      ['Body temperature (°C)', '07:00 38.4 ▲ HHigh', '', ''],
      ['Glucose (mmol/L)', '', '08:15 9.4 ▲ HHigh', ''],
      ['Potassium (mmol/L)', '', '08:15 6.8 ▲▲ HHCritically high', '08:00 4.2'],
    ]);

    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    expect(within(results).getByRole('combobox', { name: 'Test' })).toHaveProperty('value', 'LN|2823-3');
    const figure = within(results).getByRole('figure');
    expect(figure.querySelector('figcaption')?.textContent).toBe(
      'Potassium: 2 results from 2025-02-20 08:00 (UTC+01:00) to 2025-03-01 08:15 (UTC+01:00); latest 6.8 mmol/L; reference range 3.5–5.1 mmol/L (shaded).',
    );
    const values = within(figure).getByRole('table', { name: 'Potassium values' });
    expect(within(values).getAllByRole('row').slice(1).map((tr) => tr.textContent)).toEqual(['2025-03-01 08:15 (UTC+01:00)6.8 mmol/L▲▲ HHCritically high', '2025-02-20 08:00 (UTC+01:00)4.2 mmol/L']);
  });
});

describe('long charts', () => {
  it('a patient with many reports and records shows the newest first and the rest on request', async () => {
    const many: RecordRow[] = [];
    for (let index = 0; index < 30; index++) {
      const day = `2025-01-${String(index + 1).padStart(2, '0')}T08:00:00+01:00`;
      many.push(at(`m${index}.1`, { type: 'report', kind: 'result', code: { code: 'P', system: 'L', display: `Panel ${index}` }, time: day }, 1000 + index));
      for (let test = 0; test < 4; test++) many.push(at(`m${index}.${test + 2}`, obs(`T${test}`, `Test ${test}`, index + test, 'mmol/L', day), 1000 + index));
    }
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(9, {}, many)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-9', vault);
    const results = await screen.findByRole('region', { name: 'Results' });
    expect(within(results).getAllByRole('article')).toHaveLength(10);
    expect(within(results).getAllByRole('article')[0]!.getAttribute('aria-labelledby')).toBeTruthy();
    expect(within(results).getByText(/^Showing the newest 10 of 30 reports\./)).toBeTruthy();
    fireEvent.click(within(results).getByRole('button', { name: 'Show more reports' }));
    expect(within(results).getAllByRole('article')).toHaveLength(30);

    const records = screen.getByRole('table', { name: 'Records' });
    expect(within(records).getAllByRole('row').filter((row) => row.className.startsWith('record-table__row'))).toHaveLength(100);
    fireEvent.click(screen.getByRole('button', { name: 'Show all 150 records' }));
    expect(within(screen.getByRole('table', { name: 'Records' })).getAllByRole('row').filter((row) => row.className.startsWith('record-table__row'))).toHaveLength(150);
  });
});

describe('a record with a UCUM unit', () => {
  it('shows the readable unit and its code on the record detail', async () => {
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, {}, RECORDS)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/m3.0', vault);
    const unit = await screen.findByText('Unit');
    expect(unit.parentElement?.textContent).toBe('Unit°C (UCUM Cel)');
    expect(screen.getByText('Value').parentElement?.textContent).toBe('Value38.4 °C');
  });
});

/** QA explore-11 (issue 11): what the clinician sees of a corrected result (D0) and of mixed units (D21). */
function openChart(records: RecordRow[]) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, {}, records)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
  return screen.findByRole('region', { name: 'Results' });
}

const CORRECTION: RecordRow[] = [
  // CORR-1: potassium 5.0 (N), sodium 140 under the metabolic panel of order F-900.
  at('p-7.m1.0', obs('2823-3', 'Potassium', 5.0, 'mmol/L', '2025-03-10T08:00:00+01:00', { referenceRange: '3.5-5.1', abnormalFlags: ['N'], orderId: 'F-900' }), 1),
  // CORR-2: the lab corrects potassium to 5.6 (H); sodium and the report resent unchanged (the views keep the later copy).
  at('p-7.m2.0', obs('2823-3', 'Potassium', 5.6, 'mmol/L', '2025-03-10T08:00:00+01:00', { referenceRange: '3.5-5.1', abnormalFlags: ['H'], orderId: 'F-900', status: 'C' }), 2),
  at('p-7.m2.1', obs('2951-2', 'Sodium', 140, 'mmol/L', '2025-03-10T08:00:00+01:00', { referenceRange: '135-145', orderId: 'F-900' }), 2),
  at('p-7.m2.2', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-900', time: '2025-03-10T08:00:00+01:00' }, 2),
  at('p-7.m0.0', obs('2823-3', 'Potassium', 4.1, 'mmol/L', '2025-03-01T08:00:00+01:00', { referenceRange: '3.5-5.1', orderId: 'F-800' }), 0),
  at('p-7.m0.1', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-800', time: '2025-03-01T08:00:00+01:00' }, 0),
];

describe('D0: a corrected result on the patient page', () => {
  it('by report: the corrected value under its report, marked "corrected from", the superseded one not listed on its own', async () => {
    const results = await openChart(CORRECTION);
    expect(within(results).queryByRole('article', { name: 'Results without a report' })).toBeNull();
    const [panel] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    const rows = within(panel!).getAllByRole('row').slice(1).map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 2).map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['Potassium', '5.6 mmol/LCorrected from 5 mmol/L'],
      ['Sodium', '140 mmol/L'],
    ]);
  });

  it('the flowsheet cell and the trend show the correction; "latest" is the corrected value', async () => {
    const results = await openChart(CORRECTION);
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const potassium = within(sheet).getByRole('row', { name: /Potassium/ });
    expect([...potassium.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())).toEqual(['08:00 5.6 ▲ HHighCorrected from 5 mmol/L', '08:00 4.1']);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2823-3' } });
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent;
    expect(caption).toBe('Potassium: 2 results from 2025-03-01 08:00 (UTC+01:00) to 2025-03-10 08:00 (UTC+01:00); latest 5.6 mmol/L; reference range 3.5–5.1 mmol/L (shaded).');
    const values = within(results).getByRole('table', { name: 'Potassium values' });
    expect(within(values).getAllByRole('row')[1]!.textContent).toBe('2025-03-10 08:00 (UTC+01:00)5.6 mmol/L, corrected from 5 mmol/L▲ HHigh');
  });
});

// A final result the lab sent again with another value (F after F, same order, test and time): the
// latest is the result, and every view says a final one was replaced (results-model.ts correctionsOf).
describe('a final result sent again with another value', () => {
  const RESENT: RecordRow[] = [
    ...CORRECTION.slice(0, 1),
    at('p-7.m2.0', obs('2823-3', 'Potassium', 5.6, 'mmol/L', '2025-03-10T08:00:00+01:00', { referenceRange: '3.5-5.1', abnormalFlags: ['H'], orderId: 'F-900' }), 2),
    ...CORRECTION.slice(2),
  ];

  it('by report, on the flowsheet and in the trend: the latest, with "Earlier final result was 5 mmol/L"', async () => {
    const results = await openChart(RESENT);
    const [panel] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    const rows = within(panel!).getAllByRole('row').slice(1).map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 2).map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['Potassium', '5.6 mmol/LEarlier final result was 5 mmol/L'],
      ['Sodium', '140 mmol/L'],
    ]);
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const potassium = within(within(results).getByRole('table', { name: 'Flowsheet' })).getByRole('row', { name: /Potassium/ });
    expect([...potassium.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())).toEqual(['08:00 5.6 ▲ HHighEarlier final result was 5 mmol/L', '08:00 4.1']);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2823-3' } });
    const values = within(results).getByRole('table', { name: 'Potassium values' });
    expect(within(values).getAllByRole('row')[1]!.textContent).toBe('2025-03-10 08:00 (UTC+01:00)5.6 mmol/L, earlier final was 5 mmol/L▲ HHigh');
  });
});

describe('QA round 4, #12: a flowsheet cell with two values of one day', () => {
  it('lists the newest first, each with its time visible (HH:MM) and its flags', async () => {
    const results = await openChart([
      at('p-7.k1.0', obs('2823-3', 'Potassium', 7.1, 'mmol/L', '2026-12-02T06:00:00+01:00', { referenceRange: '3.5-5.1', abnormalFlags: ['HH'], orderId: 'F-1' }), 1),
      at('p-7.k2.0', obs('2823-3', 'Potassium', 4.5, 'mmol/L', '2026-12-02T12:00:00+01:00', { referenceRange: '3.5-5.1', orderId: 'F-2' }), 2),
      at('p-7.k3.0', obs('2823-3', 'Potassium', 4.1, 'mmol/L', '2026-12-01T07:45:00+01:00', { referenceRange: '3.5-5.1', orderId: 'F-0' }), 0),
    ]);
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const potassium = within(sheet).getByRole('row', { name: /Potassium/ });
    const cells = [...potassium.querySelectorAll('td')].map((cell) => [...cell.querySelectorAll('.flowsheet__value')].map((value) => (value.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(cells).toEqual([['12:00 4.5', '06:00 7.1 ▲▲ HHCritically high'], ['07:45 4.1']]);
    const [newest, older] = potassium.querySelectorAll('td')[0]!.querySelectorAll('time');
    expect(newest!.getAttribute('dateTime')).toBe('2026-12-02T12:00:00+01:00');
    expect(older!.getAttribute('title')).toBe('2026-12-02 06:00 (UTC+01:00)');
  });
});

describe('D21 and D8: the trend of results in different units, and one-sided reference ranges', () => {
  it('converts a glucose in mg/dL into mmol/L and says so; a result it cannot convert is counted, not dropped silently', async () => {
    const glucose = (seq: number, value: number, unit: string, day: string, range: string) =>
      at(`p-7.g${seq}.0`, obs('2345-7', 'Glucose', value, unit, `2025-03-${day}T08:00:00+01:00`, { referenceRange: range, orderId: `F-${seq}` }), seq);
    const results = await openChart([glucose(1, 5.2, 'mmol/L', '14', '3.9-5.5'), glucose(2, 180, 'mg/dL', '15', '70-100'), glucose(3, 41, 'mmol/mol', '15', ''), glucose(4, 6.1, 'mmol/L', '16', '<5.6')]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const figure = within(results).getByRole('figure');
    expect(figure.querySelector('figcaption')?.textContent).toBe(
      'Glucose: 3 results from 2025-03-14 08:00 (UTC+01:00) to 2025-03-16 08:00 (UTC+01:00); latest 6.1 mmol/L; 1 result converted from mg/dL; reference range < 5.6 mmol/L (shaded). Not drawn: 1 result in mmol/mol (no certain conversion to mmol/L): 41 mmol/mol on 2025-03-15 08:00 (UTC+01:00).',
    );
    const values = within(figure).getByRole('table', { name: 'Glucose values' });
    expect(within(values).getAllByRole('row').map((tr) => tr.textContent)).toContain('2025-03-15 08:00 (UTC+01:00)10.0 mmol/L (reported as 180 mg/dL)');
  });
});

describe('D20: HL7 formatting escapes in comments and formatted-text results', () => {
  it('shows \\.br\\ as a line break and drops highlight on/off, in report comments, result comments and FT values', async () => {
    const T = '2025-03-12T08:00:00+01:00';
    const results = await openChart([
      at('p-7.e1.1', { type: 'report', kind: 'result', code: { code: 'X', system: 'L', display: 'Interpretation' }, fillerOrderId: 'F-77', time: T, comments: ['Line one\\.br\\Line two'] }, 1),
      at(
        'p-7.e1.0',
        { type: 'observation', category: 'laboratory', code: { code: 'X-9', system: 'L', display: 'Interpretation' }, value: { kind: 'text', value: 'Normal findings.\\.br\\No action needed.' }, valueType: 'FT', status: 'F', time: T, orderId: 'F-77', comments: ['\\H\\bold\\N\\ done'] },
        1,
      ),
    ]);
    const [block] = within(results).getAllByRole('article', { name: 'Interpretation' });
    const note = within(block!).getByRole('note', { name: 'Report comments' });
    expect(note.innerHTML).not.toContain('\\');
    expect(note.querySelectorAll('br')).toHaveLength(1);
    expect(note.textContent).toBe('Line oneLine two');
    const row = within(block!).getAllByRole('row')[1]!;
    expect(row.querySelector('.result-table__comment')?.textContent).toBe('bold done');
    const value = row.querySelector('.result-table__value')!;
    expect(value.querySelectorAll('br')).toHaveLength(1);
    expect(value.textContent).toBe('Normal findings.No action needed.');
  });
});

describe('D20 on one line', () => {
  it('the records list and report summaries read formatted text without its escapes', () => {
    const value: Observation = { type: 'observation', category: 'laboratory', code: { code: 'X', system: 'L', display: 'X' }, value: { kind: 'text', value: '\\H\\Normal\\N\\ findings.\\.br\\No action\\.sp\\needed.' }, status: 'F', time: '2025-01-01T00:00:00Z' };
    expect(recordValue(value)).toBe('Normal findings. No action needed.');
    expect(reportSummary('\\.br\\First line\\.br\\second', undefined)).toBe('First line');
  });
});

describe('D19: the age of an infant', () => {
  it('days under 4 weeks, weeks under 2 months, months under 2 years, then years', () => {
    expect(ageSexLabel('2026-12-06', 'F', '2026-12-06')).toBe('0 d, Female (born 2026-12-06)');
    expect(ageSexLabel('2026-11-20', 'F', '2026-12-06')).toBe('16 d, Female (born 2026-11-20)');
    expect(ageSexLabel('2026-10-25', 'M', '2026-12-06')).toBe('6 wk, Male (born 2026-10-25)');
    expect(ageSexLabel('2026-10-01', 'U', '2026-12-06')).toBe('2 mo, Unknown (born 2026-10-01)');
    expect(ageSexLabel('2024-12-07', 'U', '2026-12-06')).toBe('23 mo, Unknown (born 2024-12-07)');
    expect(ageSexLabel('2024-12-06', 'U', '2026-12-06')).toBe('2 y, Unknown (born 2024-12-06)');
    expect(ageSexLabel('2027-01-01', 'U', '2026-12-06')).toBe('Birth date in the future, Unknown (born 2027-01-01)');
  });

  it('a birth date known to the month (HL7 DT YYYYMM) gives the age it is sure of', () => {
    expect(ageSexLabel('2025-03', 'F', '2026-12-06')).toBe('20 mo, Female (born 2025-03)');
    expect(ageSexLabel('2020-03', 'F', '2026-03-06')).toBe('5 y, Female (born 2020-03)');
    expect(ageSexLabel('2020-03', 'F', '2026-04-01')).toBe('6 y, Female (born 2020-03)');
    expect(ageSexLabel('2026-12', 'F', '2026-12-06')).toBe('under 1 mo, Female (born 2026-12)');
  });

  it('a birth date known to the year only gives the age it is sure of, and says the year', () => {
    expect(ageSexLabel('2025', 'F', '2026-12-06')).toBe('11 mo, Female (born 2025)');
    expect(ageSexLabel('2020', 'M', '2026-12-06')).toBe('5 y, Male (born 2020)');
    expect(ageSexLabel('2026', 'U', '2026-12-06')).toBe('under 1 y, Unknown (born 2026)');
    // QA2-11 Q7: a birth date after today is said so, not "Age not recorded" beside it.
    expect(ageSexLabel('2027', 'U', '2026-12-06')).toBe('Birth date in the future, Unknown (born 2027)');
    expect(ageSexLabel('2030-01', 'F', '2026-12-06')).toBe('Birth date in the future, Female (born 2030-01)');
    expect(ageSexLabel('2026-12-07', 'F', '2026-12-06')).toBe('Birth date in the future, Female (born 2026-12-07)');
    expect(ageSexLabel('2026-12-06', 'F', '2026-12-06')).toBe('0 d, Female (born 2026-12-06)');
    expect(ageSexLabel(undefined, 'F', '2026-12-06')).toBe('Age not recorded, Female');
  });
});

describe('D0 in the list of every record', () => {
  it('the superseded result stays in the history, struck through and naming what replaced it', async () => {
    await openChart(CORRECTION);
    const table = screen.getByRole('table', { name: 'Records' });
    const potassium = within(table)
      .getAllByRole('row')
      .filter((tr) => tr.className.startsWith('record-table__row') && tr.textContent?.includes('Potassium'));
    expect(potassium.map((tr) => tr.querySelector('.record-table__value')?.textContent)).toEqual(['5.6 mmol/L', '5 mmol/LReplaced by 5.6 mmol/L (corrected)', '4.1 mmol/L']);
    expect(potassium[1]!.className).toContain('record-table__row--superseded');
    expect(potassium[1]!.querySelector('s')?.textContent).toBe('5 mmol/L');
  });
});

/** QA explore-11 D8: `>150` lost its unit and `4.0` read as `4`. What the mapping now stores (hl7-mapping.test.ts), as the clinician sees it. */
describe('D8: result values as the lab wrote them', () => {
  const T1 = '2025-03-10T08:00:00+01:00';
  const T2 = '2025-03-11T08:00:00+01:00';
  const D8_RECORDS: RecordRow[] = [
    at('p-7.v1.2', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-1', time: T1 }, 1),
    at('p-7.v1.0', obs('2951-2', 'Sodium', 0, '', T1, { value: { kind: 'text', value: '>150' }, valueType: 'NM', valueDetail: { kind: 'structured-numeric', comparator: '>', value: 150, unit: 'mmol/L' }, abnormalFlags: ['HH'], orderId: 'F-1' }), 1),
    at('p-7.v1.1', obs('2823-3', 'Potassium', 4, 'mmol/L', T1, { value: { kind: 'numeric', value: 4, unit: 'mmol/L', decimals: 1 }, orderId: 'F-1' }), 1),
    at('p-7.v2.1', { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId: 'F-2', time: T2 }, 2),
    at('p-7.v2.0', obs('2823-3', 'Potassium', 4.5, 'mmol/L', T2, { value: { kind: 'numeric', value: 4.5, unit: 'mmol/L' }, orderId: 'F-2' }), 2),
    // An older record (before decimals were kept) still reads as it did.
    at('p-7.v0.0', obs('2093-3', 'Cholesterol', 5, 'mmol/L', T1), 0),
  ];

  it('by report: "> 150 mmol/L" and "4.0 mmol/L"; the flowsheet row of a compared value has its unit; the trend keeps the lab\'s decimals', async () => {
    const results = await openChart(D8_RECORDS);
    const panels = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    const rows = within(panels[1]!).getAllByRole('row').slice(1).map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 2).map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['Sodium', '> 150 mmol/L'],
      ['Potassium', '4.0 mmol/L'],
    ]);

    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const cells = within(sheet)
      .getAllByRole('row')
      .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(cells).toEqual([
      ['Test', '2025-03-11', '2025-03-10'],
      ['Cholesterol (mmol/L)', '', '08:00 5'],
      ['Potassium (mmol/L)', '08:00 4.5', '08:00 4.0'],
      ['Sodium (mmol/L)', '', '08:00 > 150 ▲▲ HHCritically high'],
    ]);

    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2823-3' } });
    const values = within(results).getByRole('table', { name: 'Potassium values' });
    expect(within(values).getAllByRole('row').slice(1).map((tr) => tr.textContent)).toEqual(['2025-03-11 08:00 (UTC+01:00)4.5 mmol/L', '2025-03-10 08:00 (UTC+01:00)4.0 mmol/L']);
  });

  it('the trend says which results it cannot draw (not a plain number), with their values: a newer "> 150" is not hidden behind "latest"', async () => {
    const sodium = (seq: number, day: string, value: number | string) =>
      at(
        `p-7.s${seq}.0`,
        obs('2951-2', 'Sodium', typeof value === 'number' ? value : 0, 'mmol/L', `2025-03-${day}T08:00:00+01:00`, {
          orderId: `F-${seq}`,
          ...(typeof value === 'number' ? {} : { value: { kind: 'text' as const, value }, valueDetail: { kind: 'structured-numeric' as const, comparator: '>', value: 150, unit: 'mmol/L' }, abnormalFlags: ['HH'] }),
        }),
        seq,
      );
    const results = await openChart([sodium(1, '10', 141), sodium(2, '11', 148), sodium(3, '12', '>150')]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2951-2' } });
    // QA2-11 Q8: the newest result is named as the latest whatever its form, first, never an older number.
    const figure = within(results).getByRole('figure');
    expect(figure.querySelector('figcaption')?.textContent).toBe(
      'Sodium: latest > 150 mmol/L on 2025-03-12 08:00 (UTC+01:00), Critically high (not drawn: not a plain number); 2 results drawn from 2025-03-10 08:00 (UTC+01:00) to 2025-03-11 08:00 (UTC+01:00), the last 148 mmol/L; no reference range given.',
    );
    // Above the chart, not only in its caption.
    expect(within(figure).getByRole('note', { name: 'Latest result' }).textContent).toBe('Latest result: > 150 mmol/L on 2025-03-12 08:00 (UTC+01:00), Critically high — not drawn on the chart (not a plain number).');
    expect(figure.textContent?.indexOf('Latest result')).toBeLessThan(figure.textContent!.indexOf('Sodium: latest'));
  });

  it('the chart\'s time axis reaches the results it cannot draw, each marked with its value where it was taken', () => {
    const row = (seq: number, day: string, value: number | string) =>
      at(
        `p-7.s${seq}.0`,
        obs('2951-2', 'Sodium', typeof value === 'number' ? value : 0, 'mmol/L', `2025-03-${day}T08:00:00+01:00`, {
          ...(typeof value === 'number' ? {} : { value: { kind: 'text' as const, value }, valueDetail: { kind: 'structured-numeric' as const, comparator: '>', value: 150, unit: 'mmol/L' }, abnormalFlags: ['HH'] }),
        }),
        seq,
      );
    const trend = trendOf([row(1, '10', 141), row(2, '11', 148), row(3, '12', '>150')], 'LN|2951-2');
    const day12 = Date.parse('2025-03-12T08:00:00+01:00') / 1000;
    expect(undrawnMarks(trend)).toEqual([{ at: day12, label: '> 150 mmol/L' }]);
    const [first, last] = [trend.points[0]!.at, trend.points.at(-1)!.at];
    expect(trendTimeRange(trend, first, last)).toEqual([first, day12]);
    expect(trendTimeRange({ ...trend, notNumeric: [] }, first, last)).toEqual([first, last]);
  });

  it('an older result that cannot be drawn is still named after the caption; the newest drawn one is "latest", with no note', async () => {
    const sodium = (seq: number, day: string, value: number | string) =>
      at(
        `p-7.s${seq}.0`,
        obs('2951-2', 'Sodium', typeof value === 'number' ? value : 0, 'mmol/L', `2025-03-${day}T08:00:00+01:00`, {
          orderId: `F-${seq}`,
          ...(typeof value === 'number' ? {} : { value: { kind: 'text' as const, value }, valueDetail: { kind: 'structured-numeric' as const, comparator: '>', value: 150, unit: 'mmol/L' } }),
        }),
        seq,
      );
    const results = await openChart([sodium(1, '10', '>150'), sodium(2, '11', 148), sodium(3, '12', 141)]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2951-2' } });
    const figure = within(results).getByRole('figure');
    expect(figure.querySelector('figcaption')?.textContent).toBe(
      'Sodium: 2 results from 2025-03-11 08:00 (UTC+01:00) to 2025-03-12 08:00 (UTC+01:00); latest 141 mmol/L; no reference range given. Not drawn (not a plain number): > 150 mmol/L on 2025-03-10 08:00 (UTC+01:00).',
    );
    expect(within(figure).queryByRole('note', { name: 'Latest result' })).toBeNull();
  });

  it('one line (records list, "corrected from"): the same text', () => {
    expect(recordValue(D8_RECORDS[1]!.record)).toBe('> 150 mmol/L');
    expect(recordValue(D8_RECORDS[2]!.record)).toBe('4.0 mmol/L');
    expect(recordValue(obs('X', 'Titer', 0, '', T1, { value: { kind: 'text', value: '1:128' }, valueDetail: { kind: 'structured-numeric', value: 1, separator: ':', value2: 128 } }))).toBe('1:128');
    expect(recordValue(obs('X', 'Glucose', 0, '', T1, { value: { kind: 'text', value: '<1.0' }, valueDetail: { kind: 'structured-numeric', comparator: '<', value: 1, decimals: 1, unit: 'mmol/L' } }))).toBe('< 1.0 mmol/L');
  });
});

/** QA s33 D1: OBX-5 repeated (`6.0~7.0`) was charted as 6.0, 7.0 nowhere. Every value is shown, with a note, and none is charted. */
describe('D1: a result the lab sent with several values', () => {
  const day = (d: string) => `2025-03-${d}T08:00:00+01:00`;
  const repeated = obs('2345-7', 'Glucose', 0, '', day('12'), { valueType: 'NM', value: { kind: 'text', value: '6.0; 7.0' }, valueDetail: { kind: 'repeated', values: ['6.0', '7.0'], unit: 'mmol/L' } as unknown as Observation['valueDetail'], orderId: 'F-3' });
  const RECORDS_D1: RecordRow[] = [
    at('p-7.g1.0', obs('2345-7', 'Glucose', 5.5, 'mmol/L', day('10'), { orderId: 'F-1' }), 1),
    at('p-7.g2.0', obs('2345-7', 'Glucose', 5.8, 'mmol/L', day('11'), { orderId: 'F-2' }), 2),
    at('p-7.g3.1', { type: 'report', kind: 'result', code: { code: '24331-1', system: 'LN', display: 'Lipid panel' }, fillerOrderId: 'F-3', time: day('12') }, 3),
    at('p-7.g3.0', repeated, 3),
  ];

  it('every value with its unit and a note, in the records list, by report and on the flowsheet; the trend draws none of them', async () => {
    expect(recordValue(repeated)).toBe('6.0; 7.0 mmol/L (the lab sent 2 values)');
    const results = await openChart(RECORDS_D1);
    const panel = within(results).getByRole('article', { name: 'Lipid panel' });
    expect(within(panel).getAllByRole('row').slice(1).map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 2).map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ')))).toEqual([['Glucose', '6.0; 7.0 mmol/L (the lab sent 2 values)']]);

    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    expect(within(sheet).getAllByRole('row').map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()))).toEqual([
      ['Test', '2025-03-12', '2025-03-11', '2025-03-10'],
      ['Glucose (mmol/L)', '08:00 6.0; 7.0 mmol/L (the lab sent 2 values)', '08:00 5.8', '08:00 5.5'],
    ]);

    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|2345-7' } });
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent ?? '';
    expect(caption).toBe(
      'Glucose: latest 6.0; 7.0 mmol/L (the lab sent 2 values) on 2025-03-12 08:00 (UTC+01:00) (not drawn: not a plain number); 2 results drawn from 2025-03-10 08:00 (UTC+01:00) to 2025-03-11 08:00 (UTC+01:00), the last 5.8 mmol/L; no reference range given.',
    );
  });
});

/** QA2-11 Q1 and Q5: SN values shown as the lab wrote them, never cut, the second number's decimals and a "+" suffix kept. */
describe('Q1 and Q5: structured numeric (SN) values as written', () => {
  const T = '2025-03-10T08:00:00+01:00';
  const sn = (written: string, detail: Record<string, unknown>) => obs('5902-2', 'PT', 0, '', T, { valueType: 'SN', value: { kind: 'text', value: written }, valueDetail: { kind: 'structured-numeric', ...detail } });

  it('a range keeps both numbers as written, a suffix "+" is kept, a ratio and a comparator read as before', () => {
    expect(recordValue(sn('2.0-4.0', { value: 2, separator: '-', value2: 4, decimals: 1, unit: 's' }))).toBe('2.0-4.0 s');
    expect(recordValue(sn('2.5-3.0', { value: 2.5, separator: '-', value2: 3, unit: 's' }))).toBe('2.5-3.0 s');
    expect(recordValue(sn('2+', { value: 2, separator: '+' }))).toBe('2+');
    expect(recordValue(sn('1:128', { value: 1, separator: ':', value2: 128 }))).toBe('1:128');
    expect(recordValue(sn('<1.0', { comparator: '<', value: 1, decimals: 1, unit: 'mmol/L' }))).toBe('< 1.0 mmol/L');
    expect(recordValue(sn('>=150', { comparator: '>=', value: 150, unit: 'mmol/L' }))).toBe('>= 150 mmol/L');
    // A plain SN number (`^5.10`) is numeric with its decimals; its detail must not drop them.
    expect(recordValue(obs('2093-3', 'Cholesterol', 5.1, 'mmol/L', T, { valueType: 'SN', value: { kind: 'numeric', value: 5.1, unit: 'mmol/L', decimals: 2 }, valueDetail: { kind: 'structured-numeric', value: 5.1 } }))).toBe('5.10 mmol/L');
  });

  it('a value sent out of place (2.0^-^4.0: a number in the comparator slot) is shown whole, also from records stored with the clipped comparator', () => {
    expect(recordValue(sn('2.0-4.0', { unit: 's' }))).toBe('2.0-4.0 s');
    // Stored before the fix: comparator '2.' (clipped), the text as sent intact.
    expect(recordValue(sn('2.0-4.0', { comparator: '2.', unit: 's' }))).toBe('2.0-4.0 s');
  });
});

/**
 * A correction resends the report (same order number); the views show its newest version. When the
 * correction has no comments of its own, the original report's NTE comments vanished with it. A
 * clinician still needs them ("specimen haemolysed" still applies to the corrected value): they stay
 * under the report, marked as the earlier report's; a comment the correction repeats shows once.
 */
describe('report comments across a correction', () => {
  const T = '2025-03-10T08:00:00+01:00';
  const report = (recordId: string, seq: number, status: string, comments?: string[]) =>
    at(recordId, { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, status, fillerOrderId: 'F-900', time: T, ...(comments === undefined ? {} : { comments }) }, seq);
  const potassium = (recordId: string, seq: number, value: number, status: 'F' | 'C') => at(recordId, obs('2823-3', 'Potassium', value, 'mmol/L', T, { orderId: 'F-900', status }), seq);

  it('the model keeps the earlier versions\' comments the newest does not repeat, newest version first', () => {
    const records = [
      report('p-7.c1.1', 1, 'F', ['Specimen slightly haemolysed.', 'Repeat advised.']),
      potassium('p-7.c1.0', 1, 5.0, 'F'),
      report('p-7.c2.1', 2, 'C', ['Repeat advised.']),
      potassium('p-7.c2.0', 2, 5.6, 'C'),
    ];
    const [group] = groupResults(records);
    expect(group!.report?.recordId).toBe('p-7.c2.1');
    expect(group!.earlierComments.map((earlier) => [earlier.report.recordId, earlier.comments])).toEqual([['p-7.c1.1', ['Specimen slightly haemolysed.']]]);
    expect(groupResults([report('p-7.c1.1', 1, 'F'), potassium('p-7.c1.0', 1, 5.0, 'F')])[0]!.earlierComments).toEqual([]);
  });

  it('by report: the corrected report without comments shows the original\'s, marked as from the original report', async () => {
    const results = await openChart([report('p-7.c1.1', 1, 'F', ['Specimen slightly haemolysed.']), potassium('p-7.c1.0', 1, 5.0, 'F'), report('p-7.c2.1', 2, 'C'), potassium('p-7.c2.0', 2, 5.6, 'C')]);
    const [panel] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    expect(within(panel!).queryByRole('note', { name: 'Report comments' })).toBeNull();
    const earlier = within(panel!).getByRole('note', { name: 'Comments on the earlier report' });
    expect(earlier.textContent).toBe('From the report of 2025-03-10 08:00 (UTC+01:00), Final:Specimen slightly haemolysed.');
  });
});

/** QA D6 (issue 11, a clinician's review). */
describe('QA D6: allergies once and by severity; values and ranges with the digits the lab sent', () => {
  const allergy = (recordId: string, seq: number, code: string, display: string, severity: string | undefined, time: string) =>
    at(recordId, { type: 'allergy', allergen: { code, system: 'L', display }, ...(severity === undefined ? {} : { severity }), reactions: [] }, seq, time);
  const A04 = '2026-11-20T09:00:00+01:00';
  const A08 = '2026-11-21T10:00:00+01:00';

  it('(a) an A08 repeating the A04’s allergy: the Records table lists it once (the newest), a changed one twice', async () => {
    const records = [allergy('p-7.a1.0', 1, 'ASA', 'ASPIRIN', 'MI', A04), allergy('p-7.a2.0', 2, 'ASA', 'ASPIRIN', 'MI', A08), allergy('p-7.a1.1', 1, 'IOD', 'IODINATED CONTRAST', 'MI', A04), allergy('p-7.a2.1', 2, 'IOD', 'IODINATED CONTRAST', 'SV', A08)];
    expect([...repeatedAllergies(records)]).toEqual(['p-7.a1.0']);
    void openChart(records).catch(() => undefined);
    const table = await screen.findByRole('table', { name: 'Records' });
    const names = within(table)
      .getAllByRole('row')
      .filter((tr) => tr.className.startsWith('record-table__row'))
      .map((tr) => `${tr.querySelector('th')?.textContent} ${tr.querySelector('.record-table__value')?.textContent}`);
    expect(names.filter((name) => name.includes('ASPIRIN'))).toHaveLength(1);
    expect(names.filter((name) => name.includes('IODINATED CONTRAST'))).toHaveLength(2);
  });

  it('(c) the banner’s allergies: severe first, then by name', () => {
    const records = [allergy('a', 1, 'ASA', 'ASPIRIN', 'MI', A04), allergy('b', 1, 'IOD', 'IODINATED CONTRAST', 'SV', A04), allergy('c', 1, 'LAT', 'LATEX', undefined, A04), allergy('d', 1, 'PCN', 'PENICILLIN', 'MO', A04), allergy('e', 1, 'COD', 'CODEINE', 'SV', A04)];
    expect(allergiesOf(records).map((row) => row.record.type === 'allergy' && row.record.allergen.display)).toEqual(['CODEINE', 'IODINATED CONTRAST', 'PENICILLIN', 'ASPIRIN', 'LATEX']);
  });

  it('(b) "(reported as 4.0 mmol/L)", not "4"; a range "4.0-10.0" captioned "4.0–10.0", not "4–10"', () => {
    const glucose = (recordId: string, seq: number, value: number, decimals: number, unit: string, time: string, range: string) =>
      at(recordId, obs('2345-7', 'Glucose', value, unit, time, { value: { kind: 'numeric', value, unit, decimals }, referenceRange: range }), seq);
    const records = [glucose('g1', 1, 4, 1, 'mmol/L', '2026-11-20T08:00:00+01:00', '3.9-5.5'), glucose('g2', 2, 90, 0, 'mg/dL', '2026-11-21T08:00:00+01:00', '70-100')];
    const trend = trendOf(records, 'LN|2345-7');
    expect(reportedAsText(trend.points[0]!.reported)).toBe(' (reported as 4.0 mmol/L)');
    const wbc = [at('w1', obs('6690-2', 'Leukocytes', 7.5, '10*9/L', '2026-11-20T08:00:00+01:00', { value: { kind: 'numeric', value: 7.5, unit: '10*9/L', decimals: 1 }, referenceRange: '4.0-10.0' }), 1), at('w2', obs('6690-2', 'Leukocytes', 8.0, '10*9/L', '2026-11-21T08:00:00+01:00', { value: { kind: 'numeric', value: 8, unit: '10*9/L', decimals: 1 }, referenceRange: '4.0-10.0' }), 2)];
    expect(trendSummary(trendOf(wbc, 'LN|6690-2'))).toContain('reference range 4.0–10.0');
    expect(trendSummary(trendOf([at('c1', obs('2093-3', 'Cholesterol', 4.8, 'mmol/L', '2026-11-20T08:00:00+01:00', { referenceRange: '<5.20' }), 1)], 'LN|2093-3'))).toContain('reference range < 5.20');
  });
});

/** QA s32 t3 #3: a test with one numeric result (or none) was silently missing from the Trends picker. */
describe('the Trends picker names the tests it leaves out', () => {
  const text = (code: string, display: string, value: string, time: string): Observation => ({ type: 'observation', category: 'laboratory', code: { code, system: 'LN', display }, value: { kind: 'text', value }, status: 'F', time, abnormalFlags: ['AA'] });

  it('says which tests have fewer than two numeric results and that the flowsheet shows them, also to the picker', async () => {
    const results = await openChart([
      at('k1', obs('2823-3', 'Potassium', 4.2, 'mmol/L', '2026-11-22T08:00:00+01:00'), 1),
      at('k2', obs('2823-3', 'Potassium', 6.9, 'mmol/L', '2026-11-24T08:00:00+01:00'), 2),
      at('d1', obs('8462-4', 'Diastolic blood pressure', 88, 'mm[Hg]', '2026-11-22T08:20:00+01:00'), 3),
      at('b1', text('600-7', 'Blood culture', 'Gram-positive cocci in clusters', '2026-11-24T08:00:00+01:00'), 2),
    ]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const picker = within(results).getByRole('combobox', { name: 'Test' });
    expect([...picker.querySelectorAll('option')].map((option) => option.textContent)).toEqual(['Potassium']);
    const note = within(results).getByText(/^Not in this list/);
    expect(note.textContent).toBe('Not in this list (fewer than two numeric results; the flowsheet shows them): Blood culture (no numeric result), Diastolic blood pressure (one numeric result).');
    expect(picker.getAttribute('aria-describedby')?.split(' ')).toContain(note.id);
  });

  it('with no test to draw, names those there are', async () => {
    const results = await openChart([at('d1', obs('8462-4', 'Diastolic blood pressure', 88, 'mm[Hg]', '2026-11-22T08:20:00+01:00'), 3)]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    expect(within(results).queryByRole('combobox', { name: 'Test' })).toBeNull();
    expect(within(results).getByText(/^No test has two or more numeric results yet/).textContent).toBe(
      'No test has two or more numeric results yet: there is no trend to draw. The flowsheet shows Diastolic blood pressure (one numeric result).',
    );
  });

  it('says nothing when every test has a trend', async () => {
    const results = await openChart([at('k1', obs('2823-3', 'Potassium', 4.2, 'mmol/L', '2026-11-22T08:00:00+01:00'), 1), at('k2', obs('2823-3', 'Potassium', 6.9, 'mmol/L', '2026-11-24T08:00:00+01:00'), 2)]);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    expect(within(results).queryByText(/^Not in this list/)).toBeNull();
    expect(within(results).getByRole('combobox', { name: 'Test' }).getAttribute('aria-describedby')).toBeNull();
  });
});

describe('issue 11 (analyst): a trend in the unit most results carry, the others named and offered', () => {
  const cholesterol = (seq: number, value: number, unit: string, day: string, range: string) =>
    at(`p-7.c${seq}.0`, obs('2093-3', 'Cholesterol', value, unit, `2025-04-${day}T08:00:00+01:00`, { referenceRange: range, orderId: `F-${seq}` }), seq);
  const rows = [cholesterol(1, 5.2, 'mmol/L', '01', '<5.2'), cholesterol(2, 4.8, 'mmol/L', '02', '<5.2'), cholesterol(3, 5.6, 'mmol/L', '03', '<5.2'), cholesterol(4, 190, 'mg/dL', '04', '<200'), cholesterol(5, 201, 'mg/dL', '05', '<200')];

  it('draws cholesterol in mmol/L (3 of 5), says the 2 in mg/dL are not drawn and lists them, and draws them on request', async () => {
    const results = await openChart(rows);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const figure = within(results).getByRole('figure');
    expect(figure.querySelector('figcaption')?.textContent).toBe(
      'Cholesterol: latest 201 mg/dL on 2025-04-05 08:00 (UTC+01:00) (not drawn: in another unit); 3 results drawn from 2025-04-01 08:00 (UTC+01:00) to 2025-04-03 08:00 (UTC+01:00), the last 5.6 mmol/L; reference range < 5.2 mmol/L (shaded). ' +
        'Not drawn: 2 results in mg/dL (no certain conversion to mmol/L; it needs the substance\u2019s molar mass): 190 mg/dL on 2025-04-04 08:00 (UTC+01:00); 201 mg/dL on 2025-04-05 08:00 (UTC+01:00).',
    );
    expect(within(figure).getByRole('table', { name: 'Cholesterol values' }).querySelectorAll('tbody tr')).toHaveLength(3);
    fireEvent.click(within(figure).getByRole('button', { name: 'Show the 2 results in mg/dL' }));
    const other = within(results).getByRole('figure');
    expect(other.querySelector('figcaption')?.textContent).toMatch(/^Cholesterol: 2 results from 2025-04-04 08:00 \(UTC\+01:00\) to 2025-04-05 08:00 \(UTC\+01:00\); latest 201 mg\/dL; reference range < 200 mg\/dL \(shaded\)\. Not drawn: 3 results in mmol\/L/);
    fireEvent.click(within(other).getByRole('button', { name: 'Show the 3 results in mmol/L' }));
    expect(within(results).getByRole('table', { name: 'Cholesterol values' }).querySelectorAll('tbody tr')).toHaveLength(3);
  });

  it('the flowsheet row names the same unit, and each value in the other unit carries its own', async () => {
    const results = await openChart(rows);
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    const row = within(within(results).getByRole('table', { name: 'Flowsheet' })).getByRole('row', { name: /Cholesterol/ });
    expect(row.querySelector('th')?.textContent).toBe('Cholesterol (mmol/L)');
    const values = [...row.querySelectorAll('.flowsheet__value')].map((value) => (value.textContent ?? '').replace(/\s+/g, ' ').trim());
    expect(values).toEqual(['08:00 201 mg/dL', '08:00 190 mg/dL', '08:00 5.6', '08:00 4.8', '08:00 5.2']);
  });
});

/**
 * Tester T1 (an internist) sent every OBX-11 status (HL7 table 0085): a cancelled result (X) read as
 * blanks under "Final", a result posted as wrong (W) was listed twice as a current critical value, a
 * deleted one (D) twice under "Corrected", and a preliminary result (P) looked final on its row.
 */
describe('T1: each result status in words, on every view', () => {
  const K = '2026-09-14T07:50:00+02:00';
  const report = (recordId: string, orderId: string, seq: number, status: string, time = K): RecordRow =>
    at(recordId, { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, status, fillerOrderId: orderId, time }, seq);
  const earlierPotassium = [
    report('p-7.e1.1', 'L1', 1, 'F', '2026-09-10T08:00:00+02:00'),
    at('p-7.e1.0', obs('2823-3', 'Potassium', 4.1, 'mmol/L', '2026-09-10T08:00:00+02:00', { referenceRange: '3.5-5.1', orderId: 'L1' }), 1),
    report('p-7.e2.1', 'L2', 2, 'F', '2026-09-12T08:00:00+02:00'),
    at('p-7.e2.0', obs('2823-3', 'Potassium', 4.3, 'mmol/L', '2026-09-12T08:00:00+02:00', { referenceRange: '3.5-5.1', orderId: 'L2' }), 2),
  ];
  const cellTexts = (results: HTMLElement, test: RegExp) => {
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const row = within(sheet).queryByRole('row', { name: test });
    return row === null ? null : [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim());
  };

  it('D1: a cancelled result (X) reads "Cancelled / not done" by report, on the flowsheet, in the trend and on its record page', async () => {
    const cancelled = at('p-7.x1.0', { ...obs('2823-3', 'Potassium', 0, 'mmol/L', K, { referenceRange: '3.5-5.1', orderId: 'L3', status: 'P', resultStatus: 'X', comments: ['Specimen haemolysed.'] }), value: { kind: 'text', value: '' } }, 3);
    const results = await openChart([...earlierPotassium, report('p-7.x1.1', 'L3', 3, 'F'), cancelled]);
    const [newest] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    const row = within(newest!).getAllByRole('row')[1]!;
    expect(row.querySelector('.result-table__value')?.textContent).toBe('Cancelled / not done');
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    expect(cellTexts(results, /Potassium/)).toEqual(['07:50 Cancelled / not done', '08:00 4.3', '08:00 4.1']);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent;
    expect(caption).toContain('latest (no value) on 2026-09-14 07:50 (UTC+02:00) (not drawn: cancelled / not done)');
    expect(caption).not.toContain('not a plain number');
    cleanup();
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [cancelled])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.x1.0', vault);
    const status = (await screen.findByText('Status')).nextElementSibling?.textContent;
    expect(status).toBe('Cancelled / not done (results cannot be obtained)');
  });

  it('D2: a result posted as wrong (W) withdraws the original: one struck row, "Withdrawn by the lab", no critical value, never charted', async () => {
    const original = at('p-7.w1.0', obs('2823-3', 'Potassium', 2.6, 'mmol/L', K, { referenceRange: '3.5-5.1', abnormalFlags: ['LL'], orderId: 'L260115' }), 4);
    const wrong = at('p-7.w2.0', obs('2823-3', 'Potassium', 2.6, 'mmol/L', K, { referenceRange: '3.5-5.1', abnormalFlags: ['LL'], orderId: 'L260115', status: 'P', resultStatus: 'W' }), 5);
    const results = await openChart([...earlierPotassium, report('p-7.w1.1', 'L260115', 4, 'F'), original, report('p-7.w2.1', 'L260115', 5, 'C'), wrong]);
    expect(within(results).getByText(/results? in \d+ reports?/).textContent).toBe('2 results in 3 reports; 1 withdrawn by the lab (struck through).');
    const [newest] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    const rows = within(newest!).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.className).not.toContain('critical');
    expect(rows[0]!.querySelector('s')?.textContent).toBe('2.6 mmol/L');
    expect(rows[0]!.querySelector('.result-table__value')?.textContent).toBe('2.6 mmol/LWithdrawn by the lab (sent in error)');
    expect(rows[0]!.textContent).not.toContain('Critically low');
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    expect(cellTexts(results, /Potassium/)).toEqual(['07:50 2.6 Withdrawn by the lab (sent in error)', '08:00 4.3', '08:00 4.1']);
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    expect(sheet.querySelector('.flowsheet__value--critical')).toBeNull();
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent;
    expect(caption).toBe('Potassium: 2 results from 2026-09-10 08:00 (UTC+02:00) to 2026-09-12 08:00 (UTC+02:00); latest 4.3 mmol/L; reference range 3.5–5.1 mmol/L (shaded).');
    // The list of every record keeps both, struck through, saying why.
    const table = screen.getByRole('table', { name: 'Records' });
    const withdrawn = within(table)
      .getAllByRole('row')
      .filter((tr) => tr.textContent?.includes('2.6'));
    expect(withdrawn.map((tr) => tr.querySelector('.record-table__value')?.textContent)).toEqual(['2.6 mmol/LWithdrawn by the lab (sent in error)', '2.6 mmol/LWithdrawn by the lab (sent in error)']);
    expect(withdrawn.every((tr) => !tr.className.includes('critical'))).toBe(true);
  });

  it('D3: a deleted result (D) is gone from the report, the flowsheet and the trend; the list of every record says a later message deleted it', async () => {
    const hb = (recordId: string, seq: number, extra: Partial<Observation> = {}) => at(recordId, obs('718-7', 'Hemoglobin', 10.8, 'g/dL', K, { referenceRange: '12.0-16.0', abnormalFlags: ['L'], orderId: 'H-5', ...extra }), seq);
    const results = await openChart([...earlierPotassium, report('p-7.d1.1', 'H-5', 6, 'F'), hb('p-7.d1.0', 6), report('p-7.d2.1', 'H-5', 7, 'C'), hb('p-7.d2.0', 7, { status: 'P', resultStatus: 'D' })]);
    expect(within(results).queryByText(/Hemoglobin/)).toBeNull();
    // The report heading of the order is not left empty without a word.
    const [newest] = within(results).getAllByRole('article', { name: 'Metabolic panel' });
    expect(within(newest!).getByRole('note', { name: 'Deleted results' }).textContent).toBe('No current result: 1 result was deleted by the lab in a later message (the list of every record keeps it).');
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    expect(cellTexts(results, /Hemoglobin/)).toBeNull();
    const table = screen.getByRole('table', { name: 'Records' });
    const hbRows = within(table)
      .getAllByRole('row')
      .filter((tr) => tr.textContent?.includes('Hemoglobin'));
    expect(hbRows.map((tr) => tr.querySelector('.record-table__value')?.textContent)).toEqual(['10.8 g/dLDeletes an earlier result', '10.8 g/dLDeleted by a later message']);
    expect(hbRows[1]!.querySelector('s')?.textContent).toBe('10.8 g/dL');
  });

  it('D7: a preliminary result (P) says "Preliminary" on its row, its flowsheet cell and its trend point', async () => {
    const pth = (recordId: string, value: number, time: string, orderId: string, seq: number, status: 'F' | 'P') =>
      at(recordId, obs('2731-8', 'Parathyrin', value, 'pmol/L', time, { referenceRange: '145-569', abnormalFlags: ['L'], orderId, status }), seq);
    const results = await openChart([
      at('p-7.q1.1', { type: 'report', kind: 'result', code: { code: '2731-8', system: 'LN', display: 'PTH' }, status: 'F', fillerOrderId: 'Q1', time: '2026-09-01T08:00:00+02:00' }, 8),
      pth('p-7.q1.0', 130, '2026-09-01T08:00:00+02:00', 'Q1', 8, 'F'),
      at('p-7.q2.1', { type: 'report', kind: 'result', code: { code: '2731-8', system: 'LN', display: 'PTH' }, status: 'P', fillerOrderId: 'Q2', time: K }, 9),
      pth('p-7.q2.0', 128, K, 'Q2', 9, 'P'),
    ]);
    const [newest] = within(results).getAllByRole('article', { name: 'PTH' });
    expect(within(newest!).getAllByRole('row')[1]!.querySelector('.result-table__value')?.textContent).toBe('128 pmol/LPreliminary');
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    expect(cellTexts(results, /Parathyrin/)).toEqual(['07:50 128 ▼ LLowPreliminary', '08:00 130 ▼ LLow']);
    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent;
    expect(caption).toContain('latest 128 pmol/L (preliminary)');
    const values = within(results).getByRole('table', { name: 'Parathyrin values' });
    expect(within(values).getAllByRole('row')[1]!.textContent).toBe('2026-09-14 07:50 (UTC+02:00)128 pmol/L (preliminary)▼ LLow');
  });
});
