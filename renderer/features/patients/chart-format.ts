import type uPlot from 'uplot';
import { unitLabel } from './ucum-units';

/**
 * What the charts of the patient page share (the results trend and the vitals from devices, both
 * uPlot): times as clinicians read the rest of the app (ISO days, a 24-hour clock), the window of a
 * chart with a single reading, and the note on a value converted from the unit it was reported in.
 */

export const DAY_SECONDS = 86_400;

const pad = (value: number) => String(value).padStart(2, '0');
/** This computer's local day and clock, as uPlot's time scale places them. */
export const isoDay = (date: Date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
export const clock = (date: Date) => `${pad(date.getHours())}:${pad(date.getMinutes())}`;

/** uPlot `axes[].values` of a time axis: ISO days for ticks a day or more apart, else HH:MM with the day under the first tick of each day. */
export function timeTicks(_plot: uPlot, splits: number[], _axis: number, _space: number, increment: number): string[] {
  let lastDay = '';
  return splits.map((seconds) => {
    const date = new Date(seconds * 1000);
    const day = isoDay(date);
    if (increment >= DAY_SECONDS) return day;
    const label = day === lastDay ? clock(date) : `${clock(date)}\n${day}`;
    lastDay = day;
    return label;
  });
}

/** uPlot `series[0].value`: the time under the cursor in the legend, "2026-12-02 15:04". */
export function timeLegend(_plot: uPlot, seconds: number | null): string {
  if (seconds === null) return '–';
  const date = new Date(seconds * 1000);
  return `${isoDay(date)} ${clock(date)}`;
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

/** After a value converted into the chart's unit: " (reported as 180 mg/dL)"; '' when it was not converted. */
export function reportedAsText(reported: { readonly value: number; readonly unit: string } | undefined): string {
  return reported === undefined ? '' : ` (reported as ${reported.value} ${unitLabel(reported.unit)})`;
}
