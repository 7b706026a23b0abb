import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { vitalPoints, vitalsChartOptions } from '../../../../renderer/features/devices/patient-device-vitals';
import { CHART_PADDING, legendAtNewest, TIME_LABEL_HALF_WIDTH } from '../../../../renderer/features/patients/chart-format';
import { trendLegendValue } from '../../../../renderer/features/patients/trend-chart';
import { trendOf } from '../../../../renderer/features/patients/results-model';

/** Tester T1 D8 (the hover legend's decimals) and D9 (the last time label clipped at 1,000 px). */

function hba1c(recordId: string, value: number, decimals: number | undefined, time: string): RecordRow {
  const record: Observation = { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'HbA1c' }, value: { kind: 'numeric', value, unit: '%', ...(decimals === undefined ? {} : { decimals }) }, status: 'F', time };
  return { recordId, patientId: 'p-7', time, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq: 1, hasRaw: false } };
}

describe('T1 D8: the trend legend shows a value as the lab wrote it', () => {
  it('"7.0 %" for a result sent as 7.0 (the values table\'s text), not "7 %"', () => {
    const trend = trendOf([hba1c('a.0', 6.5, 1, '2026-10-01T08:00:00+02:00'), hba1c('b.0', 7, 1, '2026-12-01T08:00:00+01:00')], 'LN|4548-4');
    const legend = trendLegendValue(trend, '%');
    const plot = {} as uPlot;
    expect(trend.points.map((point) => point.text)).toEqual(['6.5', '7.0']);
    expect(legend(plot, 7, 1, 1)).toBe('7.0 %');
    expect(legend(plot, 6.5, 1, 0)).toBe('6.5 %');
    expect(legend(plot, null, 1, null)).toBe('–');
    expect(trendLegendValue(trend, '')(plot, 7, 1, 1)).toBe('7.0');
  });
});

describe('T1 D9: the charts keep room right of the plot for half the last time label', () => {
  it('pads the right side by at least half the widest time label ("2026-12-07" at 12 px), trend and vitals alike', () => {
    // uPlot's own right padding is half the y axis' size (28 px here): "2026-12-0" was all that showed.
    expect(TIME_LABEL_HALF_WIDTH).toBeGreaterThanOrEqual(36);
    expect(CHART_PADDING).toEqual([null, TIME_LABEL_HALF_WIDTH, null, null]);
    const points = vitalPoints([], [{ ...hba1c('c.0', 120, undefined, '2026-12-01T08:00:00+01:00'), record: { ...(hba1c('c.0', 120, undefined, '2026-12-01T08:00:00+01:00').record as Observation), code: { code: '8480-6', system: 'LN', display: 'Systolic' }, value: { kind: 'numeric', value: 120, unit: 'mm[Hg]' } } }]).get('Blood pressure')!;
    const options = vitalsChartOptions(points, ['systolic'], 'mmHg', 1000, { colours: ['#000'], fill: '#eee', text: '#333', grid: '#ccc' });
    expect(options.padding).toEqual(CHART_PADDING);
  });
});

describe('issue 11 F18: with nothing hovered the legend shows the newest point, not "Time: – …: –"', () => {
  const data: uPlot.AlignedData = [
    [100, 200, 300],
    [36.5, null, 37.2],
  ];
  function plotAt(idx: number | null | undefined) {
    const calls: unknown[][] = [];
    const plot = { cursor: { idx }, data, setLegend: (...args: unknown[]) => void calls.push(args) } as unknown as uPlot;
    return { plot, calls };
  }

  it('sets the legend to the last instant (without firing the hook again) when the pointer is off the chart or has not come yet', () => {
    for (const idx of [null, undefined]) {
      const { plot, calls } = plotAt(idx);
      legendAtNewest(plot);
      expect(calls).toEqual([[{ idx: 2 }, false]]);
    }
  });

  it('leaves a hovered point alone, and an empty chart', () => {
    const hovered = plotAt(0);
    legendAtNewest(hovered.plot);
    expect(hovered.calls).toEqual([]);
    const empty = plotAt(null);
    legendAtNewest({ ...empty.plot, data: [[], []] } as unknown as uPlot);
    expect(empty.calls).toEqual([]);
  });

  it('is a hook of the vitals chart (the trend chart adds it where it builds its options)', () => {
    const points = vitalPoints([], [{ ...hba1c('c.0', 120, undefined, '2026-12-01T08:00:00+01:00'), record: { ...(hba1c('c.0', 120, undefined, '2026-12-01T08:00:00+01:00').record as Observation), code: { code: '8480-6', system: 'LN', display: 'Systolic' }, value: { kind: 'numeric', value: 120, unit: 'mm[Hg]' } } }]).get('Blood pressure')!;
    const options = vitalsChartOptions(points, ['systolic'], 'mmHg', 1000, { colours: ['#000'], fill: '#eee', text: '#333', grid: '#ccc' });
    expect(options.hooks?.setLegend ?? []).toContain(legendAtNewest);
    expect(options.hooks?.ready ?? []).toContain(legendAtNewest);
  });
});
