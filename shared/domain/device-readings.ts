/**
 * Device readings (IEEE 11073 agents) as both halves see them: what a measurement is (by its MDC
 * code), its canonical UCUM unit and the conversions into it (kPa → mmHg, lb → kg, °F → °C,
 * mmol/L → mg/dL for glucose, shown both ways), the plausibility range per measurement, and the
 * quality score kept with each reading. Isomorphic: no Node, no DOM.
 */

import { ucumUnit } from './unit-aliases';

export const READING_KINDS = ['systolic', 'diastolic', 'mean-arterial', 'pulse', 'spo2', 'temperature', 'weight', 'height', 'bmi', 'body-fat', 'glucose', 'other'] as const;
export type ReadingKind = (typeof READING_KINDS)[number];

export interface MeasurementSpec {
  readonly kind: ReadingKind;
  readonly label: string;
  /** The canonical UCUM unit readings are normalized to. */
  readonly unit: string;
  /** Plausible range in the canonical unit (inclusive). */
  readonly min: number;
  readonly max: number;
}

/** By MDC code (partition SCADA). */
export const MEASUREMENTS: ReadonlyMap<number, MeasurementSpec> = new Map([
  [0x4a05, { kind: 'systolic', label: 'Systolic blood pressure', unit: 'mm[Hg]', min: 50, max: 260 }],
  [0x4a06, { kind: 'diastolic', label: 'Diastolic blood pressure', unit: 'mm[Hg]', min: 20, max: 180 }],
  [0x4a07, { kind: 'mean-arterial', label: 'Mean arterial pressure', unit: 'mm[Hg]', min: 30, max: 220 }],
  [0x482a, { kind: 'pulse', label: 'Pulse rate', unit: '/min', min: 20, max: 300 }],
  [0x481a, { kind: 'pulse', label: 'Pulse rate (oximeter)', unit: '/min', min: 20, max: 300 }],
  [0x4bb8, { kind: 'spo2', label: 'SpO2', unit: '%', min: 50, max: 100 }],
  [0x4b5c, { kind: 'temperature', label: 'Body temperature', unit: 'Cel', min: 30, max: 45 }],
  [0xe140, { kind: 'weight', label: 'Body weight', unit: 'kg', min: 0.5, max: 400 }],
  [0xe144, { kind: 'height', label: 'Body height', unit: 'cm', min: 20, max: 260 }],
  [0xe150, { kind: 'bmi', label: 'Body mass index', unit: 'kg/m2', min: 5, max: 100 }],
  [0xe14c, { kind: 'body-fat', label: 'Body fat', unit: '%', min: 1, max: 80 }],
  [0x71b8, { kind: 'glucose', label: 'Glucose (capillary whole blood)', unit: 'mg/dL', min: 10, max: 800 }],
  [0x71bc, { kind: 'glucose', label: 'Glucose (capillary plasma)', unit: 'mg/dL', min: 10, max: 800 }],
  [0x71c0, { kind: 'glucose', label: 'Glucose (venous whole blood)', unit: 'mg/dL', min: 10, max: 800 }],
  [0x71c4, { kind: 'glucose', label: 'Glucose (venous plasma)', unit: 'mg/dL', min: 10, max: 800 }],
]);

/** mg/dL per mmol/L of glucose (molar mass 180.16 g/mol). */
export const GLUCOSE_MG_DL_PER_MMOL_L = 18.016;

/**
 * Converts `value` in UCUM `from` into `to`; undefined when there is no conversion (never guessed).
 * A common non-UCUM spelling is read as its UCUM unit first (unit-aliases.ts: `mmHg` is `mm[Hg]`).
 */
export function convertUnit(value: number, from: string, to: string, kind: ReadingKind): number | undefined {
  const [source, target] = [ucumUnit(from), ucumUnit(to)];
  if (source === target) return value;
  const key = `${source}>${target}`;
  switch (key) {
    case 'kPa>mm[Hg]':
      return value * 7.500617;
    case 'mm[Hg]>kPa':
      return value / 7.500617;
    case '[lb_av]>kg':
      return value * 0.45359237;
    case 'kg>[lb_av]':
      return value / 0.45359237;
    case '[degF]>Cel':
      return ((value - 32) * 5) / 9;
    case 'Cel>[degF]':
      return (value * 9) / 5 + 32;
    case '[in_i]>cm':
      return value * 2.54;
    case 'mmol/L>mg/dL':
      return kind === 'glucose' ? value * GLUCOSE_MG_DL_PER_MMOL_L : undefined;
    case 'mg/dL>mmol/L':
      return kind === 'glucose' ? value / GLUCOSE_MG_DL_PER_MMOL_L : undefined;
    default:
      return undefined;
  }
}

