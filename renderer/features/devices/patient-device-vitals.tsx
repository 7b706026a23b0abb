import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { convertedForDisplay, convertUnit, MEASUREMENTS, roundReading, type ReadingKind } from '../../../shared/domain/device-readings';
import { ucumUnit } from '../../../shared/domain/unit-aliases';
import type { Observation } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../vault/vault-service';
import { ErrorNote } from '../../app/error-note';
import { useVault } from '../../vault/vault-context';
import type { DeviceReport } from '../../vault/views/device-reports';
import { unitLabel } from '../patients/ucum-units';
import { FlagMarks } from '../patients/flag-marks';
import { abnormalFlags, numberText, recordDateTime, type Flag } from '../patients/record-format';
import { CHART_PADDING, chartTimes, legendAtNewest, reportedAsText, timeWindow } from '../patients/chart-format';
import { chartedNow, parseReferenceRange } from '../patients/results-model';

const CHART_HEIGHT = 220;
/** Rows a readings table lists until all are asked for: thousands of rows cost seconds of layout. */
export const TABLE_ROWS = 100;

/** The charts, in the order clinicians read vitals: each a measurement family on one time axis. */
const PANELS: readonly { readonly title: string; readonly kinds: readonly ReadingKind[] }[] = [
  { title: 'Blood pressure', kinds: ['systolic', 'diastolic', 'mean-arterial'] },
  { title: 'Pulse', kinds: ['pulse'] },
  { title: 'SpO2', kinds: ['spo2'] },
  { title: 'Temperature', kinds: ['temperature'] },
  { title: 'Weight', kinds: ['weight'] },
  { title: 'Glucose', kinds: ['glucose'] },
];

const KIND_LABEL: Readonly<Partial<Record<ReadingKind, string>>> = { systolic: 'Systolic', diastolic: 'Diastolic', 'mean-arterial': 'Mean arterial', pulse: 'Pulse', spo2: 'SpO2', temperature: 'Temperature', weight: 'Weight', glucose: 'Glucose' };

/** LOINC codes of HL7 OBX vitals shown beside the devices' readings (the canonical unit comes from the device measurement of the same kind). */
const LOINC_VITALS: ReadonlyMap<string, ReadingKind> = new Map([
  ['8480-6', 'systolic'],
  ['8462-4', 'diastolic'],
  ['8478-0', 'mean-arterial'],
  ['8867-4', 'pulse'],
  ['59408-5', 'spo2'],
  ['2708-6', 'spo2'],
  ['8310-5', 'temperature'],
  ['8331-1', 'temperature'],
  ['29463-7', 'weight'],
  ['3141-9', 'weight'],
  ['2339-0', 'glucose'],
  ['2345-7', 'glucose'],
]);

/**
 * Adult reference ranges drawn as bands behind the readings and used to flag a reading High or Low,
 * in each kind's canonical unit. General adult ranges, not this patient's targets: a band is a
 * reading aid, the flag a prompt to look, never a diagnosis.
 */
export const REFERENCE_BANDS: Readonly<Partial<Record<ReadingKind, { readonly low: number; readonly high: number; readonly unit: string }>>> = {
  systolic: { low: 90, high: 139, unit: 'mm[Hg]' },
  diastolic: { low: 60, high: 89, unit: 'mm[Hg]' },
  'mean-arterial': { low: 70, high: 105, unit: 'mm[Hg]' },
  pulse: { low: 60, high: 100, unit: '/min' },
  spo2: { low: 95, high: 100, unit: '%' },
  temperature: { low: 36.1, high: 37.5, unit: 'Cel' },
  glucose: { low: 70, high: 140, unit: 'mg/dL' },
};

/**
 * A kind's reference band in `unit` (converted from its own and rounded as a converted value is
 * shown: 70–140 mg/dL is 3.9–7.8 mmol/L); undefined when there is no band or no conversion.
 */
export function referenceBand(kind: ReadingKind, unit: string): { readonly low: number; readonly high: number; readonly unit: string } | undefined {
  const band = REFERENCE_BANDS[kind];
  if (band === undefined) return undefined;
  if (band.unit === unit) return band;
  const [low, high] = [band.low, band.high].map((bound) => {
    const converted = convertUnit(bound, band.unit, unit, kind);
    return converted === undefined || !Number.isFinite(converted) ? undefined : convertedForDisplay(converted, unit, kind, bound);
  });
  return low === undefined || high === undefined ? undefined : { low, high, unit };
}

/** A band a chart shades for one kind: the lab's own range (OBX-7) when its results give one, else the general adult range. */
export interface ShadedBand {
  readonly kind: ReadingKind;
  readonly low: number;
  readonly high: number;
  readonly unit: string;
  readonly source: 'lab' | 'general';
  /** The kind's results give other lab ranges than the newest's (the one shaded). */
  readonly differs: boolean;
}

