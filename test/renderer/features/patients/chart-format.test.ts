import { describe, expect, it } from 'vitest';
import { chartTimes, DAY_SECONDS, reportedAsText, timeWindow } from '../../../../renderer/features/patients/chart-format';

/** QA round 4, #10: the charts (results trend, vitals) share their time formats, "reported as" and the window of a single reading. */

// Local dates: the axes read this computer's clock, as uPlot's time scale does.
const seconds = (year: number, month: number, day: number, hours = 0, minutes = 0) => new Date(year, month - 1, day, hours, minutes).getTime() / 1000;

describe('chart time formats', () => {
  // Times recorded without an offset read as this computer's clock (Date.parse does), as the tables show them.
  const local = chartTimes([]);

  it('ticks of a day or more are ISO days; shorter ticks a 24-hour clock, the day under the first of each day', () => {
    expect(local.ticks(null as never, [seconds(2026, 12, 2), seconds(2026, 12, 3)], 0, 50, DAY_SECONDS)).toEqual(['2026-12-02', '2026-12-03']);
    expect(local.ticks(null as never, [seconds(2026, 12, 2, 22), seconds(2026, 12, 2, 23), seconds(2026, 12, 3, 0), seconds(2026, 12, 3, 13, 30)], 0, 50, 3600)).toEqual([
      '22:00\n2026-12-02',
      '23:00',
      '00:00\n2026-12-03',
      '13:30',
    ]);
  });

  it('the legend says the time under the cursor as an ISO date and a 24-hour clock', () => {
    expect(local.legend(null as never, seconds(2026, 12, 2, 15, 4), 0, null)).toBe('2026-12-02 15:04');
    expect(local.legend(null as never, null, 0, null)).toBe('–');
  });
});

// QA D3: Sodium 138 at OBX-14 202611230030+0100 read "2026-11-23 00:30 (UTC+01:00)" everywhere on the
// page but "Time 2026-11-22 23:30" in the chart's legend (uPlot formats in this computer's zone).
describe('chart times in the zone the results were recorded in', () => {
  const sodium = '2026-11-23T00:30:00+01:00';
  const at = Date.parse(sodium) / 1000;

  it('the legend shows a result’s time as the page does, with its zone, whatever this computer’s zone', () => {
    const times = chartTimes([sodium]);
    expect(times.legend(null as never, at, 0, 0)).toBe('2026-11-23 00:30 (UTC+01:00)');
    // Between results (no point under the cursor): the chart's zone, named.
    expect(times.legend(null as never, at + 3600, 0, null)).toBe('2026-11-23 01:30 (UTC+01:00)');
  });

  it('the axis is in that zone: uPlot places its ticks on the recorded wall clock (tzDate) and the labels say it', () => {
    const times = chartTimes([sodium]);
    const wall = times.tzDate(at);
    expect([wall.getFullYear(), wall.getMonth() + 1, wall.getDate(), wall.getHours(), wall.getMinutes()]).toEqual([2026, 11, 23, 0, 30]);
    const midnight = Date.parse('2026-11-23T00:00:00+01:00') / 1000;
    expect(times.ticks(null as never, [midnight - DAY_SECONDS, midnight], 0, 50, DAY_SECONDS)).toEqual(['2026-11-22', '2026-11-23']);
    expect(times.ticks(null as never, [midnight - 3600, midnight, at], 0, 50, 1800)).toEqual(['23:00\n2026-11-22', '00:00\n2026-11-23', '00:30']);
    expect(times.axisLabel).toBe('Time (UTC+01:00)');
  });

  it('each result keeps its own offset in the legend (a clock change between results); the axis takes the newest one’s', () => {
    const winter = '2026-03-28T08:00:00+01:00';
    const summer = '2026-03-30T08:00:00+02:00';
    const times = chartTimes([winter, summer]);
    expect(times.legend(null as never, Date.parse(winter) / 1000, 0, 0)).toBe('2026-03-28 08:00 (UTC+01:00)');
    expect(times.legend(null as never, Date.parse(summer) / 1000, 0, 1)).toBe('2026-03-30 08:00 (UTC+02:00)');
    expect(times.axisLabel).toBe('Time (UTC+02:00)');
    // An instant of this system's clock (Z: a device reading) reads in this computer's zone (local-days.test.ts).
    expect(chartTimes(['2026-11-23T00:30:00Z']).legend(null as never, Date.parse('2026-11-23T00:30:00Z') / 1000, 0, 0)).toMatch(/^2026-11-2[23] \d{2}:30 \(local time\)$/);
  });

  it('times recorded without a zone: the clock as written, no zone named', () => {
    const times = chartTimes(['2026-11-23T00:30:00']);
    expect(times.legend(null as never, Date.parse('2026-11-23T00:30:00') / 1000, 0, 0)).toBe('2026-11-23 00:30');
    expect(times.axisLabel).toBeUndefined();
  });
});

describe('the time window of a chart', () => {
  it('a single reading is centred in a window of a day either side, not stretched over years past it', () => {
    const t = seconds(2026, 12, 2, 8, 30);
    // What uPlot hands a time scale for one instant: 86,400,000 s on (its day in ms, taken as seconds).
    expect(timeWindow([t], t, t + 86_400_000)).toEqual([t - DAY_SECONDS, t + DAY_SECONDS]);
    expect(timeWindow([t, t], t, t + 86_400_000)).toEqual([t - DAY_SECONDS, t + DAY_SECONDS]);
  });

  it('readings spread in time keep the window uPlot gives (their span, or a zoom)', () => {
    expect(timeWindow([1000, 5000], 1000, 5000)).toEqual([1000, 5000]);
    expect(timeWindow([1000, 5000], 2000, 3000)).toEqual([2000, 3000]);
  });
});

describe('a value converted from the unit it was reported in', () => {
  it('says what was reported, as the results trend does; nothing when it was not converted', () => {
    expect(reportedAsText({ value: 5.5, unit: 'mmol/L' })).toBe(' (reported as 5.5 mmol/L)');
    expect(reportedAsText({ value: 16, unit: 'kPa' })).toBe(' (reported as 16 kPa)');
    expect(reportedAsText({ value: 150, unit: '[lb_av]' })).toBe(' (reported as 150 lb)');
    expect(reportedAsText(undefined)).toBe('');
  });
});
