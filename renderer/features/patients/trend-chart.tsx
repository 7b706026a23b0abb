import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RecordRow } from '../../vault/vault-service';
import { CHART_PADDING, chartTimes, legendAtNewest, reportedAsText, timeWindow } from './chart-format';
import { FlagMarks } from './flag-marks';
import { abnormalFlags, recordDateTime } from './record-format';
import { recordValue } from './record-format';
import { trendOf, type Corrections, type ObservationRow, type Trend } from './results-model';
import { unitLabel } from './ucum-units';
import { needsMolarMass } from './unit-conversion';
import { isChartedStatus, resultStatusMarker, resultStatusOf } from './result-status';

const CHART_HEIGHT = 260;

/** Whether this document can draw on a canvas (a DOM without one, as in unit tests, shows the figure without the plot). */
function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

const BOUND_WORDS: Readonly<Record<string, string>> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

function rangeText(trend: Trend): string {
  const range = trend.range;
  if (range === null) return 'no reference range given';
  const unit = unitLabel(trend.unit);
  // A one-sided range as the lab wrote it: "<5.2" is not "≤ 5.2".
  const operator = BOUND_WORDS[/^\s*([<>]=?)/.exec(range.text)?.[1] ?? ''] ?? (range.low !== null ? '≥' : '≤');
  // The bounds with the digits the lab sent ("4.0–10.0", not "4–10": QA D6).
  const bounds = range.lowText !== null && range.highText !== null ? `${range.lowText}–${range.highText}` : `${operator} ${range.lowText ?? range.highText}`;
  return `reference range ${bounds}${unit === '' ? '' : ` ${unit}`} (shaded)`;
}

/**
 * The legend's value under the cursor: the result as the lab wrote it, with the unit ("7.0 %", as
 * the values table shows it, not uPlot's number 7: T1 D8). `index` is the point's index in the
 * chart's data, which holds trend.points in order.
 */
export function trendLegendValue(trend: Trend, unit: string): (plot: uPlot, value: number | null, series: number, index: number | null) => string {
  return (_plot, value, _series, index) => {
    if (value === null) return '–';
    const text = index === null ? undefined : trend.points[index]?.text;
    return `${text ?? value}${unit === '' ? '' : ` ${unit}`}`;
  };
}

/** One sentence for the figure's caption and its accessible name. */
export function trendSummary(trend: Trend): string {
  const first = trend.points[0];
  const last = trend.points.at(-1);
  if (first === undefined || last === undefined) return `${trend.label}: no numeric results.`;
  const unit = unitLabel(trend.unit);
  const count = trend.points.length === 1 ? '1 result' : `${trend.points.length} results`;
  const converted = trend.points.filter((point) => point.reported !== undefined);
  const convertedText = converted.length === 0 ? '' : `; ${converted.length === 1 ? '1 result' : `${converted.length} results`} converted from ${[...new Set(converted.map((point) => unitLabel(point.reported!.unit)))].join(', ')}`;
  const lastText = `${last.text}${unit === '' ? '' : ` ${unit}`}${last.provisional === undefined ? '' : ` (${last.provisional})`}`;
  const span = `from ${recordDateTime(first.row.time)} to ${recordDateTime(last.row.time)}`;
  // A newer result that is no point (`> 150`, HH) is the latest, said first: the line's last point is not (QA2-11 Q8).
  const newest = trend.latestNotDrawn;
  const head = newest === null ? `${count} ${span}; latest ${lastText}` : `latest ${latestText(newest)} (not drawn: ${whyNotDrawn(newest)}); ${count} drawn ${span}, the last ${lastText}`;
  return `${trend.label}: ${head}${convertedText}; ${rangeText(trend)}.${omittedText(trend)}${notNumericText(trend)}`;
}

/** A result as the lab wrote it, when, and its flags in words: "> 150 mmol/L on 2025-11-20 08:00 (UTC+01:00), Critically high". */
function latestText(row: ObservationRow): string {
  const flags = abnormalFlags(row.record).map((flag) => flag.label);
  return `${valueText(row)} on ${recordDateTime(row.time)}${flags.length === 0 ? '' : `, ${flags.join(', ')}`}`;
}

/** A result's value as the lab wrote it, "(no value)" when it sent none (a cancelled or pending result). */
function valueText(row: ObservationRow): string {
  const value = recordValue(row.record);
  return value.trim() === '' ? '(no value)' : value;
}

/**
 * Why a result is no point on the line: its status (cancelled / not done, pending… T1 D1), a `> 150`
 * or text, or a number in a unit the chart is not drawn in.
 */
function whyNotDrawn(row: ObservationRow): string {
  const status = resultStatusOf(row.record);
  if (!isChartedStatus(status)) return (resultStatusMarker(status) ?? `status ${status}`).toLowerCase();
  return row.record.value.kind === 'numeric' ? 'in another unit' : 'not a plain number';
}

