// @vitest-environment happy-dom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { chartSeries, referenceText, vitalPoints, vitalsChartOptions } from '../../../../renderer/features/devices/patient-device-vitals';
import { DAY_SECONDS } from '../../../../renderer/features/patients/chart-format';
import type { DeviceReport } from '../../../../renderer/vault/views/device-reports';
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
  it('keep the time as the lab recorded it (its zone too), and show a converted value to the precision it was sent with, not four decimals (glucose in whole mg/dL)', () => {
    const glucose = row('r-1', lab('2339-0', 'Glucose', 3.1, 'mmol/L', '2025-02-11T08:00:00+01:00'));
    const weight = row('r-2', vital('29463-7', 'Body weight', 82, '[lb_av]', '2025-02-11T08:00:00+01:00'));
    const points = vitalPoints([], [glucose, weight]);
    const [g] = points.get('Glucose')!;
    expect(g).toMatchObject({ value: 56, unit: 'mg/dL', time: '2025-02-11T08:00:00+01:00' });
    const w = [...points.values()].flat().find((p) => p.kind === 'weight')!;
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
    // Glucose in mg/dL as whole numbers (5.5 mmol/L showed as 99.1 from a lab, 99.088 from a meter), the reported value kept whole.
    expect(points.get('Glucose')!.map((p) => [p.value, p.unit, p.reported])).toEqual([
      [130, 'mg/dL', { value: 7.2, unit: 'mmol/L' }],
      [99, 'mg/dL', { value: 5.5, unit: 'mmol/L', text: '5.5' }],
    ]);
    expect(points.get('Blood pressure')!.map((p) => [p.value, p.reported?.value, p.reported?.unit])).toEqual([
      [120, 16, 'kPa'],
      [120, 16, 'kPa'],
    ]);
    expect(points.get('Pulse')!.map((p) => p.reported)).toEqual([undefined]);
  });

  it('the Reference column names the range a value is read against (and the lab\'s own, as it sent it), with High or Low', () => {
    const [g] = vitalPoints([], [glucose]).get('Glucose')!;
    expect(referenceText(g!)).toBe('70–140 mg/dL; lab 3.9-5.5 mmol/L');
    const high = vitalPoints([], [row('r-h', vital('8480-6', 'Systolic', 152, 'mm[Hg]', '2026-12-02T08:30:00+00:00'))]).get('Blood pressure')![0]!;
    expect(referenceText(high)).toBe('High (90–139 mmHg)');
    const weight = vitalPoints([], [row('r-w', vital('29463-7', 'Weight', 68, 'kg', '2026-12-02T08:30:00+00:00'))]).get('Weight')![0]!;
    expect(referenceText(weight)).toBe('');
  });

  it('the patient page lists "99 mg/dL (reported as 5.5 mmol/L)" and its reference, not a bare converted value and an empty column', async () => {
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
    expect(cells('Glucose readings').map((r) => [r[2], r[4], r[5]])).toEqual([['99 mg/dL (reported as 5.5 mmol/L)', 'HL7 result', '70–140 mg/dL; lab 3.9-5.5 mmol/L']]);
    expect(cells('Blood pressure readings').map((r) => [r[2], r[5]])).toEqual([['120 mmHg (reported as 16 kPa)', '90–139 mmHg']]);
    expect(cells('Pulse readings').map((r) => [r[2], r[5]])).toEqual([['88 /min', '60–100 /min']]);
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
