import { describe, expect, it } from 'vitest';
import { AGE_HIERARCHY, hierarchiesFor, QI_NAMES, SEX_HIERARCHY, YEAR_HIERARCHY, ZIP3_HIERARCHY, generalizeQis, type QiValues } from '../../../../shared/research/deid/generalization';
import { findGeneralization, ReleaseRefusedError, verifyRelease, type AnonymityRow, type ReleasedDataset } from '../../../../shared/research/deid/k-anonymity';

/** A row of a hand-computed table: zip3 021 and event years 2020–2020 unless given. */
function row(age: number, sex: QiValues['sex'], diagnosis: string, more: Partial<QiValues> = {}): AnonymityRow {
  return { qi: { age, sex, zip3: '021', firstYear: 2020, lastYear: 2020, ...more }, sensitive: diagnosis };
}

/** The released classes of a generalization, as [values…, size, distinct diagnoses], sorted. */
function classesOf(rows: readonly AnonymityRow[], result: ReturnType<typeof findGeneralization>): string[] {
  const suppressed = new Set(result.suppressed);
  const groups = new Map<string, { size: number; dx: Set<string> }>();
  rows.forEach((r, i) => {
    if (suppressed.has(i)) return;
    const key = Object.values(generalizeQis(r.qi, result.levels, 'safe-harbor')).join(' | ');
    const group = groups.get(key) ?? { size: 0, dx: new Set<string>() };
    group.size++;
    group.dx.add(r.sensitive);
    groups.set(key, group);
  });
  return [...groups].map(([key, g]) => `${key} : ${g.size} rows, ${g.dx.size} diagnoses`).sort();
}

// Ten patients: five women of 40–44, five men of 50–54, same ZIP3 and years.
const WOMEN = [row(40, 'F', 'A'), row(41, 'F', 'A'), row(42, 'F', 'B'), row(43, 'F', 'B'), row(44, 'F', 'C')];
const MEN = [row(50, 'M', 'A'), row(51, 'M', 'D'), row(52, 'M', 'D'), row(53, 'M', 'E'), row(54, 'M', 'E')];

describe('generalization hierarchies', () => {
  it('generalizes age exact → 5 → 10 → 20 years → *, with 90+ one band (80+ at 20 years)', () => {
    expect([0, 1, 2, 3, 4].map((l) => AGE_HIERARCHY.generalize(47, l))).toEqual(['47', '45–49', '40–49', '40–59', '*']);
    expect([0, 1, 2, 3, 4].map((l) => AGE_HIERARCHY.generalize(90, l))).toEqual(['90+', '90+', '90+', '80+', '*']);
    expect([0, 1, 2, 3, 4].map((l) => AGE_HIERARCHY.generalize(83, l))).toEqual(['83', '80–84', '80–89', '80+', '*']);
    expect([0, 4].map((l) => AGE_HIERARCHY.generalize(null, l))).toEqual(['?', '*']);
  });

  it('generalizes ZIP3 → 2 → 1 digit → *, sex → *, a year → 5- and 10-year spans → *', () => {
    expect([0, 1, 2, 3].map((l) => ZIP3_HIERARCHY.generalize('021', l))).toEqual(['021', '02*', '0**', '*']);
    expect([0, 1].map((l) => SEX_HIERARCHY.generalize('F', l))).toEqual(['F', '*']);
    expect([0, 1, 2, 3].map((l) => YEAR_HIERARCHY.generalize(2021, l))).toEqual(['2021', '2020–2024', '2020–2029', '*']);
    // The longitudinal profile releases (shifted) dates: its years are not generalized.
    expect(hierarchiesFor('longitudinal').firstYear.height).toBe(0);
  });

  it('is a hierarchy: each value at a level has exactly one parent at the next', () => {
    const check = <T>(h: { height: number; generalize(v: T | null, l: number): string }, values: readonly (T | null)[]) => {
      for (let level = 0; level < h.height; level++) {
        const parent = new Map<string, string>();
        for (const v of values) {
          const child = h.generalize(v, level);
          const up = h.generalize(v, level + 1);
          expect(parent.get(child) ?? up).toBe(up);
          parent.set(child, up);
        }
      }
    };
    check(AGE_HIERARCHY, [null, ...Array.from({ length: 91 }, (_, i) => i)]);
    check(ZIP3_HIERARCHY, [null, '000', '021', '029', '100', '999']);
    check(YEAR_HIERARCHY, [null, ...Array.from({ length: 40 }, (_, i) => 1995 + i)]);
  });
});

