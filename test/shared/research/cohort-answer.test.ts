import { describe, expect, it } from 'vitest';
import { ageBand, ageOn, ageRangeOn, checkMinCellSize, countBucket, type DATA_TYPES, keyList, type CohortMember } from '../../../shared/research/cohort-answer';

let counter = 0;
const randomKey = (): string => (++counter).toString(16).padStart(32, '0').split('').reverse().join('');

function member(birthDate: string | undefined, sex: CohortMember['sex'], types: readonly (typeof DATA_TYPES)[number][], years: [number, number] | null): CohortMember {
  return { ...(birthDate ? { birthDate } : {}), ...(sex ? { sex } : {}), dataTypes: new Set(types), years: years === null ? null : { first: years[0], last: years[1] } };
}

describe('count buckets (minimum cell size and rounding)', () => {
  it('answers fewer than 11 for 10 matches, and rounds 11, 12 and 20 up to 20, 21 to 30', () => {
    expect(countBucket(0)).toEqual({ kind: 'fewer', than: 11 });
    expect(countBucket(10)).toEqual({ kind: 'fewer', than: 11 });
    expect(countBucket(11)).toEqual({ kind: 'count', roundedUp: 20 });
    expect(countBucket(12)).toEqual({ kind: 'count', roundedUp: 20 });
    expect(countBucket(20)).toEqual({ kind: 'count', roundedUp: 20 });
    expect(countBucket(21)).toEqual({ kind: 'count', roundedUp: 30 });
  });

  it('takes a configured minimum, never below 5', () => {
    expect(countBucket(5, 5)).toEqual({ kind: 'count', roundedUp: 10 });
    expect(countBucket(4, 5)).toEqual({ kind: 'fewer', than: 5 });
    expect(() => checkMinCellSize(4)).toThrow(/at least 5/);
    expect(() => countBucket(30, 3)).toThrow(RangeError);
    expect(() => countBucket(-1)).toThrow(RangeError);
  });
});

describe('ages', () => {
  it('counts completed years and bands them by ten, 90 and over as one band', () => {
    expect(ageOn('1980-06-15', '2026-06-14')).toBe(45);
    expect(ageOn('1980-06-15', '2026-06-15')).toBe(46);
    expect(ageOn('2030-01-01', '2026-06-15')).toBeNull();
    expect(ageOn(undefined, '2026-06-15')).toBeNull();
  });

  // QA explore-11 D19: a birth date sent to the month (HL7 DT YYYYMM) or the year is kept as such.
  it('a birth date known to the month or the year: the completed years it is sure of, and the most it may be', () => {
    expect(ageOn('1980-06', '2026-06-15')).toBe(45);
    expect(ageOn('1980-06', '2026-07-01')).toBe(46);
    expect(ageOn('1980', '2026-06-15')).toBe(45);
    expect(ageOn('2026', '2026-06-15')).toBe(0);
    expect(ageOn('2027', '2026-06-15')).toBeNull();
    expect(ageOn('2026-07', '2026-06-15')).toBeNull();
    expect(ageRangeOn('1980-06', '2026-06-15')).toEqual({ min: 45, max: 46 });
    expect(ageRangeOn('1936', '2026-12-05')).toEqual({ min: 89, max: 90 });
    expect(ageRangeOn('1980-06-15', '2026-06-15')).toEqual({ min: 46, max: 46 });
    expect(ageRangeOn('1980-13', '2026-06-15')).toBeNull();
    expect([ageBand(45), ageBand(40), ageBand(9), ageBand(89), ageBand(90), ageBand(104), ageBand(null)]).toEqual(['40–49', '40–49', '0–9', '80–89', '90+', '90+', null]);
  });
});

describe('KEY list', () => {
  const today = '2026-12-04';

  it('is empty under the minimum cell size', () => {
    const cohort = Array.from({ length: 10 }, () => member('1970-01-01', 'F', ['labs'], [2020, 2024]));
    expect(keyList(cohort, { today, randomKey })).toEqual([]);
  });

  it('gives one entry per patient with a fresh key, generalized attributes only, and suppresses values fewer than k share', () => {
    const cohort = [
      ...Array.from({ length: 8 }, () => member('1975-03-02', 'F', ['labs', 'imaging OP'], [2019, 2024])),
      ...Array.from({ length: 5 }, () => member('1962-11-30', 'M', ['labs'], [2021, 2024])),
      member('1931-01-01', 'O', ['labs', 'imaging MR'], [2023, 2023]),
    ];
    const list = keyList(cohort, { today, randomKey });
    expect(list).toHaveLength(14);
    expect(new Set(list.map((entry) => entry.key)).size).toBe(14);
    // Ordered by the random keys, not by the cohort's order.
    expect(list.map((entry) => entry.key)).toEqual([...list.map((entry) => entry.key)].sort());
    const rare = list.find((entry) => entry.sex === null)!;
    // The 95-year-old of unknown sex with the only MR: every rare value suppressed.
    expect(rare).toMatchObject({ ageBand: null, sex: null, years: null, dataTypes: ['labs'] });
    expect(list.filter((entry) => entry.ageBand === '50–59' && entry.sex === 'F')).toHaveLength(8);
    expect(list.filter((entry) => entry.ageBand === '60–69' && entry.sex === 'M' && entry.years === '2021–2024')).toHaveLength(5);
    expect(list.filter((entry) => entry.dataTypes.includes('imaging OP'))).toHaveLength(8);
    // Nothing finer than a year, no identifier: only these fields.
    for (const entry of list) expect(Object.keys(entry).sort()).toEqual(['ageBand', 'dataTypes', 'key', 'sex', 'years']);
  });

  it('draws new keys for the same cohort each time (unlinkable across answers)', () => {
    const cohort = Array.from({ length: 12 }, () => member('1980-01-01', 'M', ['vitals'], [2025, 2026]));
    const first = keyList(cohort, { today, randomKey });
    const second = keyList(cohort, { today, randomKey });
    expect(first.map((entry) => entry.key).filter((key) => second.some((other) => other.key === key))).toEqual([]);
  });
});
