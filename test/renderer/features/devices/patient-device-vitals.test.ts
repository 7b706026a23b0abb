import { describe, expect, it } from 'vitest';
import { chartSeries, vitalPoints } from '../../../../renderer/features/devices/patient-device-vitals';
import { lab, row, vital } from '../../support/clinical-fixtures';

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
  it('keep the time as the lab recorded it (its zone too), and show a converted value to the precision it was sent with, not four decimals', () => {
    const glucose = row('r-1', lab('2339-0', 'Glucose', 3.1, 'mmol/L', '2025-02-11T08:00:00+01:00'));
    const weight = row('r-2', vital('29463-7', 'Body weight', 82, '[lb_av]', '2025-02-11T08:00:00+01:00'));
    const points = vitalPoints([], [glucose, weight]);
    const [g] = points.get('Glucose')!;
    expect(g).toMatchObject({ value: 55.8, unit: 'mg/dL', time: '2025-02-11T08:00:00+01:00' });
    const w = [...points.values()].flat().find((p) => p.kind === 'weight')!;
    expect(w).toMatchObject({ value: 37.2, unit: 'kg', time: '2025-02-11T08:00:00+01:00' });
  });
});
