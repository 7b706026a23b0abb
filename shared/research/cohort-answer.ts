/**
 * What a clinic tells a researcher about the patients that match a keyword query (issue 14 item 3;
 * design §11): a count that leaks nothing small, and a KEY list of generalized attributes only.
 * Pure functions: the mind computes the matching cohort (consent first, then the blind index) and
 * hands it here; nothing in this file sees a name, an identifier or a date finer than a year.
 *
 * Counts (i2b2/SHRINE practice): under the minimum cell size the answer is "fewer than N"; at or
 * above it the count is rounded UP to the next multiple of 10, so two answers never reveal a
 * difference smaller than 10.
 *
 * The KEY list: one entry per matching patient, only when the cohort reaches the minimum cell
 * size. Each entry has a fresh random key (unlinkable across queries: a new answer draws new keys),
 * a 10-year age band (90 and over as one band, as HIPAA Safe Harbor asks), the sex (other and
 * unknown merged), the data types that exist and the range of years they span. Any attribute value
 * shared by fewer than `k` entries of the list is suppressed (null), so no rare value identifies a
 * patient; the list is ordered by its random keys, never by anything of the patient.
 */

export const DEFAULT_MIN_CELL_SIZE = 11;
/** A clinic may lower the minimum cell size, never below this. */
export const LOWEST_MIN_CELL_SIZE = 5;
/** Attribute values shared by fewer KEY-list entries than this are suppressed. */
export const DEFAULT_KEY_LIST_K = 5;

export type CountBucket = { readonly kind: 'fewer'; readonly than: number } | { readonly kind: 'count'; readonly roundedUp: number };

export function checkMinCellSize(minCellSize: number): number {
  if (!Number.isSafeInteger(minCellSize) || minCellSize < LOWEST_MIN_CELL_SIZE) throw new RangeError(`The minimum cell size must be a whole number of at least ${LOWEST_MIN_CELL_SIZE}.`);
  return minCellSize;
}

/** 10 → "fewer than 11"; 11 and 12 → 20; 20 → 20; 21 → 30 (with the default minimum of 11). */
export function countBucket(matches: number, minCellSize = DEFAULT_MIN_CELL_SIZE): CountBucket {
  checkMinCellSize(minCellSize);
  if (!Number.isSafeInteger(matches) || matches < 0) throw new RangeError('A count is a whole number ≥ 0.');
  if (matches < minCellSize) return { kind: 'fewer', than: minCellSize };
  return { kind: 'count', roundedUp: Math.ceil(matches / 10) * 10 };
}

/** "fewer than 11" or "about 20 (rounded up)" — the words researchers see. */
export function describeBucket(bucket: CountBucket): string {
  return bucket.kind === 'fewer' ? `fewer than ${bucket.than}` : `${bucket.roundedUp} (rounded up to the next 10)`;
}

