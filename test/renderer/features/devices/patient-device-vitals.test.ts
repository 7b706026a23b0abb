// @vitest-environment happy-dom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { chartSeries, referenceText, vitalPoints, vitalsChartOptions } from '../../../../renderer/features/devices/patient-device-vitals';
import { DAY_SECONDS } from '../../../../renderer/features/patients/chart-format';
import type { DeviceReport } from '../../../../renderer/vault/views/device-reports';
import type { ClinicalRecord, Observation } from '../../../../shared/domain/clinical';
import { lab, row, vital } from '../../support/clinical-fixtures';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

describe('vitals chart data', () => {
  it('one x value per distinct time, oldest first; each kind its value there or a gap; the first of two readings at one time', () => {
    const points = [
      { at: 300, kind: 'systolic' as const, value: 130 },
      { at: 100, kind: 'systolic' as const, value: 120 },
      { at: 100, kind: 'diastolic' as const, value: 80 },
      { at: 200, kind: 'diastolic' as const, value: 82 },
      { at: 300, kind: 'systolic' as const, value: 999 },
      { at: 200, kind: 'pulse' as const, value: 70 },
    ];
    expect(chartSeries(points, ['systolic', 'diastolic'])).toEqual([
      [100, 200, 300],
      [120, null, 130],
      [80, 82, null],
    ]);
  });
});

describe('HL7 results among the vitals (QA D9)', () => {
  // QA s33 D1: `8867-4 heartrate 60~120` was charted as "heartrate 60"; a result the lab sent with several values is no point.
  it('a result the lab sent with several values (OBX-5 repeated) is not charted, not even its first value', () => {
    const pulse = vital('8867-4', 'Heart rate', 0, '/min', '2025-02-11T08:00:00+01:00') as Observation;
    const repeated = row('r-1', { ...pulse, value: { kind: 'text', value: '60; 120' }, valueDetail: { kind: 'repeated', values: ['60', '120'], unit: '/min' } });
    expect([...vitalPoints([], [repeated]).values()].flat()).toEqual([]);
    expect([...vitalPoints([], [row('r-2', vital('8867-4', 'Heart rate', 60, '/min', '2025-02-11T08:00:00+01:00'))]).values()].flat()).toHaveLength(1);
  });

  // Tester T1 D1, D2, D3: the results panel no longer draws a cancelled, withdrawn or deleted result, nor one a correction replaced; neither may the vitals chart.
  it('draws only current results whose status allows it: not a cancelled (X), pending (I), withdrawn (W) or deleted (D) one, nor one a correction replaced', () => {
    const glucose = (recordId: string, value: number, time: string, seq: number, extra: Partial<Observation> = {}) => {
      const r = row(recordId, { ...(lab('2339-0', 'Glucose', value, 'mmol/L', time) as Observation), orderId: `G-${recordId}`, ...extra });
      return { ...r, source: { ...r.source, seq } };
    };
    const records = [
      glucose('g1', 5.1, '2025-02-01T08:00:00+01:00', 1),
      glucose('g2', 6.0, '2025-02-02T08:00:00+01:00', 2, { resultStatus: 'X', status: 'P' }),
      glucose('g3', 6.1, '2025-02-03T08:00:00+01:00', 3, { resultStatus: 'I', status: 'P' }),
      glucose('g4', 2.2, '2025-02-04T08:00:00+01:00', 4, { orderId: 'W-1', abnormalFlags: ['LL'] }),
      glucose('g5', 2.2, '2025-02-04T08:00:00+01:00', 5, { orderId: 'W-1', abnormalFlags: ['LL'], resultStatus: 'W', status: 'P' }),
      glucose('g6', 7.7, '2025-02-05T08:00:00+01:00', 6, { orderId: 'D-1' }),
      glucose('g7', 7.7, '2025-02-05T08:00:00+01:00', 7, { orderId: 'D-1', resultStatus: 'D', status: 'P' }),
      glucose('g8', 5.0, '2025-02-06T08:00:00+01:00', 8, { orderId: 'C-1' }),
      glucose('g9', 5.6, '2025-02-06T08:00:00+01:00', 9, { orderId: 'C-1', status: 'C' }),
    ];
    expect((vitalPoints([], records).get('Glucose') ?? []).map((point) => point.key)).toEqual(['hl7:g1', 'hl7:g9']);
  });

  it('keep the time as the lab recorded it (its zone too), and show a converted value to the precision it was sent with, not four decimals (glucose in whole mg/dL)', () => {
    const glucose = row('r-1', lab('2339-0', 'Glucose', 3.1, 'mmol/L', '2025-02-11T08:00:00+01:00'));
    const weight = row('r-2', vital('29463-7', 'Body weight', 82, '[lb_av]', '2025-02-11T08:00:00+01:00'));
    // Most of the values in mg/dL and kg: the lab's mmol/L and lb are converted into those.
    const meter = row('r-3', lab('2339-0', 'Glucose', 90, 'mg/dL', '2025-02-10T08:00:00+01:00'));
    const meter2 = row('r-4', lab('2339-0', 'Glucose', 95, 'mg/dL', '2025-02-09T08:00:00+01:00'));
    const scale = row('r-5', vital('29463-7', 'Body weight', 37, 'kg', '2025-02-10T08:00:00+01:00'));
    const scale2 = row('r-6', vital('29463-7', 'Body weight', 38, 'kg', '2025-02-09T08:00:00+01:00'));
    const points = vitalPoints([], [glucose, weight, meter, meter2, scale, scale2]);
    const g = points.get('Glucose')!.at(-1);
    expect(g).toMatchObject({ value: 56, unit: 'mg/dL', time: '2025-02-11T08:00:00+01:00' });
    const w = points.get('Weight')!.at(-1);
    expect(w).toMatchObject({ value: 37.2, unit: 'kg', time: '2025-02-11T08:00:00+01:00' });
  });
});