/** A point's lab range (both bounds) in the point's unit; undefined when it has none, a one-sided one, or no conversion. */
function labBand(point: Pick<VitalPoint, 'kind' | 'unit' | 'labRange' | 'reported'>): { readonly low: number; readonly high: number } | undefined {
  const parsed = parseReferenceRange(point.labRange);
  if (parsed === null || parsed.low === null || parsed.high === null) return undefined;
  const sent = point.reported?.unit ?? point.unit;
  if (sent === point.unit) return { low: parsed.low, high: parsed.high };
  const [low, high] = [parsed.low, parsed.high].map((bound) => {
    const converted = convertUnit(bound, sent, point.unit, point.kind);
    return converted === undefined || !Number.isFinite(converted) ? undefined : convertedForDisplay(converted, point.unit, point.kind, bound);
  });
  return low === undefined || high === undefined ? undefined : { low, high };
}

/**
 * The band shaded per present kind (H8 F6: a 128 mmHg the lab flagged High against its 90–120 sat in
 * the general 90–139 band): the newest result's own lab range, in the chart's unit, when any result
 * of the kind gives one; the general adult range only when none does.
 */
export function shadedBands(points: readonly VitalPoint[], present: readonly ReadingKind[]): ShadedBand[] {
  return present.flatMap((kind): ShadedBand[] => {
    const ofKind = points.filter((p) => p.kind === kind);
    const labs = ofKind.flatMap((p) => {
      const band = labBand(p);
      return band === undefined ? [] : [{ at: p.at, ...band }];
    });
    const newest = labs.reduce<(typeof labs)[number] | undefined>((best, band) => (best === undefined || band.at >= best.at ? band : best), undefined);
    const unit = ofKind.at(-1)?.unit;
    if (newest !== undefined && unit !== undefined) {
      const differs = labs.some((band) => band.low !== newest.low || band.high !== newest.high);
      return [{ kind, low: newest.low, high: newest.high, unit, source: 'lab', differs }];
    }
    const general = unit === undefined ? undefined : referenceBand(kind, unit);
    return general === undefined ? [] : [{ kind, ...general, source: 'general', differs: false }];
  });
}

/** The caption's "Shaded: lab range 90–120 mmHg." (each kind named when a chart has several); '' when nothing is shaded. */
export function shadedText(bands: readonly ShadedBand[]): string {
  if (bands.length === 0) return '';
  const parts = bands.map((band) => {
    const name = bands.length > 1 ? `${KIND_LABEL[band.kind] ?? band.kind} ` : '';
    const range = `${band.low}–${band.high} ${unitLabel(band.unit)}`.trim();
    const what = band.source === 'lab' ? `lab range ${range}${band.differs ? ' (the newest result’s; earlier results give other ranges)' : ''}` : `general adult range ${range}`;
    return `${name}${what}`;
  });
  return `Shaded: ${parts.join('; ')}.`;
}

/** What a reading is read against: its own lab range (OBX-7) or the general adult range, in the point's unit. */
type PointRange = Pick<VitalPoint, 'kind' | 'value' | 'unit' | 'labRange' | 'reported' | 'labFlags'>;

/**
 * The range a reading's High or Low is read against (issue 11: the flag follows the band a reader
 * sees): its own lab range (OBX-7, both bounds, as the chart shades it) when it gives one, else the
 * kind's general adult range; undefined when there is neither in the point's unit.
 */
export function flagRange(point: Omit<PointRange, 'value' | 'labFlags'>): { readonly low: number; readonly high: number; readonly source: 'lab' | 'general' } | undefined {
  const lab = labBand(point);
  if (lab !== undefined) return { ...lab, source: 'lab' };
  const general = referenceBand(point.kind, point.unit);
  return general === undefined ? undefined : { low: general.low, high: general.high, source: 'general' };
}

/** One part of the Reference column: which range, the range itself (never broken inside), and High or Low when it read the value so. */
interface ReferencePart {
  readonly flag: 'High' | 'Low' | null;
  readonly label: string;
  readonly range: string;
}

function partText(part: ReferencePart): string {
  const text = `${part.label} ${part.range}`;
  return part.flag === null ? text : `${part.flag} (${text})`;
}

/**
 * Said after "Shaded: lab range …" when some readings of a lab-shaded kind have no lab range of
 * their own (a device's): they are flagged against the general adult range, so a value drawn above
 * the shaded band may carry no High ("Device readings have no lab range: they are flagged against
 * the general adult range 90–139 mmHg."). '' when every reading is read against what is shaded.
 */
