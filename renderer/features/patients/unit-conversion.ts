import { convertUnit, GLUCOSE_MG_DL_PER_MMOL_L, type ReadingKind } from '../../../shared/domain/device-readings';
import { ucumUnit } from '../../../shared/domain/unit-aliases';

/**
 * Which conversions between result units are certain, so a trend may draw a result reported in
 * another unit: the same UCUM dimension with a fixed factor (mg/dL ↔ g/L ↔ mg/L ↔ µg/mL, mmol/L ↔
 * µmol/L, U/L ↔ mU/mL), the ones the devices convert (kPa ↔ mmHg, lb ↔ kg, °F ↔ °C, in → cm), and
 * glucose mass ↔ substance concentration by glucose's molar mass, known once the test is known to
 * be glucose. Mass ↔ substance for anything else (cholesterol mg/dL ↔ mmol/L) needs the analyte's
 * molar mass, which a unit does not carry: never converted, whatever the test's name suggests.
 */

/** UCUM prefixes a laboratory concentration uses (UCUM is case-sensitive: `M` would be mega, not milli). */
const PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, µ: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };

/** What a unit measures, per litre: a mass (g), an amount of substance (mol), or enzyme units (U). */
type Quantity = 'g' | 'mol' | 'U';

interface Concentration {
  readonly quantity: Quantity;
  /** The unit's size in base units per litre (mg/dL: 1e-3 g / 1e-1 L = 0.01 g/L). */
  readonly perLitre: number;
}

const CONCENTRATION = /^(k|d|c|m|u|µ|n|p|f)?(g|mol|U)\/(k|d|c|m|u|µ|n|p|f)?[lL]$/;

/** `mg/dL`, `mmol/L`, `umol/l`, `U/L`… as a quantity per litre; null for any other unit. */
function concentration(unit: string): Concentration | null {
  const match = CONCENTRATION.exec(ucumUnit(unit));
  if (match === null) return null;
  const quantity = match[2] as Quantity;
  return { quantity, perLitre: PREFIX[match[1] ?? '']! / PREFIX[match[3] ?? '']! };
}

/** Grams per litre of glucose in one mmol/L (GLUCOSE_MG_DL_PER_MMOL_L mg/dL = that /100 g/L). */
const GLUCOSE_G_L_PER_MOL_L = (GLUCOSE_MG_DL_PER_MMOL_L / 100) * 1000;

/**
 * Whether two spellings name one unit (`mmol/L` and `mmol/l`, `mmHg` and `mm[Hg]`: unit-aliases.ts):
 * a value in one is the value in the other.
 */
export function sameUnit(a: string, b: string): boolean {
  return a === b || ucumUnit(a) === ucumUnit(b);
}

/**
 * `value` in `from` converted into `to` when the conversion is certain (see above); undefined
 * otherwise (never guessed). `kind` 'glucose' allows mass ↔ substance by glucose's molar mass.
 */
export function convertCertain(value: number, from: string, to: string, kind: ReadingKind): number | undefined {
  if (sameUnit(from, to)) return value;
  const source = concentration(from);
  const target = concentration(to);
  if (source !== null && target !== null) {
    const base = value * source.perLitre;
    if (source.quantity === target.quantity) return base / target.perLitre;
    if (kind !== 'glucose') return undefined;
    if (source.quantity === 'g' && target.quantity === 'mol') return base / GLUCOSE_G_L_PER_MOL_L / target.perLitre;
    if (source.quantity === 'mol' && target.quantity === 'g') return (base * GLUCOSE_G_L_PER_MOL_L) / target.perLitre;
    return undefined;
  }
  return convertUnit(value, from, to, kind);
}

/** Whether a result in `from` can be drawn on a chart in `to`. */
export function convertible(from: string, to: string, kind: ReadingKind): boolean {
  if (from === '' || to === '') return from === to;
  const converted = convertCertain(1, from, to, kind);
  return converted !== undefined && Number.isFinite(converted);
}

export interface UnitChoice {
  /** The unit the chart is drawn in ('' when the results carry none). */
  readonly unit: string;
  /** Every unit whose results are drawn in it (converted): the chosen unit's family. */
  readonly family: readonly string[];
}

/**
 * The unit one chart of a test's results is drawn in (`sent`: each result's unit as sent, oldest
 * first; each read as its UCUM code, so the choice and the family are UCUM codes):
 * the results are grouped into families of units with a certain conversion between them; the family
 * most results carry wins (a tie: the family of the most recent result), and within it the unit most
 * results carry (a tie: the most recent). `requested` (a unit the user asked to see) picks its
 * family and itself instead. A chart never mixes families: the other results are not drawn.
 */
export function chooseUnit(sent: readonly string[], kind: ReadingKind, requestedAs?: string): UnitChoice {
  // Each unit as its UCUM code (`mmHg` is `mm[Hg]`: one unit, counted together; T1 D4).
  const units = sent.map((unit) => (unit === '' ? '' : ucumUnit(unit)));
  const requested = requestedAs === undefined || requestedAs === '' ? requestedAs : ucumUnit(requestedAs);
  const counts = new Map<string, { count: number; newest: number }>();
  units.forEach((unit, index) => {
    const entry = counts.get(unit);
    counts.set(unit, { count: (entry?.count ?? 0) + 1, newest: index });
  });
  const families: { units: string[]; count: number; newest: number }[] = [];
  for (const [unit, { count, newest }] of counts) {
    const family = families.find((candidate) => convertible(unit, candidate.units[0]!, kind));
    if (family === undefined) families.push({ units: [unit], count, newest });
    else {
      family.units.push(unit);
      family.count += count;
      family.newest = Math.max(family.newest, newest);
    }
  }
  const byWeight = <T extends { count: number; newest: number }>(a: T, b: T) => b.count - a.count || b.newest - a.newest;
  const family = (requested !== undefined ? families.find((candidate) => candidate.units.includes(requested)) : undefined) ?? [...families].sort(byWeight)[0];
  if (family === undefined) return { unit: requested ?? '', family: [] };
  const unit = requested !== undefined && family.units.includes(requested) ? requested : [...family.units].sort((a, b) => byWeight(counts.get(a)!, counts.get(b)!))[0]!;
  return { unit, family: family.units };
}

/** Whether `from` → `to` is mass ↔ amount of substance (mg/dL ↔ mmol/L): a conversion that needs the analyte's molar mass. */
export function needsMolarMass(from: string, to: string): boolean {
  const source = concentration(from);
  const target = concentration(to);
  return source !== null && target !== null && source.quantity !== target.quantity && source.quantity !== 'U' && target.quantity !== 'U';
}
