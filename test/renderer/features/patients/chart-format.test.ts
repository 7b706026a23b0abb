import { describe, expect, it } from 'vitest';
import { DAY_SECONDS, reportedAsText, timeLegend, timeTicks, timeWindow } from '../../../../renderer/features/patients/chart-format';

/** QA round 4, #10: the charts (results trend, vitals) share their time formats, "reported as" and the window of a single reading. */

// Local dates: the axes read this computer's clock, as uPlot's time scale does.
const seconds = (year: number, month: number, day: number, hours = 0, minutes = 0) => new Date(year, month - 1, day, hours, minutes).getTime() / 1000;

describe('chart time formats', () => {
  it('ticks of a day or more are ISO days; shorter ticks a 24-hour clock, the day under the first of each day', () => {
    expect(timeTicks(null as never, [seconds(2026, 12, 2), seconds(2026, 12, 3)], 0, 50, DAY_SECONDS)).toEqual(['2026-12-02', '2026-12-03']);
    expect(timeTicks(null as never, [seconds(2026, 12, 2, 22), seconds(2026, 12, 2, 23), seconds(2026, 12, 3, 0), seconds(2026, 12, 3, 13, 30)], 0, 50, 3600)).toEqual([
      '22:00\n2026-12-02',
      '23:00',
      '00:00\n2026-12-03',
      '13:30',
    ]);
  });

  it('the legend says the time under the cursor as an ISO date and a 24-hour clock', () => {
    expect(timeLegend(null as never, seconds(2026, 12, 2, 15, 4))).toBe('2026-12-02 15:04');
    expect(timeLegend(null as never, null)).toBe('–');
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
