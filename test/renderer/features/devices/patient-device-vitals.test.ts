import { describe, expect, it } from 'vitest';
import { chartSeries } from '../../../../renderer/features/devices/patient-device-vitals';

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
