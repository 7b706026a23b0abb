import type uPlot from 'uplot';
import { isSystemInstant, recordDateTime } from './record-format';
import { unitLabel } from './ucum-units';

/**
 * What the charts of the patient page share (the results trend and the vitals from devices, both
 * uPlot): times as clinicians read the rest of the app (ISO days, a 24-hour clock), the window of a
 * chart with a single reading, and the note on a value converted from the unit it was reported in.
 */

export const DAY_SECONDS = 86_400;

/**
 * Half the widest time-axis label ("2026-12-07" in uPlot's 12 px axis font is about 66 px wide) with
 * a little air: a label is centred on its tick, so the last one needs this much room right of the
 * plot. uPlot's own right padding is half the y axis' size (28 px here), and at 1,000 px the last
 * label read "2026-12-0" (T1 D9).
 */
export const TIME_LABEL_HALF_WIDTH = 40;

/** uPlot `padding` (top, right, bottom, left; null: uPlot's own) of the patient page's charts. */
export const CHART_PADDING: uPlot.Padding = [null, TIME_LABEL_HALF_WIDTH, null, null];

const pad = (value: number) => String(value).padStart(2, '0');
/** A Date's local day and clock (a wall-clock Date from `ChartTimes.tzDate`, or this computer's). */
export const isoDay = (date: Date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
export const clock = (date: Date) => `${pad(date.getHours())}:${pad(date.getMinutes())}`;

/** The offset an ISO time was recorded with, in minutes east of UTC ("Z": 0); null without one. */
export function recordedOffset(time: string): number | null {
  const match = /(Z|([+-])(\d{2}):(\d{2}))$/.exec(time);
  if (match === null) return null;
  if (match[1] === 'Z') return 0;
  return (match[2] === '-' ? -1 : 1) * (Number(match[3]) * 60 + Number(match[4]));
}

/** "UTC", "UTC+01:00", "UTC-05:30": as recordDateTime names a zone. */
function zoneName(offset: number): string {
  if (offset === 0) return 'UTC';
  const minutes = Math.abs(offset);
  return `UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * A chart's times (QA D3): the axis and the legend read the time the rest of the page shows for a
 * result, the wall clock and offset it was recorded with, not this computer's zone (uPlot's
 * default: a sodium at 00:30+01:00 read "2026-11-22 23:30" beside "2026-11-23 00:30 (UTC+01:00)").
 */
export interface ChartTimes {
  /** uPlot `tzDate`: a Date whose local fields are the wall clock in the chart's zone (ticks fall on its midnights and hours). */
  readonly tzDate: (seconds: number) => Date;
  /** uPlot `axes[].values` of the time axis: ISO days for ticks a day or more apart, else HH:MM with the day under the first tick of each day. */
  readonly ticks: (plot: uPlot, splits: number[], axis: number, space: number, increment: number) => string[];
  /** uPlot `series[0].value`: the time under the cursor, a result's as recordDateTime shows it, "2026-11-23 00:30 (UTC+01:00)". */
  readonly legend: (plot: uPlot, seconds: number | null, series: number, index: number | null) => string;
  /** The time axis' label naming the zone ("Time (UTC+01:00)"); none when the times carry no zone. */
  readonly axisLabel: string | undefined;
}

/**
 * The times of a chart's results (ISO, as recorded): each result's legend says its own time and
 * zone; the axis is in the zone of the newest result (a clock change between results keeps the
 * legend exact; the axis follows the newest). Times without an offset are read as this computer's
 * clock, as Date.parse reads them, so they show as written.
 */
export function chartTimes(times: readonly string[]): ChartTimes {
  const recorded = new Map<number, string>();
  let newest: string | undefined;
  for (const time of times) {
    const at = Date.parse(time) / 1000;
    if (!Number.isFinite(at)) continue;
    if (!recorded.has(at)) recorded.set(at, time);
    if (newest === undefined || at >= Date.parse(newest) / 1000) newest = time;
  }
  // An instant of this system's clock (a device reading) is read in this computer's zone, as recordDateTime shows it.
  const local = newest !== undefined && isSystemInstant(newest);
  const offset = newest === undefined || local ? null : recordedOffset(newest);
  const tzDate = (seconds: number): Date => {
    if (offset === null) return new Date(seconds * 1000);
    // The wall clock at the offset, as this computer's local fields (uPlot reads those).
    const shifted = new Date(seconds * 1000 + offset * 60_000);
    return new Date(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate(), shifted.getUTCHours(), shifted.getUTCMinutes(), shifted.getUTCSeconds());
  };
  const zoneText = local ? ' (local time)' : offset === null ? '' : ` (${zoneName(offset)})`;
  return {
    tzDate,
    ticks: (_plot, splits, _axis, _space, increment) => {
      let lastDay = '';
      return splits.map((seconds) => {
        const date = tzDate(seconds);
        const day = isoDay(date);
        if (increment >= DAY_SECONDS) return day;
        const label = day === lastDay ? clock(date) : `${clock(date)}\n${day}`;
        lastDay = day;
        return label;
      });
    },
    legend: (_plot, seconds) => {
      if (seconds === null) return '–';
      const time = recorded.get(seconds);
      if (time !== undefined) return recordDateTime(time);
      const date = tzDate(seconds);
      return `${isoDay(date)} ${clock(date)}${zoneText}`;
    },
    axisLabel: local ? 'Time (local time)' : offset === null ? undefined : `Time (${zoneName(offset)})`,
  };
}

/**
 * A time scale's window (uPlot `scales.x.range`, given uPlot's own `min`, `max`): those, unless the
 * readings are all at one instant (a single reading). Then uPlot's window starts at the reading and
 * runs 86,400,000 s on (a day in ms taken as seconds: ~2.7 years), the point in the corner; here it
 * is centred in a day either side instead.
 */
export function timeWindow(instants: readonly number[], min: number, max: number): [number, number] {
  let [low, high] = [Infinity, -Infinity];
  for (const at of instants) if (Number.isFinite(at)) [low, high] = [Math.min(low, at), Math.max(high, at)];
  return low === high ? [low - DAY_SECONDS, high + DAY_SECONDS] : [min, max];
}

/** After a value converted into the chart's unit: " (reported as 180 mg/dL)", " (reported as 4.0 mmol/L)"; '' when it was not converted. */
export function reportedAsText(reported: { readonly value: number; readonly unit: string; readonly text?: string } | undefined): string {
  // As the lab wrote it where that is known ("4.0", not 4: QA D6).
  return reported === undefined ? '' : ` (reported as ${reported.text ?? String(reported.value)} ${unitLabel(reported.unit)})`;
}

/**
 * uPlot `setLegend` hook: with the pointer off the chart (no index) the legend shows the newest
 * instant's values, not "Time: – Body temperature: –" until a hover (issue 11 F18). The newest is
 * the last x (the data are oldest first); a series with no value then shows "–" as on a hover there.
 * Set without firing the hook again; the next hover replaces it.
 */
export function legendAtNewest(plot: Pick<uPlot, 'cursor' | 'data' | 'setLegend'>): void {
  // The cursor's index, not the legend's: uPlot clears the values on leaving without clearing legend.idx.
  if (plot.cursor.idx !== null && plot.cursor.idx !== undefined) return;
  const newest = (plot.data[0]?.length ?? 0) - 1;
  if (newest < 0) return;
  plot.setLegend({ idx: newest }, false);
}