export function generalReadText(points: readonly VitalPoint[], bands: readonly ShadedBand[]): string {
  const read = bands.flatMap((band) => {
    if (band.source !== 'lab') return [];
    const general = points.filter((p) => p.kind === band.kind && p.labFlags === undefined && flagRange(p)?.source === 'general');
    const range = referenceBand(band.kind, band.unit);
    return general.length === 0 || range === undefined ? [] : [{ kind: band.kind, devices: general.every((p) => p.source === 'device'), range: `${range.low}–${range.high} ${unitLabel(range.unit)}`.trim() }];
  });
  if (read.length === 0) return '';
  const who = read.every((r) => r.devices) ? 'Device readings have no lab range: they are' : 'Readings without a lab range are';
  const ranges = read.length === 1 ? ` ${read[0]!.range}` : ` (${read.map((r) => `${KIND_LABEL[r.kind] ?? r.kind} ${r.range}`).join('; ')})`;
  return `${who} flagged against the general adult range${ranges}.`;
}

/**
 * The Reference column: first the range the value is read against, with "High" or "Low" when it is
 * outside; then the other range, labelled, only when it differs ("High (lab range 90-120 mmHg);
 * general adult range 90–139 mmHg"). A lab's range is as it sent it, in the unit it reported. A
 * result the sender flagged (OBX-8, N included) is read by that flag, shown beside its value, and
 * its own range comes first. '' when there is no range.
 */
export function referenceText(point: PointRange): string {
  return referenceParts(point).map(partText).join('; ');
}

function referenceParts(point: PointRange): ReferencePart[] {
  const general = referenceBand(point.kind, point.unit);
  const generalPart = general === undefined ? undefined : { label: 'general adult range', range: `${general.low}–${general.high} ${unitLabel(general.unit)}`.trim() };
  const unit = unitLabel(point.reported?.unit ?? point.unit);
  const labPart = point.labRange === undefined ? undefined : { label: 'lab range', range: `${point.labRange}${unit === '' ? '' : ` ${unit}`}` };
  const used = flagRange(point);
  const flag = referenceFlag(point);
  // The sender's flag was read against its own range, whether or not that range is two bounds.
  const labFirst = labPart !== undefined && (used?.source === 'lab' || point.labFlags !== undefined);
  const [first, other] = labFirst ? [labPart, generalPart] : [generalPart, labPart];
  const lab = labBand(point);
  const same = labFirst && general !== undefined && lab !== undefined && lab.low === general.low && lab.high === general.high;
  return [...(first === undefined ? [] : [{ ...first, flag }]), ...(other === undefined || same ? [] : [{ ...other, flag: null }])];
}

/**
 * "High" or "Low" against the range flagRange gives (none without one), for a reading its sender
 * did not flag: an HL7 result with the sender's flags (OBX-8) is read by those.
 */
export function referenceFlag(point: PointRange): 'High' | 'Low' | null {
  if (point.labFlags !== undefined) return null;
  const range = flagRange(point);
  if (range === undefined) return null;
  return point.value > range.high ? 'High' : point.value < range.low ? 'Low' : null;
}

/** What a point is flagged as: the lab's flags (Critically low…), else the band's High or Low; [] when none. */
export function pointFlagWords(point: PointRange): string[] {
  if (point.labFlags !== undefined) return point.labFlags.map((flag) => flag.label);
  const flag = referenceFlag(point);
  return flag === null ? [] : [flag];
}

/** The caption's count of flagged readings, most serious first: "1 critically low, 1 high" ('' when none). */
export function flagCounts(points: readonly PointRange[]): string {
  const counts = new Map<string, { count: number; critical: boolean }>();
  for (const point of points) {
    const critical = new Set((point.labFlags ?? []).filter((flag) => flag.critical).map((flag) => flag.label));
    for (const word of pointFlagWords(point)) {
      const entry = counts.get(word) ?? { count: 0, critical: critical.has(word) };
      entry.count += 1;
      counts.set(word, entry);
    }
  }
  return [...counts]
    .sort(([, a], [, b]) => Number(b.critical) - Number(a.critical))
    .map(([word, { count }]) => `${count} ${word.toLowerCase()}`)
    .join(', ');
}

/** The canonical unit of a kind (as the device measurements define it). */
function canonicalUnit(kind: ReadingKind): string | undefined {
  for (const spec of MEASUREMENTS.values()) if (spec.kind === kind) return spec.unit;
  return undefined;
}

