/**
 * The generalization hierarchies of the quasi-identifiers a released dataset is k-anonymized over
 * (issue 15 item 3): each QI has levels 0 (the Safe Harbor value) … height (`*`, fully suppressed
 * attribute). A full-domain generalization picks one level per QI for every record (the ARX /
 * Incognito model), so each value at level n+1 is a function of its value at level n: the lattice
 * search relies on that (a class at a higher level is a union of classes at a lower one).
 *
 * Values are strings as a researcher reads them: "47", "45–49", "40–49", "40–59", "90+", "*".
 * An unknown value ("?": no birth date, no ZIP, no dated record) stays "?" until the top level.
 */

export const QI_NAMES = ['age', 'sex', 'zip3', 'firstYear', 'lastYear'] as const;
export type QiName = (typeof QI_NAMES)[number];

/** One record's quasi-identifiers after Safe Harbor, before any generalization. */
export interface QiValues {
  /** Completed years at the release date; 90 stands for "90+" (Safe Harbor (b)(2)(i)(C)). */
  readonly age: number | null;
  readonly sex: 'F' | 'M' | 'O' | 'U' | null;
  /** Three digits, "000" for the restricted areas. */
  readonly zip3: string | null;
  /** Calendar years of the patient's first and last dated record. */
  readonly firstYear: number | null;
  readonly lastYear: number | null;
}

export const UNKNOWN = '?';
export const SUPPRESSED = '*';

export interface Hierarchy<T> {
  /** The top level (its values are all `*`). */
  readonly height: number;
  /** What each level means, for the release report. */
  readonly levels: readonly string[];
  generalize(value: T | null, level: number): string;
}

const span = (value: number, width: number): string => {
  const low = Math.floor(value / width) * width;
  return `${low}–${low + width - 1}`;
};

/** age: exact → 5-year → 10-year → 20-year bands → *; 90+ stays one band (80+ at 20 years). */
export const AGE_HIERARCHY: Hierarchy<number> = {
  height: 4,
  levels: ['exact years (90+ aggregated)', '5-year bands', '10-year bands', '20-year bands', 'suppressed'],
  generalize(age, level) {
    if (level >= 4) return SUPPRESSED;
    if (age === null) return UNKNOWN;
    if (age >= 90) return level === 3 ? '80+' : '90+';
    if (level === 0) return String(age);
    if (level === 3 && age >= 80) return '80+';
    return span(age, level === 1 ? 5 : level === 2 ? 10 : 20);
  },
};

/** sex: as recorded → *. */
export const SEX_HIERARCHY: Hierarchy<string> = {
  height: 1,
  levels: ['as recorded (F, M, O other, U unknown)', 'suppressed'],
  generalize(sex, level) {
    if (level >= 1) return SUPPRESSED;
    return sex ?? 'U';
  },
};

/** ZIP3: 3 digits → 2 → 1 → *. "000" (a restricted area) becomes "00*", "0**". */
export const ZIP3_HIERARCHY: Hierarchy<string> = {
  height: 3,
  levels: ['3-digit ZIP', '2-digit ZIP prefix', '1-digit ZIP prefix', 'suppressed'],
  generalize(zip3, level) {
    if (level >= 3) return SUPPRESSED;
    if (zip3 === null) return UNKNOWN;
    return zip3.slice(0, 3 - level).padEnd(3, '*');
  },
};

/** An event year: exact → 5-year span → 10-year span → *. */
export const YEAR_HIERARCHY: Hierarchy<number> = {
  height: 3,
  levels: ['year', '5-year span', '10-year span', 'suppressed'],
  generalize(year, level) {
    if (level >= 3) return SUPPRESSED;
    if (year === null) return UNKNOWN;
    return level === 0 ? String(year) : span(year, level === 1 ? 5 : 10);
  },
};

/**
 * The hierarchies in QI_NAMES order. Under the longitudinal profile the dates themselves are
 * released (shifted) on every record, so a span or `*` here would hide nothing: the years stay exact
 * (height 0) and the search generalizes the other QIs.
 */
export function hierarchiesFor(profile: 'safe-harbor' | 'longitudinal'): { readonly [Q in QiName]: Hierarchy<Q extends 'age' | 'firstYear' | 'lastYear' ? number : string> } {
  const year = profile === 'longitudinal' ? LONGITUDINAL_YEAR_HIERARCHY : YEAR_HIERARCHY;
  return { age: AGE_HIERARCHY, sex: SEX_HIERARCHY, zip3: ZIP3_HIERARCHY, firstYear: year, lastYear: year };
}

const LONGITUDINAL_YEAR_HIERARCHY: Hierarchy<number> = {
  height: 0,
  levels: ['year of the shifted date'],
  generalize: (year) => (year === null ? UNKNOWN : String(year)),
};

/** One level per QI. */
export type Levels = { readonly [Q in QiName]: number };

/** A record's QI values at the given levels, as released. */
export function generalizeQis(values: QiValues, levels: Levels, profile: 'safe-harbor' | 'longitudinal'): { readonly [Q in QiName]: string } {
  const h = hierarchiesFor(profile);
  return {
    age: h.age.generalize(values.age, levels.age),
    sex: h.sex.generalize(values.sex, levels.sex),
    zip3: h.zip3.generalize(values.zip3, levels.zip3),
    firstYear: h.firstYear.generalize(values.firstYear, levels.firstYear),
    lastYear: h.lastYear.generalize(values.lastYear, levels.lastYear),
  };
}