describe('QA round 4, #10: a converted value says what was reported, as the results trend does', () => {
  const glucose = row('r-g', lab('2345-7', 'Glucose', 5.5, 'mmol/L', '2026-12-06T12:00:00+00:00', undefined, '3.9-5.5'));
  const systolic = row('r-s', vital('8480-6', 'Systolic', 16, 'kPa', '2026-12-02T08:30:00+00:00'));
  const pulse = row('r-p', vital('8867-4', 'Pulse', 88, '/min', '2026-12-05T10:30:00+00:00'));
  const device: DeviceReport = {
    seq: 7,
    at: '2026-12-06T09:00:00.000Z',
    session: 's1',
    approval: 'approved',
    patientId: 'p-7',
    readingPatients: ['p-7'],
    device: { systemId: '001c05fffe123456', devConfigId: 0x02bc, manufacturer: 'Acme', model: 'GL-1' },
    port: 'serial:/dev/ttyUSB0',
    report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
    // As assessReading stores them: 7.2 mmol/L is 129.7152 mg/dL, 16 kPa 120.0099 mmHg (four decimals).
    readings: [
      { code: 0x71b8, kind: 'glucose', status: 'value', value: 7.2, unit: 'mmol/L', normalizedValue: 129.7152, normalizedUnit: 'mg/dL', time: '2026-12-06T09:00:00.000Z', flags: [], quality: 1, dedupeKey: 'g' },
      { code: 0x4a05, kind: 'systolic', status: 'value', value: 16, unit: 'kPa', normalizedValue: 120.0099, normalizedUnit: 'mm[Hg]', time: '2026-12-06T09:00:00.000Z', flags: [], quality: 1, dedupeKey: 's' },
    ],
  };

  it('the points keep the value and unit reported when they were converted, and none when they were not; a converted device reading shows no false precision', () => {
    const points = vitalPoints([device], [glucose, systolic, pulse]);
    // Both glucose values were reported in mmol/L: the chart is in mmol/L and neither is converted (QA s32 #1).
    expect(points.get('Glucose')!.map((p) => [p.value, p.unit, p.reported])).toEqual([
      [7.2, 'mmol/L', undefined],
      [5.5, 'mmol/L', undefined],
    ]);
    expect(points.get('Blood pressure')!.map((p) => [p.value, p.unit, p.reported?.value])).toEqual([
      [16, 'kPa', undefined],
      [16, 'kPa', undefined],
    ]);
    // Most in mmHg: a kPa value is converted, shown no finer than it was reported (16 kPa is 120 mmHg, not 120.0099).
    const mmHg = (id: string, value: number, time: string) => row(id, vital('8480-6', 'Systolic', value, 'mm[Hg]', time));
    const mixed = vitalPoints([device], [systolic, mmHg('r-s2', 118, '2026-12-03T08:30:00+00:00'), mmHg('r-s3', 121, '2026-12-04T08:30:00+00:00'), mmHg('r-s4', 119, '2026-12-05T08:30:00+00:00')]);
    expect(mixed.get('Blood pressure')!.map((p) => [p.value, p.unit, p.reported?.value, p.reported?.unit])).toEqual([
      [120, 'mm[Hg]', 16, 'kPa'],
      [118, 'mm[Hg]', undefined, undefined],
      [121, 'mm[Hg]', undefined, undefined],
      [119, 'mm[Hg]', undefined, undefined],
      [120, 'mm[Hg]', 16, 'kPa'],
    ]);
    expect(points.get('Pulse')!.map((p) => p.reported)).toEqual([undefined]);
  });

  it('the Reference column names the range a value is read against first (the lab\'s own, as it sent it, when it gives one), with High or Low', () => {
    const [g] = vitalPoints([], [glucose]).get('Glucose')!;
    expect(referenceText(g!)).toBe('lab range 3.9-5.5 mmol/L; general adult range 3.9–7.8 mmol/L');
    const high = vitalPoints([], [row('r-h', vital('8480-6', 'Systolic', 152, 'mm[Hg]', '2026-12-02T08:30:00+00:00'))]).get('Blood pressure')![0]!;
    expect(referenceText(high)).toBe('High (general adult range 90–139 mmHg)');
    const weight = vitalPoints([], [row('r-w', vital('29463-7', 'Weight', 68, 'kg', '2026-12-02T08:30:00+00:00'))]).get('Weight')![0]!;
    expect(referenceText(weight)).toBe('');
  });

  it('the patient page lists "5.5 mmol/L" as the lab sent it and its reference, not a bare converted value and an empty column', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }));
    node.handle('devices.approvals', () => ({ devices: [] }));
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [glucose, systolic, pulse])] }));
    const table = await screen.findByRole('table', { name: 'Glucose readings' });
    const cells = (name: string) =>
      within(screen.getByRole('table', { name }))
        .getAllByRole('row')
        .slice(1)
        .map((tr) => [...tr.querySelectorAll('td')].map((cell) => cell.textContent ?? ''));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(2));
    expect(cells('Glucose readings').map((r) => [r[2], r[4], r[5]])).toEqual([['5.5 mmol/L', 'HL7 lab result', 'lab range 3.9-5.5 mmol/L; general adult range 3.9–7.8 mmol/L']]);
    expect(cells('Blood pressure readings').map((r) => [r[2], r[5]])).toEqual([['16 kPa', 'general adult range 12–18.5 kPa']]);
    expect(cells('Pulse readings').map((r) => [r[2], r[5]])).toEqual([['88 /min', 'general adult range 60–100 /min']]);
  });
});