describe('k-anonymity and ℓ-diversity by full-domain generalization (hand-computed tables)', () => {
  it('finds the least generalization: 5-year age bands make two classes of 5', () => {
    const rows = [...WOMEN, ...MEN];
    const result = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2, maxSuppression: 0 });
    expect(result.levels).toEqual({ age: 1, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(result.suppressed).toEqual([]);
    expect(classesOf(rows, result)).toEqual(['40–44 | F | 021 | 2020 | 2020 : 5 rows, 3 diagnoses', '50–54 | M | 021 | 2020 | 2020 : 5 rows, 3 diagnoses']);
    // Loss: every row keeps age at level 1 of 4, the other four QIs exact: (1/4)/5.
    expect(result.loss).toBeCloseTo(0.05, 10);
  });

  it('generalizes sex and age to 20 years when ℓ = 2 needs women and men together', () => {
    // All five women share one diagnosis: no class of women alone is 2-diverse.
    const women = WOMEN.map((r) => ({ ...r, sensitive: 'A' }));
    const rows = [...women, ...MEN];
    const result = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2, maxSuppression: 0 });
    expect(result.levels).toEqual({ age: 3, sex: 1, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(classesOf(rows, result)).toEqual(['40–59 | * | 021 | 2020 | 2020 : 10 rows, 3 diagnoses']);
    // With ℓ = 1 the 5-year bands are enough: ℓ is what forced the merge.
    expect(findGeneralization(rows, 'safe-harbor', { k: 5, l: 1, maxSuppression: 0 }).levels).toEqual({ age: 1, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
  });

  it('suppresses an outlier within the budget rather than generalize everyone', () => {
    // 20 patients (the table twice) and one man of 77: 5 % of 21 is 1 row.
    const rows = [...WOMEN, ...MEN, ...WOMEN, ...MEN, row(77, 'M', 'D')];
    const within = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2, maxSuppression: 0.05 });
    expect(within.levels).toEqual({ age: 1, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(within.suppressed).toEqual([20]);
    expect(classesOf(rows, within)).toEqual(['40–44 | F | 021 | 2020 | 2020 : 10 rows, 3 diagnoses', '50–54 | M | 021 | 2020 | 2020 : 10 rows, 3 diagnoses']);
    expect(within.loss).toBeCloseTo((20 * 0.05 + 1) / 21, 10);
    // No suppression allowed: only hiding the age altogether puts the 77-year-old in a class of 5+.
    const none = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2, maxSuppression: 0 });
    expect(none.levels).toEqual({ age: 4, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(none.suppressed).toEqual([]);
    expect(classesOf(rows, none)).toEqual(['* | F | 021 | 2020 | 2020 : 10 rows, 3 diagnoses', '* | M | 021 | 2020 | 2020 : 11 rows, 3 diagnoses']);
  });

  it('weighs suppression in the loss: a node that suppresses nobody can beat a less general one that suppresses', () => {
    // 92 patients of 40–49 (9 or 11 per year of age) first seen in 2020, and 8 first seen in 2021,
    // aged 40–44 (5) and 45–47 (3); all last seen in 2022. Exact: 8 singletons, over the budget of 5.
    // 5-year age bands: the three 45–47 of 2021 stay a class of 3 → 3 suppressed, loss (97 × 1/20 + 3)/100.
    // First year in 5-year spans: every age has ≥ 9 rows → none suppressed, loss 1/15: the better one.
    const at = (age: number, firstYear: number) => row(age, 'F', 'A', { firstYear, lastYear: 2022 });
    const rows = [...Array.from({ length: 90 }, (_, i) => at(40 + (i % 10), 2020)), at(40, 2020), at(40, 2020), ...[40, 41, 42, 43, 44, 45, 46, 47].map((age) => at(age, 2021))];
    const result = findGeneralization(rows, 'safe-harbor', { k: 5, l: 1 });
    expect(result.levels).toEqual({ age: 0, sex: 0, zip3: 0, firstYear: 1, lastYear: 0 });
    expect(result.suppressed).toEqual([]);
    expect(result.loss).toBeCloseTo(1 / 15, 10);
  });

  it('never suppresses more than the budget', () => {
    // 43 rows, a 5 % budget of 2. The men of 77 and 78 share a class of 2 at any age level below
    // *, the woman of 19 is alone at all of them: suppressing all three would take 3 rows, so only
    // hiding the age (no suppression) works.
    const rows = [...WOMEN, ...MEN, ...WOMEN, ...MEN, ...WOMEN, ...MEN, ...WOMEN, ...MEN, row(77, 'M', 'D'), row(78, 'M', 'E'), row(19, 'F', 'A')];
    const result = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2 });
    expect(result.levels).toEqual({ age: 4, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(result.suppressed).toEqual([]);
    // Without the woman of 19 the two men fit the budget (2 of 42): suppressed, ages stay in 5-year bands.
    const fewer = findGeneralization(rows.slice(0, 42), 'safe-harbor', { k: 5, l: 2 });
    expect(fewer.levels).toEqual({ age: 1, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 });
    expect(fewer.suppressed).toEqual([40, 41]);
  });

  it('refuses a release that cannot reach k, with the best achievable', () => {
    const rows = [row(40, 'F', 'A'), row(41, 'F', 'B'), row(42, 'M', 'C'), row(43, 'M', 'D')];
    const error = catchRefusal(() => findGeneralization(rows, 'safe-harbor', { k: 5, l: 2 }));
    expect(error.constraint).toBe('k');
    expect(error.best).toMatchObject({ k: 4, l: 4, suppressionNeeded: 4, suppressionBudget: 0 });
    expect(error.message).toMatch(/k = 5/);
  });

  it('refuses an empty population on k', () => {
    expect(catchRefusal(() => findGeneralization([], 'safe-harbor', {})).constraint).toBe('k');
  });

  it('refuses a release that cannot reach ℓ, with the best achievable', () => {
    const rows = [...WOMEN, ...MEN].map((r) => ({ ...r, sensitive: 'E11.9' }));
    const error = catchRefusal(() => findGeneralization(rows, 'safe-harbor', { k: 5, l: 2 }));
    expect(error.constraint).toBe('l');
    expect(error.best).toMatchObject({ k: 10, l: 1, suppressionNeeded: 10 });
    expect(error.message).toMatch(/ℓ = 2/);
  });

  it('takes k from 5 to 11 only, and a suppression budget of at most 5 %', () => {
    const rows = [...WOMEN, ...MEN];
    expect(() => findGeneralization(rows, 'safe-harbor', { k: 4 })).toThrow(RangeError);
    expect(() => findGeneralization(rows, 'safe-harbor', { k: 12 })).toThrow(RangeError);
    expect(() => findGeneralization(rows, 'safe-harbor', { maxSuppression: 0.06 })).toThrow(RangeError);
    expect(findGeneralization(rows, 'safe-harbor', { k: 10, l: 2 }).levels).toMatchObject({ sex: 1 });
  });
});

function catchRefusal(run: () => unknown): ReleaseRefusedError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReleaseRefusedError);
    return error as ReleaseRefusedError;
  }
  throw new Error('expected a refusal');
}