export interface VitalPoint {
  /** Seconds since the epoch. */
  readonly at: number;
  /** The time as recorded (ISO, with the zone the sender gave): what the table shows, as the results do. */
  readonly time: string;
  readonly kind: ReadingKind;
  readonly value: number;
  readonly unit: string;
  readonly quality: number;
  readonly flags: readonly string[];
  readonly key: string;
  /** Where it came from: a device, or an HL7 result (OBX). */
  readonly source: 'device' | 'hl7';
  /** The value and unit as reported, when it was converted into `unit` (said beside it, as the results trend does). */
  readonly reported?: { readonly value: number; readonly unit: string; readonly text?: string };
  /** An HL7 result's reference range as the lab sent it (OBX-7), in the unit it was reported in. */
  readonly labRange?: string;
  /** An HL7 result's abnormal flags as the lab sent them (OBX-8; [] for N): set when the lab flagged it at all. */
  readonly labFlags?: readonly Flag[];
  /** The value as written when it is shown as reported ("7.0": the lab's decimals). */
  readonly text?: string;
  /** An HL7 result that is a laboratory result (a serum glucose), not a vital sign. */
  readonly lab?: boolean;
}

/**
 * A panel's points in the unit most of them were reported in (a tie: the newest's), so a lab's
 * glucose in mmol/L stays mmol/L (QA s32 #1: 2.1 mmol/L read "38 mg/dL (reported as 2.1 mmol/L)").
 * Each point in another unit is converted from its reported value and says so ("10 mmol/L (reported
 * as 180 mg/dL)"); a point shown as reported keeps its digits. When any point cannot be converted,
 * the panel stays in the canonical unit.
 */
function inReportedUnit(points: readonly VitalPoint[]): VitalPoint[] {
  const counts = new Map<string, { count: number; newest: number }>();
  for (const p of points) {
    const sent = p.reported?.unit ?? p.unit;
    const entry = counts.get(sent) ?? { count: 0, newest: -Infinity };
    counts.set(sent, { count: entry.count + 1, newest: Math.max(entry.newest, p.at) });
  }
  const unit = [...counts].sort(([, a], [, b]) => b.count - a.count || b.newest - a.newest)[0]?.[0];
  if (unit === undefined || points.every((p) => p.unit === unit)) return [...points];
  const out: VitalPoint[] = [];
  for (const p of points) {
    const sent = p.reported ?? { value: p.value, unit: p.unit, text: p.text };
    if (sent.unit === unit) {
      const { reported: _converted, ...rest } = p;
      out.push({ ...rest, value: sent.value, unit, ...(sent.text === undefined ? {} : { text: sent.text }) });
      continue;
    }
    const converted = convertUnit(sent.value, sent.unit, unit, p.kind);
    if (converted === undefined || !Number.isFinite(converted)) return [...points];
    const { text: _text, ...rest } = p;
    out.push({ ...rest, value: convertedForDisplay(converted, unit, p.kind, sent.value), unit, reported: { value: sent.value, unit: sent.unit, ...(sent.text === undefined ? {} : { text: sent.text }) } });
  }
  return out;
}

/** An HL7 numeric result of a vital the chart knows (by LOINC), with its kind and the kind's canonical unit. */
function hl7Vital(row: RecordRow): { readonly record: Observation; readonly value: NumericValue; readonly kind: ReadingKind; readonly unit: string } | undefined {
  const record = row.record;
  if (record.type !== 'observation' || record.value.kind !== 'numeric') return undefined;
  const kind = record.code.system === 'LN' ? LOINC_VITALS.get(record.code.code) : undefined;
  const unit = kind === undefined ? undefined : canonicalUnit(kind);
  return kind === undefined || unit === undefined ? undefined : { record, value: record.value, kind, unit };
}

type NumericValue = Extract<Observation['value'], { readonly kind: 'numeric' }>;

/** The numeric readings of reports, per chart panel, oldest first (special values have no point: they are no number). */
export function vitalPoints(reports: readonly DeviceReport[], records: readonly RecordRow[] = []): Map<string, VitalPoint[]> {
  const points: VitalPoint[] = [];
  const add = (point: VitalPoint) => points.push(point);
  // Only current results of a status that is charted: not one a correction replaced, a cancelled, pending, withdrawn or deleted one (T1, results-model.ts).
  const current = chartedNow(records);
  // HL7 OBX vitals (LOINC), converted to the same canonical unit; a unit without a conversion is no point, never guessed (vitalsNotDrawn says so).
  for (const row of records) {
    const vital = current(row) ? hl7Vital(row) : undefined;
    if (vital === undefined) continue;
    const { record, kind, unit } = vital;
    // A unit as sent is read as its UCUM code (`mmHg` is `mm[Hg]`: T1 D4, unit-aliases.ts).
    const sentUnit = ucumUnit(vital.value.unit ?? '');
    const value = convertUnit(vital.value.value, sentUnit, unit, kind);
    if (value === undefined) continue;
    // A converted value carries no more precision than was sent: 16 kPa is 120 mmHg, not 120.0099; glucose in whole mg/dL (3.1 mmol/L is 56).
    const shown = sentUnit === unit ? roundReading(value) : convertedForDisplay(value, unit, kind, vital.value.value);
    const labRange = record.referenceRange?.trim();
    const sentText = numberText(vital.value.value, vital.value.decimals);
    add({
      at: Date.parse(row.time) / 1000,
      time: row.time,
      kind,
      value: shown,
      unit,
      quality: 1,
      flags: [],
      key: `hl7:${row.recordId}`,
      source: 'hl7',
      ...(sentUnit === unit ? { text: sentText } : { reported: { value: vital.value.value, unit: sentUnit, text: sentText } }),
      ...(labRange === undefined || labRange === '' ? {} : { labRange }),
      // The lab's own reading of its value (HH, LL…), when it gave one: never replaced by the adult band's High or Low.
      ...((record.abnormalFlags ?? []).some((code) => code.trim() !== '') ? { labFlags: abnormalFlags(record) } : {}),
      ...(record.category === 'laboratory' ? { lab: true } : {}),
    });
  }
  for (const report of reports) {
    for (const index of report.readings.keys()) {
      const point = devicePoint(report, index);
      if (point !== undefined) add(point);
    }
  }
  return panelsOf(points);
}