/** The kinds of data a patient's records hold, as a query filters them and a KEY list shows them. */
export const DATA_TYPES = ['labs', 'vitals', 'device readings', 'reports', 'imaging CT', 'imaging MR', 'imaging US', 'imaging CR/DX', 'imaging OP', 'imaging other'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** What the mind knows of one matching patient, already reduced to what generalization needs. */
export interface CohortMember {
  /** YYYY-MM-DD, or YYYY-MM / YYYY when it was sent to the month or the year; when known. */
  readonly birthDate?: string;
  readonly sex?: 'F' | 'M' | 'O' | 'U';
  readonly dataTypes: ReadonlySet<DataType>;
  /** Calendar years of the patient's first and last record, when any has a date. */
  readonly years: { readonly first: number; readonly last: number } | null;
}

export interface KeyListEntry {
  /** 128 random bits, hex: the handle a purchase names this record by. */
  readonly key: string;
  /** "40–49", "90+", or null (unknown or suppressed). */
  readonly ageBand: string | null;
  /** "F", "M", "other or unknown", or null (suppressed). */
  readonly sex: 'F' | 'M' | 'other or unknown' | null;
  /** The data types this patient has that at least k entries share, in DATA_TYPES order. */
  readonly dataTypes: readonly DataType[];
  /** "2019–2024", or null (no dated record, or suppressed). */
  readonly years: string | null;
}

/** Completed years of age on `today` (YYYY-MM-DD) that the birth date makes sure of, or null when it is unknown or later. */
export function ageOn(birthDate: string | undefined, today: string): number | null {
  return ageRangeOn(birthDate, today)?.min ?? null;
}

/**
 * Completed years of age on `today`: the fewest and the most the birth date allows. They differ
 * when it is known only to the month or the year (YYYY-MM, YYYY; QA explore-11 D19): born on the
 * last or the first day of that month or year. Null when unknown, unreadable or later than today.
 */
export function ageRangeOn(birthDate: string | undefined, today: string): { readonly min: number; readonly max: number } | null {
  const born = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate ?? '');
  if (born === null) return null;
  const by = Number(born[1]);
  const bm = born[2] === undefined ? null : Number(born[2]);
  if (bm !== null && (bm < 1 || bm > 12)) return null;
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  const yearsOn = (month: number, day: number) => ty - by - (tm < month || (tm === month && td < day) ? 1 : 0);
  const [earliest, latest] = born[3] !== undefined ? [yearsOn(bm!, Number(born[3])), yearsOn(bm!, Number(born[3]))] : bm !== null ? [yearsOn(bm, 1), yearsOn(bm, 31)] : [yearsOn(1, 1), yearsOn(12, 31)];
  if (earliest < 0) return null;
  return { min: Math.max(latest, 0), max: earliest };
}

export function ageBand(age: number | null): string | null {
  if (age === null) return null;
  if (age >= 90) return '90+';
  const low = Math.floor(age / 10) * 10;
  return `${low}–${low + 9}`;
}

/**
 * The KEY list of a cohort that reached the minimum cell size (an empty list otherwise). `randomKey`
 * must return a fresh unpredictable key per call (the mind passes crypto.getRandomValues).
 */
export function keyList(cohort: readonly CohortMember[], options: { readonly today: string; readonly minCellSize?: number; readonly k?: number; readonly randomKey: () => string }): KeyListEntry[] {
  const minCellSize = checkMinCellSize(options.minCellSize ?? DEFAULT_MIN_CELL_SIZE);
  if (cohort.length < minCellSize) return [];
  const k = options.k ?? DEFAULT_KEY_LIST_K;
  const generalized = cohort.map((member) => ({
    ageBand: ageBand(ageOn(member.birthDate, options.today)),
    sex: member.sex === 'F' || member.sex === 'M' ? member.sex : ('other or unknown' as const),
    years: member.years === null ? null : `${member.years.first}–${member.years.last}`,
    dataTypes: DATA_TYPES.filter((type) => member.dataTypes.has(type)),
  }));
  return suppressRare(
    generalized.map((entry) => ({ ...entry, key: options.randomKey() })),
    k,
  ).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Sets to null (or drops, for data types) every attribute value fewer than `k` entries share. Also
 * applied again to what is left of a list when entries are removed (a withdrawn consent), since a
 * value shared by k entries may then be shared by fewer.
 */
export function suppressRare(entries: readonly KeyListEntry[], k = DEFAULT_KEY_LIST_K): KeyListEntry[] {
  const common = <T>(values: readonly T[]): ((value: T) => boolean) => {
    const counts = new Map<T, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    return (value) => (counts.get(value) ?? 0) >= k;
  };
  const commonAge = common(entries.map((entry) => entry.ageBand));
  const commonSex = common(entries.map((entry) => entry.sex));
  const commonYears = common(entries.map((entry) => entry.years));
  const commonType = common(entries.flatMap((entry) => entry.dataTypes));
  return entries.map((entry) => ({
    key: entry.key,
    ageBand: entry.ageBand !== null && commonAge(entry.ageBand) ? entry.ageBand : null,
    sex: entry.sex !== null && commonSex(entry.sex) ? entry.sex : null,
    dataTypes: entry.dataTypes.filter(commonType),
    years: entry.years !== null && commonYears(entry.years) ? entry.years : null,
  }));
}