describe('the independent verifier', () => {
  /** Ten released rows: two classes of 5 as the first table releases them. */
  function dataset(): ReleasedDataset {
    const rows = [...WOMEN, ...MEN].map((r, i) => ({
      pseudonym: i.toString(16).padStart(32, '0'),
      ...generalizeQis(r.qi, { age: 1, sex: 0, zip3: 0, firstYear: 0, lastYear: 0 }, 'safe-harbor'),
      primaryDiagnosis: r.sensitive,
      records: [{ type: 'diagnosis' as const, code: { code: r.sensitive, system: 'I10' }, when: '2020' }],
    }));
    return { profile: 'safe-harbor', rowsIn: 10, rows };
  }

  it('recomputes the classes, k, ℓ and the suppressed count from the rows alone', () => {
    const verification = verifyRelease(dataset(), { k: 5, l: 2, maxSuppression: 0 });
    expect(verification.ok).toBe(true);
    expect(verification.classes.map((c) => `${c.values.join(' | ')} : ${c.size}/${c.distinctDiagnoses}`).sort()).toEqual(['40–44 | F | 021 | 2020 | 2020 : 5/3', '50–54 | M | 021 | 2020 | 2020 : 5/3']);
    expect([verification.k, verification.l, verification.rowsOut, verification.suppressed]).toEqual([5, 3, 10, 0]);
  });

  it('catches a tampered row: one age changed drops a class below k', () => {
    const tampered = dataset();
    const rows = tampered.rows.map((r, i) => (i === 0 ? { ...r, age: '45–49' } : r));
    const verification = verifyRelease({ ...tampered, rows }, { k: 5, l: 2, maxSuppression: 0 });
    expect(verification.ok).toBe(false);
    expect(verification.k).toBe(1);
    expect(verification.problems).toContain('class 45–49 | F | 021 | 2020 | 2020 has 1 rows, fewer than k = 5');
    expect(verification.problems).toContain('class 40–44 | F | 021 | 2020 | 2020 has 4 rows, fewer than k = 5');
  });

  it('catches a class that lost its diversity', () => {
    const rows = dataset().rows.map((r) => (r.sex === 'F' ? { ...r, primaryDiagnosis: 'A' } : r));
    const verification = verifyRelease({ ...dataset(), rows }, { k: 5, l: 2, maxSuppression: 0 });
    expect(verification.l).toBe(1);
    expect(verification.problems).toEqual(['class 40–44 | F | 021 | 2020 | 2020 has 1 distinct diagnoses, fewer than ℓ = 2']);
  });

  it('counts suppression against the declared rows in', () => {
    const verification = verifyRelease({ ...dataset(), rowsIn: 11 }, { k: 5, l: 2, maxSuppression: 0.05 });
    expect(verification.suppressed).toBe(1);
    expect(verification.problems).toEqual(['1 rows suppressed, more than 5 % of 11']);
    expect(verifyRelease({ ...dataset(), rowsIn: 20 }, { k: 5, l: 2, maxSuppression: 0.05 }).ok).toBe(false);
  });

  it('catches an identifier field, a repeated pseudonym and a record dated finer than the event years', () => {
    const base = dataset();
    const withMrn = base.rows.map((r, i) => (i === 3 ? { ...r, mrn: 'MRN-4711' } : r));
    expect(verifyRelease({ ...base, rows: withMrn }, { k: 5, maxSuppression: 0 }).problems).toEqual([expect.stringMatching(/^row 3 has fields other than/)]);
    const repeated = base.rows.map((r, i) => (i === 1 ? { ...r, pseudonym: base.rows[0]!.pseudonym } : r));
    expect(verifyRelease({ ...base, rows: repeated }, { k: 5, maxSuppression: 0 }).problems).toEqual(['row 1 repeats a pseudonym']);
    const spans = base.rows.map((r) => ({ ...r, firstYear: '2020–2024', lastYear: '2020–2024' }));
    const leaky = spans.map((r, i) => (i === 2 ? { ...r, records: [{ type: 'diagnosis' as const, code: { code: 'A', system: 'I10' }, when: '2021' }] } : { ...r, records: [] }));
    expect(verifyRelease({ ...base, rows: leaky }, { k: 5, maxSuppression: 0 }).problems).toEqual(['row 2 has a record dated "2021", finer than its event years']);
  });

  it('names the QIs in a fixed order', () => {
    expect(QI_NAMES).toEqual(['age', 'sex', 'zip3', 'firstYear', 'lastYear']);
  });
});