/**
 * Decimals glucose is shown with, by unit, as clinical practice reports it: mg/dL in whole numbers,
 * mmol/L with one decimal (meters and laboratories print 99 mg/dL and 5.5 mmol/L; a meter's step is
 * 1 mg/dL or 0.1 mmol/L). A value converted from the other unit is shown no finer: 5.5 mmol/L is
 * 99 mg/dL, not 99.088 (what 18.016 gives).
 */
export const GLUCOSE_DECIMALS: Readonly<Record<string, number>> = { 'mg/dL': 0, 'mmol/L': 1 };

/** How many significant digits a value as written has (82 → 2, 3.1 → 2, 0.05 → 1). */
function significantDigits(value: number): number {
  const digits = Math.abs(value).toString().replace('.', '').replace(/^0+/, '');
  return Math.max(1, digits.length);
}

/**
 * A value converted into `unit` from the value `reported` in another unit, rounded for display:
 * glucose to GLUCOSE_DECIMALS of its unit; any other kind to the significant digits the reported
 * value carried, three at least (16 kPa is 120 mmHg, not 120.0099). The value as reported is what
 * the UI keeps beside it ("reported as 5.5 mmol/L").
 */
export function convertedForDisplay(value: number, unit: string, kind: ReadingKind, reported: number): number {
  const decimals = kind === 'glucose' ? GLUCOSE_DECIMALS[unit] : undefined;
  if (decimals !== undefined) return Number(value.toFixed(decimals));
  return value === 0 ? 0 : Number(value.toPrecision(Math.max(3, significantDigits(reported))));
}

/** Rounds for display and storage without binary noise (4 significant decimals are beyond any device). */
export function roundReading(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export const READING_FLAGS = ['no-value', 'implausible', 'unit-unknown', 'device-time-invalid', 'clock-skew', 'duplicate', 'unknown-measurement'] as const;
export type ReadingFlag = (typeof READING_FLAGS)[number];

/** A device time further than this from the receive time is flagged (kept, not dropped). */
export const CLOCK_SKEW_LIMIT_MS = 15 * 60 * 1000;

export interface QualityInput {
  readonly code: number;
  /** undefined for a special value (NaN, NRes, ±INF). */
  readonly value: number | undefined;
  /** UCUM of the value as sent (undefined: a unit with no UCUM mapping). */
  readonly unit: string | undefined;
  /** The device's time as an instant, undefined when it sent none or an invalid one. */
  readonly deviceTime: Date | undefined;
  readonly deviceTimeInvalid: boolean;
  readonly receivedAt: Date;
  readonly duplicate: boolean;
}

export interface QualityResult {
  readonly kind: ReadingKind;
  readonly normalizedValue: number | undefined;
  readonly normalizedUnit: string | undefined;
  readonly flags: readonly ReadingFlag[];
  /** 0 (unusable) … 1 (no doubt found). */
  readonly quality: number;
}

const PENALTY: Readonly<Record<ReadingFlag, number>> = {
  'no-value': 1,
  implausible: 0.8,
  'unit-unknown': 0.5,
  'device-time-invalid': 0.2,
  'clock-skew': 0.2,
  duplicate: 0.1,
  'unknown-measurement': 0.3,
};

/** Normalizes a reading to its canonical unit, checks plausibility and the device clock, and scores it. */
export function assessReading(input: QualityInput): QualityResult {
  const spec = MEASUREMENTS.get(input.code);
  const flags: ReadingFlag[] = [];
  let normalizedValue: number | undefined;
  let normalizedUnit: string | undefined;
  if (input.value === undefined) flags.push('no-value');
  if (spec === undefined) {
    flags.push('unknown-measurement');
    normalizedValue = input.value;
    normalizedUnit = input.unit;
  } else if (input.value !== undefined) {
    const converted = input.unit === undefined ? undefined : convertUnit(input.value, input.unit, spec.unit, spec.kind);
    if (converted === undefined) flags.push('unit-unknown');
    else {
      normalizedValue = roundReading(converted);
      normalizedUnit = spec.unit;
      if (normalizedValue < spec.min || normalizedValue > spec.max) flags.push('implausible');
    }
  }
  if (input.deviceTimeInvalid) flags.push('device-time-invalid');
  else if (input.deviceTime !== undefined && Math.abs(input.deviceTime.getTime() - input.receivedAt.getTime()) > CLOCK_SKEW_LIMIT_MS) flags.push('clock-skew');
  if (input.duplicate) flags.push('duplicate');
  const quality = flags.reduce((q, f) => q * (1 - PENALTY[f]), 1);
  return { kind: spec?.kind ?? 'other', normalizedValue, normalizedUnit, flags, quality: Math.round(quality * 100) / 100 };
}
