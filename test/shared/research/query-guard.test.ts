import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_QUERY_GUARD_POLICY, record, type QueryGuardState } from '../../../shared/research/query-guard';
import { queryFingerprint } from '../../../shared/research/keyword-query';

const DAY = 24 * 60 * 60 * 1000;
const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `p${from + i}`);

describe('query guard', () => {
  const policy = { ...DEFAULT_QUERY_GUARD_POLICY, dailyBudget: 3, maxRepeats: 3 };

  it('answers the same query again from the first answer within the window, and anew after it', () => {
    let state: QueryGuardState<string> = {};
    const q = { fingerprint: 'a', cohort: ids(0, 40) };
    expect(decide(state, 'r1', q, 0, policy)).toEqual({ kind: 'answer' });
    state = record(state, 'r1', { kind: 'answer' }, 0, { ...q, answeredAt: 0, answer: 'first' }, policy);
    const again = decide(state, 'r1', q, DAY, policy);
    expect(again).toMatchObject({ kind: 'repeat', earlier: { answer: 'first' } });
    // Another researcher gets their own answer.
    expect(decide(state, 'r2', q, DAY, policy)).toEqual({ kind: 'answer' });
    expect(decide(state, 'r1', q, policy.repeatWindowMs + 1, policy)).toEqual({ kind: 'answer' });
  });

  it('treats a query whose cohort differs by fewer than the minimum cell size as the same (differencing)', () => {
    let state: QueryGuardState<string> = {};
    state = record(state, 'r1', { kind: 'answer' }, 0, { fingerprint: 'ages 40-65', cohort: ids(0, 40), answeredAt: 0, answer: 'first' }, policy);
    expect(decide(state, 'r1', { fingerprint: 'ages 41-65', cohort: ids(3, 40) }, 1, policy)).toMatchObject({ kind: 'repeat', earlier: { answer: 'first' } });
    expect(decide(state, 'r1', { fingerprint: 'ages 41-65', cohort: ids(0, 50) }, 1, policy)).toMatchObject({ kind: 'repeat' });
    expect(decide(state, 'r1', { fingerprint: 'ages 30-65', cohort: ids(0, 51) }, 1, policy)).toEqual({ kind: 'answer' });
  });

  it('locks a researcher out after the daily budget, and after too many repeats', () => {
    let state: QueryGuardState<string> = {};
    for (let i = 0; i < 3; i++) {
      const q = { fingerprint: `q${i}`, cohort: ids(i * 100, i * 100 + 50) };
      const decision = decide(state, 'r1', q, i, policy);
      expect(decision).toEqual({ kind: 'answer' });
      state = record(state, 'r1', decision, i, { ...q, answeredAt: i, answer: `a${i}` }, policy);
    }
    const over = decide(state, 'r1', { fingerprint: 'q3', cohort: ids(900, 950) }, 10, policy);
    expect(over).toEqual({ kind: 'locked', until: 10 + policy.lockoutMs, reason: 'budget' });
    state = record(state, 'r1', over, 10, null, policy);
    expect(decide(state, 'r1', { fingerprint: 'q0', cohort: ids(0, 50) }, 20, policy)).toMatchObject({ kind: 'locked', reason: 'budget' });

    let other: QueryGuardState<string> = record({}, 'r2', { kind: 'answer' }, 0, { fingerprint: 'x', cohort: ids(0, 30), answeredAt: 0, answer: 'x' }, policy);
    for (let i = 1; i <= 2; i++) {
      const decision = decide(other, 'r2', { fingerprint: 'x', cohort: ids(0, 30) }, i, policy);
      expect(decision.kind).toBe('repeat');
      other = record(other, 'r2', decision, i, null, policy);
    }
    expect(decide(other, 'r2', { fingerprint: 'x', cohort: ids(0, 30) }, 5, policy)).toMatchObject({ kind: 'locked', reason: 'repeats' });
  });

  it('keeps its state bounded: answers and repeats older than every window are dropped', () => {
    let state: QueryGuardState<string> = {};
    for (let i = 0; i < 50; i++) state = record(state, 'r1', { kind: 'answer' }, i * DAY, { fingerprint: `q${i}`, cohort: ids(i, i + 20), answeredAt: i * DAY, answer: '' }, { ...policy, dailyBudget: 100 });
    expect(state['r1']!.answers.length).toBeLessThanOrEqual(8);
  });
});

describe('query fingerprint', () => {
  it('ignores case, spacing, term order and repeats, and data-type order; not the filters or purpose', () => {
    const base = { terms: ['HbA1c', 'type 2  diabetes'], filters: { ageFrom: 40, ageTo: 65, dataTypes: ['labs', 'imaging OP'] as const }, purpose: 'research-sale' as const };
    const same = { terms: ['Type 2 Diabetes', 'hba1c', 'HBA1C'], filters: { ageTo: 65, ageFrom: 40, dataTypes: ['imaging OP', 'labs'] as const }, purpose: 'research-sale' as const };
    expect(queryFingerprint({ ...base, filters: { ...base.filters, dataTypes: [...base.filters.dataTypes] } })).toBe(queryFingerprint({ ...same, filters: { ...same.filters, dataTypes: [...same.filters.dataTypes] } }));
    expect(queryFingerprint({ ...base, filters: { ageFrom: 41, ageTo: 65 } })).not.toBe(queryFingerprint({ ...base, filters: { ageFrom: 40, ageTo: 65 } }));
    expect(queryFingerprint({ ...base, filters: {}, purpose: 'research-no-sale' })).not.toBe(queryFingerprint({ ...base, filters: {} }));
  });
});