/** Results that are no point on the line (`> 150`, text, a cancelled one): named with their values, times and why, never dropped silently. */
function notNumericText(trend: Trend): string {
  const byReason = new Map<string, ObservationRow[]>();
  for (const row of trend.notNumeric) {
    if (row === trend.latestNotDrawn) continue;
    const reason = whyNotDrawn(row);
    byReason.set(reason, [...(byReason.get(reason) ?? []), row]);
  }
  return [...byReason].map(([reason, rows]) => ` Not drawn (${reason}): ${rows.map((row) => `${valueText(row)} on ${recordDateTime(row.time)}`).join('; ')}.`).join('');
}

/** How many results in another unit the caption lists by value and time (the flowsheet lists them all). */
const OMITTED_LISTED = 10;

/**
 * Results in a unit the chart is not drawn in (no certain conversion): said plainly and listed with
 * their values and times, never dropped silently (D21; issue 11: cholesterol in mmol/L and mg/dL).
 */
function omittedText(trend: Trend): string {
  if (trend.omitted.length === 0) return '';
  const parts = trend.omitted.map(({ unit, count }) => `${count === 1 ? '1 result' : `${count} results`} ${unit === '' ? 'without a unit' : `in ${unitLabel(unit)}`}`);
  const target = unitLabel(trend.unit) || 'the chart\u2019s unit';
  const molar = trend.omitted.some(({ unit }) => needsMolarMass(unit, trend.unit)) ? '; it needs the substance\u2019s molar mass' : '';
  const listed = trend.omittedRows.slice(0, OMITTED_LISTED).map((row) => `${recordValue(row.record)} on ${recordDateTime(row.time)}`);
  const more = trend.omittedRows.length > OMITTED_LISTED ? `; and ${trend.omittedRows.length - OMITTED_LISTED} more (the flowsheet lists them)` : '';
  return ` Not drawn: ${parts.join(' and ')} (no certain conversion to ${target}${molar}): ${listed.join('; ')}${more}.`;
}

function correctedNote(trend: Trend, recordId: string, corrections: Corrections): string {
  const previous = corrections.replaced.get(recordId)?.[0];
  if (previous === undefined) return '';
  const current = trend.points.find((point) => point.row.recordId === recordId);
  // An F the lab sent again replaces an earlier final one (results-model.ts): not "preliminary".
  const words = current !== undefined && resultStatusOf(current.row.record) === 'C' ? 'corrected from' : resultStatusOf(previous.record) === 'F' ? 'earlier final was' : 'preliminary was';
  return `, ${words} ${valueText(previous)}`;
}

/** The results the line cannot hold (`> 150`), where and what they are: marked on the chart, not left off its end (QA2-11 Q8). */
export function undrawnMarks(trend: Trend): { readonly at: number; readonly label: string }[] {
  return trend.notNumeric.map((row) => ({ at: Date.parse(row.time) / 1000, label: recordValue(row.record).trim() === '' ? whyNotDrawn(row) : recordValue(row.record) }));
}

/** The time axis spans the drawn points and the undrawn results, so a newer `> 150` is inside the chart (one instant: a day either side). */
export function trendTimeRange(trend: Trend, min: number, max: number): [number, number] {
  const times = undrawnMarks(trend).map((mark) => mark.at).filter(Number.isFinite);
  return timeWindow([...trend.points.map((point) => point.at), ...times], Math.min(min, ...times), Math.max(max, ...times));
}

/** The y scale spans the values and the reference band, with a little air. */
function yRange(trend: Trend): [number, number] {
  const values = trend.points.map((point) => point.value);
  const range = trend.range;
  if (range !== null && range.low !== null) values.push(range.low);
  if (range !== null && range.high !== null) values.push(range.high);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= 1;
    high += 1;
  }
  const pad = (high - low) * 0.08;
  return [low - pad, high + pad];
}

/**
 * The trend of one numeric test over time (issue 11), drawn with uPlot on a canvas: the results as
 * a line with points and the reference range as a shaded band behind them. uPlot needs no eval and
 * injects no styles (its stylesheet is bundled), so it runs under the renderer's CSP. The values
 * are also listed under the chart, for screen readers and for reading them exactly.
 */