describe('QA round 4, #10: the vitals chart options (uPlot, as the results trend)', () => {
  const style = { colours: ['#000'], fill: '#fff', text: '#333', grid: '#ccc' };

  it('a single reading is centred in a window of a day either side, not on the edge of years of empty axis', () => {
    const [p] = vitalPoints([], [row('r-p', vital('8867-4', 'Pulse', 88, '/min', '2026-12-05T10:30:00+00:00'))]).get('Pulse')!;
    const options = vitalsChartOptions([p!], ['pulse'], '/min', 640, style);
    const range = options.scales!.x!.range as (self: unknown, min: number, max: number, key: string) => [number, number];
    // uPlot hands a time scale with one instant 86,400,000 s on (its day in ms, taken as seconds): ~2.7 years, the point in the corner.
    expect(range(null, p!.at, p!.at + 86_400_000, 'x')).toEqual([p!.at - DAY_SECONDS, p!.at + DAY_SECONDS]);
    // Its value is inside the y scale, with air above and below.
    const y = (options.scales!.y!.range as () => [number, number])();
    expect(y[0]).toBeLessThan(60);
    expect(y[1]).toBeGreaterThan(100);
  });

  // QA D3: the chart read this computer's zone while the table beside it read the recorded one.
  it('its time axis and legend read as the table beside it: the time as recorded, with its zone, in ISO days and a 24-hour clock', () => {
    const [p] = vitalPoints([], [row('r-p', vital('8867-4', 'Pulse', 88, '/min', '2026-11-23T00:30:00+01:00'))]).get('Pulse')!;
    const options = vitalsChartOptions([p!], ['pulse'], '/min', 640, style);
    const legend = options.series[0]!.value as (self: unknown, value: number | null, series: number, index: number | null) => string;
    expect(legend(null, p!.at, 0, 0)).toBe('2026-11-23 00:30 (UTC+01:00)');
    const ticks = options.axes![0]!.values as (self: unknown, splits: number[], axis: number, space: number, increment: number) => string[];
    expect(ticks(null, [Date.parse('2026-11-23T00:00:00+01:00') / 1000], 0, 50, DAY_SECONDS)).toEqual(['2026-11-23']);
    expect(options.axes![0]!.label).toBe('Time (UTC+01:00)');
    expect(options.tzDate!(p!.at).getHours()).toBe(0);
  });
});