/**
 * Per chart panel, the HL7 results of its measurements that are no point because their unit has no
 * conversion into the panel's (T1 D4: nothing leaves the chart silently): "Not drawn: 1 reading in
 * cmH₂O (no conversion to mmHg): Systolic 150 cmH₂O on 2026-11-18 08:00 (UTC+01:00)." Panels with
 * none are absent. The first NOT_DRAWN_LISTED are listed with value and time, newest first.
 */
export function vitalsNotDrawn(records: readonly RecordRow[]): Map<string, string> {
  const byPanel = new Map<string, { target: string; rows: { kind: ReadingKind; value: string; unit: string; time: string }[] }>();
  const current = chartedNow(records);
  for (const row of records) {
    const vital = current(row) ? hl7Vital(row) : undefined;
    if (vital === undefined) continue;
    const { value, kind, unit } = vital;
    if (convertUnit(value.value, value.unit ?? '', unit, kind) !== undefined) continue;
    const panel = PANELS.find((p) => p.kinds.includes(kind));
    if (panel === undefined) continue;
    const entry = byPanel.get(panel.title) ?? { target: unit, rows: [] };
    entry.rows.push({ kind, value: numberText(value.value, value.decimals), unit: value.unit ?? '', time: row.time });
    byPanel.set(panel.title, entry);
  }
  const out = new Map<string, string>();
  for (const [title, { target, rows }] of byPanel) {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.unit, (counts.get(r.unit) ?? 0) + 1);
    const units = [...counts].map(([unit, count]) => `${count === 1 ? '1 reading' : `${count} readings`} ${unit === '' ? 'without a unit' : `in ${unitLabel(unit)}`}`);
    const newest = [...rows].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    const listed = newest.slice(0, NOT_DRAWN_LISTED).map((r) => `${KIND_LABEL[r.kind] ?? r.kind} ${r.value}${r.unit === '' ? '' : ` ${unitLabel(r.unit)}`} on ${recordDateTime(r.time)}`);
    const more = rows.length > NOT_DRAWN_LISTED ? `; and ${rows.length - NOT_DRAWN_LISTED} more (listed under Results)` : '';
    out.set(title, `Not drawn: ${units.join(' and ')} (no conversion to ${unitLabel(target)}): ${listed.join('; ')}${more}.`);
  }
  return out;
}

/** How many results a panel's "Not drawn" note lists by value and time. */
const NOT_DRAWN_LISTED = 5;

/**
 * Points per chart panel as the patient page draws and lists them: each panel in the unit most of
 * its points were reported in (a point in another unit converted, saying what was reported), oldest
 * first. The Devices inbox reads its readings through it too, so a reading reads the same there.
 */
export function panelsOf(points: Iterable<VitalPoint>): Map<string, VitalPoint[]> {
  const out = new Map<string, VitalPoint[]>();
  for (const point of points) {
    const panel = PANELS.find((p) => p.kinds.includes(point.kind));
    if (panel === undefined) continue;
    const list = out.get(panel.title) ?? [];
    list.push(point);
    out.set(panel.title, list);
  }
  for (const [title, list] of out) out.set(title, inReportedUnit(list).sort((a, b) => a.at - b.at));
  return out;
}

/**
 * One device reading as a point in its kind's canonical unit (the reported value beside it when the
 * device sent another unit); undefined for a special value or a unit with no conversion: no number.
 */