export function TrendChart({ records, testKey, corrections }: { records: readonly RecordRow[]; testKey: string; corrections: Corrections }) {
  // A unit the user asked to see the results of (one not drawn in the chart the unit most results carry).
  const [requestedUnit, setRequestedUnit] = useState<string | undefined>(undefined);
  const trend = useMemo(() => trendOf(records, testKey, corrections, requestedUnit), [records, testKey, corrections, requestedUnit]);
  const host = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const summary = trendSummary(trend);

  useEffect(() => {
    const element = host.current;
    if (element === null || trend.points.length === 0 || !canDraw()) return;
    const styles = getComputedStyle(element);
    const css = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
    const line = css('--color-accent', '#0b6481');
    const text = css('--color-text-muted', '#4b5a69');
    const grid = css('--color-border', '#d0d7e0');
    const band = css('--color-ok-bg', '#e5f4ea');
    const warn = css('--color-danger-text', '#a4161a');
    const marks = undrawnMarks(trend);
    const unit = unitLabel(trend.unit);
    const range = trend.range;
    // The axis and legend in the results' recorded zone, as the caption and tables show them (QA D3).
    const clock = chartTimes([...trend.points.map((point) => point.row.time), ...trend.notNumeric.map((row) => row.time)]);
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth || 640),
      tzDate: clock.tzDate,
      height: CHART_HEIGHT,
      scales: { x: { time: true, range: (_plot, min, max) => trendTimeRange(trend, min, max) }, y: { range: () => yRange(trend) } },
      series: [
        { value: clock.legend },
        {
          label: trend.label,
          stroke: line,
          width: 2,
          points: { show: true, size: 7, fill: line, stroke: line },
          value: trendLegendValue(trend, unit),
        },
      ],
      padding: CHART_PADDING,
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: clock.ticks, space: 70, label: clock.axisLabel },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, label: unit, size: 56 },
      ],
      cursor: { drag: { x: false, y: false } },
      hooks: {
        // The newest result's time and value while nothing is hovered (issue 11 F18).
        ready: [legendAtNewest],
        setLegend: [legendAtNewest],
        drawClear: [
          (plot) => {
            if (range === null) return;
            const { left, top, width, height } = plot.bbox;
            const upper = range.high === null ? top : Math.max(top, plot.valToPos(range.high, 'y', true));
            const lower = range.low === null ? top + height : Math.min(top + height, plot.valToPos(range.low, 'y', true));
            if (lower <= upper) return;
            plot.ctx.save();
            plot.ctx.fillStyle = band;
            plot.ctx.fillRect(left, upper, width, lower - upper);
            plot.ctx.restore();
          },
        ],
        // Each undrawn result: a dashed line at its time with its value, so the chart does not end before it.
        draw: [
          (plot) => {
            if (marks.length === 0) return;
            const { left, top, width, height } = plot.bbox;
            const ratio = uPlot.pxRatio;
            const { ctx } = plot;
            ctx.save();
            ctx.strokeStyle = warn;
            ctx.fillStyle = warn;
            ctx.lineWidth = 2 * ratio;
            ctx.setLineDash([5 * ratio, 4 * ratio]);
            ctx.font = `bold ${Math.round(12 * ratio)}px sans-serif`;
            ctx.textBaseline = 'top';
            for (const mark of marks) {
              const x = plot.valToPos(mark.at, 'x', true);
              if (!Number.isFinite(x)) continue;
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
              const rightHalf = x > left + width / 2;
              ctx.textAlign = rightHalf ? 'right' : 'left';
              ctx.fillText(mark.label, x + (rightHalf ? -4 : 4) * ratio, top + 4 * ratio);
            }
            ctx.restore();
          },
        ],
      },
    };
    const plot = new uPlot(options, [trend.points.map((point) => point.at), trend.points.map((point) => point.value)], element);
    const resize = new ResizeObserver(() => {
      const width = Math.max(280, element.clientWidth);
      if (width !== plot.width) plot.setSize({ width, height: CHART_HEIGHT });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [trend]);

  return (
    <figure className="trend" aria-labelledby={captionId}>
      {trend.latestNotDrawn === null ? null : (
        <p className="trend__latest" role="note" aria-label="Latest result">
          <strong>Latest result: {latestText(trend.latestNotDrawn)}</strong> — not drawn on the chart ({whyNotDrawn(trend.latestNotDrawn)}).
        </p>
      )}
      <div ref={host} className="trend__plot" role="img" aria-label={summary} data-points={trend.points.length} />
      <figcaption id={captionId} className="trend__caption">
        {summary}
      </figcaption>
      {trend.omitted.length === 0 ? null : (
        <p className="trend__units">
          {trend.omitted.map(({ unit, count }) => (
            <button key={unit} type="button" className="button" onClick={() => setRequestedUnit(unit)}>
              {`Show the ${count === 1 ? '1 result' : `${count} results`} ${unit === '' ? 'without a unit' : `in ${unitLabel(unit)}`}`}
            </button>
          ))}
        </p>
      )}
      <details className="trend__values">
        <summary>Values</summary>
        <table className="data-table" aria-label={`${trend.label} values`}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Value</th>
              <th scope="col">Flag</th>
            </tr>
          </thead>
          <tbody>
            {[...trend.points].reverse().map((point) => (
              <tr key={point.row.recordId}>
                <td className="nowrap">{recordDateTime(point.row.time)}</td>
                <td className="nowrap">
                  {point.text}
                  {trend.unit === '' ? '' : ` ${unitLabel(trend.unit)}`}
                  {point.provisional === undefined ? '' : ` (${point.provisional})`}
                  {reportedAsText(point.reported)}
                  {correctedNote(trend, point.row.recordId, corrections)}
                </td>
                <td>
                  <FlagMarks flags={abnormalFlags(point.row.record)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