// QA (nurse, s32 #1): the lab's HH read "High (36.1–37.5 °C)", its LL glucose 2.1 mmol/L "38 mg/dL (reported as 2.1 mmol/L) … Low",
// the caption "2 outside the reference range", and lab values were listed in a section called "from devices".
describe('QA s32 #1: a lab result among the vitals keeps the lab\'s flag, its unit and its source', () => {
  const with_ = (record: ClinicalRecord, extra: Partial<Observation>): Observation => ({ ...(record as Observation), ...extra });
  const temperature = row('r-t', with_(vital('8310-5', 'Body temperature', 39.6, 'Cel', '2026-11-24T08:20:00+01:00'), { abnormalFlags: ['HH'], referenceRange: '36.1-37.5' }));
  const warm = row('r-w', with_(vital('8310-5', 'Body temperature', 38.4, 'Cel', '2026-11-22T08:20:00+01:00'), { abnormalFlags: ['H'], referenceRange: '36.1-37.5' }));
  const lowGlucose = row('r-g1', lab('2345-7', 'Glucose', 2.1, 'mmol/L', '2026-11-24T08:00:00+01:00', ['LL'], '3.9-5.5'));
  const highGlucose = row('r-g2', with_(lab('2345-7', 'Glucose', 7.8, 'mmol/L', '2026-11-26T08:00:00+01:00', ['H'], '3.9-5.5'), { value: { kind: 'numeric', value: 7.8, unit: 'mmol/L', decimals: 1 } }));

  it('the points carry the lab\'s flags; a chart is in the unit its newest reading was reported in, so the lab\'s mmol/L stay mmol/L', () => {
    const points = vitalPoints([], [temperature, warm, lowGlucose, highGlucose]);
    expect(points.get('Temperature')!.map((p) => [p.value, p.unit, p.labFlags?.map((f) => [f.code, f.label, f.critical])])).toEqual([
      [38.4, 'Cel', [['H', 'High', false]]],
      [39.6, 'Cel', [['HH', 'Critically high', true]]],
    ]);
    expect(points.get('Glucose')!.map((p) => [p.value, p.unit, p.reported, p.labFlags?.map((f) => f.code)])).toEqual([
      [2.1, 'mmol/L', undefined, ['LL']],
      [7.8, 'mmol/L', undefined, ['H']],
    ]);
    // The adult band in the chart's unit (70–140 mg/dL is 3.9–7.8 mmol/L); the lab's flag, not the band's word, reads a lab value.
    const [low] = points.get('Glucose')!;
    expect(referenceText(low!)).toBe('lab range 3.9-5.5 mmol/L; general adult range 3.9–7.8 mmol/L');
    expect(referenceText(points.get('Temperature')![1]!)).toBe('lab range 36.1-37.5 °C');
  });

  it('a device reading beside them is converted into that unit and says what it reported', () => {
    const device: DeviceReport = {
      seq: 9,
      at: '2026-11-23T09:00:00.000Z',
      session: 's1',
      approval: 'approved',
      patientId: 'p-7',
      readingPatients: ['p-7'],
      device: { systemId: '001c05fffe123456', devConfigId: 0x06a4, manufacturer: 'Acme', model: 'GL-1' },
      port: 'serial:/dev/ttyUSB0',
      report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
      readings: [{ code: 0x71b8, kind: 'glucose', status: 'value', value: 180, unit: 'mg/dL', normalizedValue: 180, normalizedUnit: 'mg/dL', time: '2026-11-23T09:00:00.000Z', flags: [], quality: 1, dedupeKey: 'g' }],
    };
    const glucose = vitalPoints([device], [lowGlucose, highGlucose]).get('Glucose')!;
    // 180 mg/dL is 9.99 mmol/L: shown at mmol/L's one decimal (10.0), not 9.9912.
    expect(glucose.map((p) => [p.value, p.unit, p.reported?.value, p.reported?.unit, p.source])).toEqual([
      [10, 'mmol/L', 180, 'mg/dL', 'device'],
      [2.1, 'mmol/L', undefined, undefined, 'hl7'],
      [7.8, 'mmol/L', undefined, undefined, 'hl7'],
    ]);
    expect(referenceText(glucose[0]!)).toBe('High (general adult range 3.9–7.8 mmol/L)');
  });

  it('the patient page: the section says where its values come from, critical rows are marked as the Results panel marks them, and the caption counts the flags', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }));
    node.handle('devices.approvals', () => ({ devices: [] }));
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [temperature, warm, lowGlucose, highGlucose])] }));
    const table = await screen.findByRole('table', { name: 'Glucose readings' });
    expect(screen.queryByRole('heading', { name: 'Vitals from devices' })).toBeNull();
    expect(screen.getByRole('heading', { name: 'Vitals from devices and HL7 results' })).toBeTruthy();
    const rows = within(table).getAllByRole('row').slice(1);
    const cells = rows.map((tr) => [...tr.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(cells.map((r) => [r[2], r[4], r[5]])).toEqual([
      ['7.8 mmol/L ▲ HHigh', 'HL7 lab result', 'lab range 3.9-5.5 mmol/L; general adult range 3.9–7.8 mmol/L'],
      ['2.1 mmol/L ▼▼ LLCritically low', 'HL7 lab result', 'lab range 3.9-5.5 mmol/L; general adult range 3.9–7.8 mmol/L'],
    ]);
    expect(rows[1]!.className).toContain('record-table__row--critical');
    expect(rows[0]!.className).not.toContain('record-table__row--critical');
    expect(within(rows[1]!).getByText('Critically low').className).toContain('visually-hidden');
    const temperatures = within(screen.getByRole('table', { name: 'Temperature readings' })).getAllByRole('row').slice(1);
    expect(temperatures[0]!.querySelector('.flag--critical')?.textContent).toContain('HH');
    expect(temperatures.map((tr) => tr.querySelectorAll('td')[4]!.textContent)).toEqual(['HL7 result', 'HL7 result']);
    const caption = (title: string) => screen.getByText((_text, element) => element?.tagName === 'FIGCAPTION' && (element.textContent ?? '').startsWith(`${title}:`)).textContent;
    // The band shaded is the lab's own range, and the caption says so (H8 F6).
    expect(caption('Glucose')).toBe('Glucose: 2 readings; latest 7.8 mmol/L (High); 1 critically low, 1 high. Shaded: lab range 3.9–5.5 mmol/L.');
    expect(caption('Temperature')).toBe('Temperature: 2 readings; latest 39.6 °C (Critically high); 1 critically high, 1 high. Shaded: lab range 36.1–37.5 °C.');
  });
});