export function devicePoint(report: DeviceReport, index: number): VitalPoint | undefined {
  const r = report.readings[index];
  if (r === undefined || r.status !== 'value' || r.normalizedValue === undefined || r.normalizedUnit === undefined) return undefined;
  const converted = r.value !== undefined && r.unit !== undefined && r.unit !== r.normalizedUnit;
  return {
    at: Date.parse(r.time) / 1000,
    time: r.time,
    kind: r.kind,
    // Stored to four decimals (7.2 mmol/L as 129.7152 mg/dL); shown as an HL7 result converted is.
    value: converted ? convertedForDisplay(r.normalizedValue, r.normalizedUnit, r.kind, r.value!) : r.normalizedValue,
    unit: r.normalizedUnit,
    quality: r.quality,
    flags: r.flags,
    key: `${report.seq}:${index}`,
    source: 'device',
    ...(converted ? { reported: { value: r.value!, unit: r.unit! } } : {}),
  };
}

/** A point's value as the tables list it: the value and its unit, and what was reported when it was converted ("99 mg/dL", "(reported as 5.5 mmol/L)"). */
export function pointValueParts(point: Pick<VitalPoint, 'text' | 'value' | 'unit' | 'reported'>): string[] {
  const reported = reportedAsText(point.reported).trim();
  return [`${point.text ?? point.value} ${unitLabel(point.unit)}`.trim(), ...(reported === '' ? [] : [reported])];
}

/** uPlot's data: the distinct times, oldest first, and per kind its value at each time or null. Linear in the points. */
export function chartSeries(points: readonly Pick<VitalPoint, 'at' | 'kind' | 'value'>[], kinds: readonly ReadingKind[]): [number[], ...(number | null)[][]] {
  const times = [...new Set(points.map((p) => p.at))].sort((a, b) => a - b);
  const byKind = new Map(kinds.map((kind) => [kind, new Map<number, number>()]));
  // The first point of a kind at a time wins, as before (a second reading at the same second is in the table).
  for (const p of points) {
    const values = byKind.get(p.kind);
    if (values !== undefined && !values.has(p.at)) values.set(p.at, p.value);
  }
  return [times, ...kinds.map((kind) => times.map((t) => byKind.get(kind)!.get(t) ?? null))];
}

function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

export interface VitalsChartStyle {
  /** One per series, in turn. */
  readonly colours: readonly string[];
  /** The reference bands' shade. */
  readonly fill: string;
  readonly text: string;
  readonly grid: string;
}

/**
 * A panel's uPlot options, as the results trend's: a time axis and legend in ISO days and a 24-hour
 * clock in the readings' recorded zone (chartTimes), one instant (a single reading) centred in a day either side (uPlot's `scales.x.range`), the
 * y scale over the values and the reference bands with some air, the bands shaded behind the lines.
 */
export function vitalsChartOptions(points: readonly VitalPoint[], present: readonly ReadingKind[], unit: string, width: number, style: VitalsChartStyle): uPlot.Options {
  // Each present kind's band (the lab's range, else the general adult one), shaded behind the lines; the y scale spans them.
  const bands = shadedBands(points, present);
  let [low, high] = [Infinity, -Infinity];
  for (const value of [...points.map((p) => p.value), ...bands.flatMap((band) => [band.low, band.high])]) [low, high] = [Math.min(low, value), Math.max(high, value)];
  const pad = Math.max((high - low) * 0.08, 1);
  const instants = points.map((p) => p.at);
  const times = new Set(instants).size;
  const axis = { stroke: style.text, grid: { stroke: style.grid, width: 1 }, ticks: { stroke: style.grid, width: 1 } };
  // The times as the table beside the chart shows them: recorded wall clock and zone (QA D3).
  const clock = chartTimes(points.map((p) => p.time));
  return {
    width,
    tzDate: clock.tzDate,
    height: CHART_HEIGHT,
    scales: { x: { time: true, range: (_plot, min, max) => timeWindow(instants, min, max) }, y: { range: () => [low - pad, high + pad] } },
    // Markers while they stay apart (always for a lone reading); with thousands of points the line alone (10,000 arcs cost more than the line).
    series: [
      { value: clock.legend },
      ...present.map((kind, i) => ({
        label: KIND_LABEL[kind] ?? kind,
        stroke: style.colours[i % style.colours.length]!,
        width: 2,
        spanGaps: true,
        points: { show: times <= 500, size: times === 1 ? 8 : 6, fill: style.colours[i % style.colours.length]! },
        value: (_plot: uPlot, value: number | null) => (value === null ? '–' : `${value}${unit === '' ? '' : ` ${unit}`}`),
      })),
    ],
    // Room for half the last time label right of the plot (T1 D9: "2026-12-0" at 1,000 px).
    padding: CHART_PADDING,
    axes: [
      { ...axis, values: clock.ticks, space: 70, label: clock.axisLabel },
      { ...axis, label: unit, size: 56 },
    ],
    hooks: {
      // The newest reading's time and values while nothing is hovered (issue 11 F18).
      ready: [legendAtNewest],
      setLegend: [legendAtNewest],
      drawClear: [
        (u) => {
          const { left, top, width: plotWidth, height } = u.bbox;
          u.ctx.save();
          u.ctx.fillStyle = style.fill;
          u.ctx.globalAlpha = bands.length > 1 ? 0.6 : 1;
          for (const band of bands) {
            const upper = Math.max(top, u.valToPos(band.high, 'y', true));
            const lower = Math.min(top + height, u.valToPos(band.low, 'y', true));
            if (lower > upper) u.ctx.fillRect(left, upper, plotWidth, lower - upper);
          }
          u.ctx.restore();
        },
      ],
    },
  };
}

/** "2026-11-24 08:00 (UTC+01:00)" as its time and its zone, each kept whole. */
function timeParts(text: string): string[] {
  const zone = text.indexOf(' (');
  return zone < 0 ? [text] : [text.slice(0, zone), text.slice(zone + 1)];
}

/** Parts a cell may wrap between but never inside. */
function WholeParts({ parts }: { parts: readonly string[] }) {
  return parts.map((part, i) => (
    <span key={i}>
      {i > 0 && ' '}
      <span className="nowrap">{part}</span>
    </span>
  ));
}

/** One panel: its series on one time axis (uPlot, as the results trend chart; drag across it to zoom) over the reference bands, and the values as a table with their flags. */
function VitalsPanel({ title, kinds, points, notDrawn }: { title: string; kinds: readonly ReadingKind[]; points: readonly VitalPoint[]; notDrawn: string | undefined }) {
  const host = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const unit = unitLabel(points.at(-1)?.unit ?? '');
  const present = useMemo(() => kinds.filter((k) => points.some((p) => p.kind === k)), [kinds, points]);
  const latest = points.at(-1);
  const flagged = flagCounts(points);
  const [listAll, setListAll] = useState(false);
  const listed = useMemo(() => (listAll ? [...points] : points.slice(-TABLE_ROWS)).reverse(), [points, listAll]);
  const latestFlags = latest === undefined ? [] : pointFlagWords(latest);
  const bands = shadedBands(points, present);
  const shaded = [shadedText(bands), generalReadText(points, bands)].filter((text) => text !== '').join(' ');
  const summary = `${title}: ${points.length === 1 ? '1 reading' : `${points.length} readings`}${latest === undefined ? '' : `; latest ${latest.text ?? latest.value} ${unit}${latestFlags.length === 0 ? '' : ` (${latestFlags.join(', ')})`}`}${flagged === '' ? '' : `; ${flagged}`}.${shaded === '' ? '' : ` ${shaded}`}${notDrawn === undefined ? '' : ` ${notDrawn}`}`;

  useEffect(() => {
    const element = host.current;
    if (element === null || points.length === 0 || !canDraw()) return;
    const styles = getComputedStyle(element);
    const css = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
    const style: VitalsChartStyle = {
      colours: [css('--color-accent', '#0b6481'), '#a23b72', '#6a4c93'],
      fill: css('--color-ok-bg', '#e5f4ea'),
      text: css('--color-text-muted', '#4b5a69'),
      grid: css('--color-border', '#d0d7e0'),
    };
    const plot = new uPlot(vitalsChartOptions(points, present, unit, Math.max(280, element.clientWidth || 640), style), chartSeries(points, present), element);
    return () => plot.destroy();
  }, [points, present, unit]);

  return (
    <figure className="trend" aria-labelledby={captionId}>
      <div ref={host} className="trend__plot" role="img" aria-label={summary} data-points={points.length} />
      <figcaption id={captionId} className="trend__caption">
        {summary}
      </figcaption>
      <table className="data-table" aria-label={`${title} readings`}>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Measurement</th>
            <th scope="col">Value</th>
            <th scope="col">Quality</th>
            <th scope="col">Source</th>
            <th scope="col">Reference</th>
          </tr>
        </thead>
        <tbody>
          {listed.map((p) => (
            // A critical result (HH, LL, AA) is marked as the Results panel marks it: a tinted row, the value in bold, a filled badge.
            <tr key={p.key} className={p.labFlags?.some((flag) => flag.critical) === true ? 'record-table__row--critical' : undefined}>
              {/* Wraps only between whole parts (the time, its zone; the value, what was reported), never inside one (QA s32 #2). */}
              <td>
                <WholeParts parts={timeParts(recordDateTime(p.time))} />
              </td>
              <td>{KIND_LABEL[p.kind] ?? p.kind}</td>
              <td>
                {pointValueParts(p).map((part, i) => (
                  <span key={i}>
                    {i > 0 && ' '}
                    <span className={i === 0 ? 'record-table__value nowrap' : 'nowrap'}>{part}</span>
                  </span>
                ))}
                {p.labFlags !== undefined && p.labFlags.length > 0 && ' '}
                {p.labFlags !== undefined && <FlagMarks flags={p.labFlags} />}
              </td>
              <td>
                {p.source === 'hl7' ? '' : `${Math.round(p.quality * 100)}%${p.flags.length > 0 ? ` (${p.flags.join(', ')})` : ''}`}
              </td>
              <td>{p.source === 'device' ? 'Device' : p.lab === true ? 'HL7 lab result' : 'HL7 result'}</td>
              <td>
                {referenceParts(p).map((part, i) => (
                  <span key={i}>
                    {i > 0 && '; '}
                    {/* A range is never broken inside ("70–" / "140"); its label may wrap between words. */}
                    {part.flag === null ? `${part.label} ` : `${part.flag} (${part.label} `}
                    <span className="nowrap">
                      {part.range}
                      {part.flag === null ? '' : ')'}
                    </span>
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {points.length > TABLE_ROWS && (
        <p className="muted">
          {listAll ? null : `The newest ${TABLE_ROWS} of ${points.length} readings are listed.`}{' '}
          <button type="button" onClick={() => setListAll(!listAll)}>
            {listAll ? `List the newest ${TABLE_ROWS}` : `List all ${points.length} ${title === 'SpO2' ? 'SpO2' : title.toLowerCase()} readings`}
          </button>
        </p>
      )}
    </figure>
  );
}

/** A patient's vitals from devices (sessions assigned to them, approved devices only), one chart per family, with their values. */
const PRESETS: readonly { readonly label: string; readonly days: number | null }[] = [
  { label: 'Last 7 days', days: 7 },
  { label: 'Last 30 days', days: 30 },
  { label: 'Last year', days: 365 },
  { label: 'All', days: null },
];

export function PatientDeviceVitals({ patientId, records = [] }: { patientId: string; records?: readonly RecordRow[] }) {
  const vault = useVault();
  const headingId = useId();
  const [reports, setReports] = useState<readonly DeviceReport[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let current = true;
    const load = () =>
      vault.patientDeviceReports(patientId).then(
        (r) => current && setReports(r),
        (e: unknown) => current && setError(e),
      );
    void load();
    const unsubscribe = vault.subscribe(() => void load());
    return () => {
      current = false;
      unsubscribe();
    };
  }, [vault, patientId]);
  // The preset chosen and the instant it starts from (taken when it was chosen).
  const [range, setRange] = useState<{ readonly days: number | null; readonly from: number | null }>({ days: null, from: null });
  const all = useMemo(() => vitalPoints(reports ?? [], records), [reports, records]);
  const notDrawn = useMemo(() => vitalsNotDrawn(records), [records]);
  const panels = useMemo(() => {
    const from = range.from;
    if (from === null) return all;
    return new Map([...all].map(([title, points]) => [title, points.filter((p) => p.at >= from)] as const).filter(([, points]) => points.length > 0));
  }, [all, range]);
  if (reports !== null && all.size === 0 && notDrawn.size === 0 && error === null) return null;
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={reports === null}>
      {/* Named for both sources (issue 13 charts HL7 vitals beside the devices'); the Source column says which each value is. */}
      <h2 id={headingId}>Vitals from devices and HL7 results</h2>
      <p className="muted">
        Device readings and HL7 results of the same measurements (vital signs, and glucose from the lab) on one time axis per measurement, each chart in the
        unit most of its values were reported in; a value converted from another unit says what was reported. A result the sender flagged keeps
        its flag; other values are flagged against their own lab range when they give one, else against the general adult range (device readings
        give none), and the Reference column says which. The shaded band is the lab’s own reference range when the results give one, else the
        general adult range; each caption says which.
      </p>
      <div className="segmented" role="group" aria-label="Time range">
        {PRESETS.map((p) => (
          <button key={p.label} type="button" className="segmented__button" aria-pressed={range.days === p.days} onClick={() => setRange({ days: p.days, from: p.days === null ? null : Date.now() / 1000 - p.days * 86_400 })}>
            {p.label}
          </button>
        ))}
      </div>
      {error !== null && <ErrorNote error={error} what="The device readings could not be read" />}
      {panels.size === 0 && reports !== null && <p className="muted">No vital in this time range.</p>}
      {PANELS.filter((p) => panels.has(p.title)).map((p) => (
        <VitalsPanel key={p.title} title={p.title} kinds={p.kinds} points={panels.get(p.title)!} notDrawn={notDrawn.get(p.title)} />
      ))}
      {/* A measurement none of whose results can be drawn is still named, with what was not drawn (T1 D4). */}
      {PANELS.filter((p) => !panels.has(p.title) && notDrawn.has(p.title)).map((p) => (
        <p key={p.title} className="muted">
          {p.title}: {notDrawn.get(p.title)}
        </p>
      ))}
    </section>
  );
}
