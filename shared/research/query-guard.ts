/**
 * A clinic's protection against differencing and fishing (issue 14 item 4), per researcher:
 *
 *   - the same query again within the repeat window gets the first answer (same count, same keys);
 *   - so does a *nearly* the same query: one whose matching cohort differs from an earlier answer's
 *     by fewer patients than the minimum cell size (ages 40–65, then 41–65, would otherwise show
 *     how many are 40). Each such repeat counts; at `maxRepeats` within `repeatPeriodMs` the
 *     researcher is locked out (SHRINE locks out after about 7 repeats in 30 days);
 *   - at most `dailyBudget` new answers per researcher per day; a researcher over it is locked out.
 *
 * Pure and serializable: the mind keeps the state (sealed, in its views) and asks `decide` before
 * answering, then `record`s what it answered. Cohorts are sets of the clinic's own patient
 * pseudonyms and never leave the clinic.
 */

export interface QueryGuardPolicy {
  readonly dailyBudget: number;
  readonly repeatWindowMs: number;
  readonly maxRepeats: number;
  readonly repeatPeriodMs: number;
  readonly lockoutMs: number;
  readonly minCellSize: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_QUERY_GUARD_POLICY: QueryGuardPolicy = {
  dailyBudget: 20,
  repeatWindowMs: 7 * DAY_MS,
  maxRepeats: 7,
  repeatPeriodMs: 30 * DAY_MS,
  lockoutMs: 7 * DAY_MS,
  minCellSize: 11,
};

/** One answer a researcher got: what it was asked, whom it matched, and the answer itself (opaque here). */
export interface GuardedAnswer<A> {
  readonly fingerprint: string;
  readonly cohort: readonly string[];
  readonly answeredAt: number;
  readonly answer: A;
}

export interface ResearcherRecord<A> {
  readonly answers: readonly GuardedAnswer<A>[];
  /** Times a repeat was answered from an earlier answer. */
  readonly repeats: readonly number[];
  readonly lockedUntil: number | null;
  /** Why the last lockout began, for the clinic admin. */
  readonly lockReason: 'budget' | 'repeats' | null;
}

export type QueryGuardState<A> = Readonly<Record<string, ResearcherRecord<A>>>;

export type GuardDecision<A> =
  | { readonly kind: 'answer' }
  | { readonly kind: 'repeat'; readonly earlier: GuardedAnswer<A> }
  | { readonly kind: 'locked'; readonly until: number; readonly reason: 'budget' | 'repeats' };

const EMPTY: ResearcherRecord<never> = { answers: [], repeats: [], lockedUntil: null, lockReason: null };

function symmetricDifferenceBelow(a: ReadonlySet<string>, b: readonly string[], limit: number): boolean {
  let different = 0;
  const inB = new Set(b);
  for (const id of a) if (!inB.has(id) && ++different >= limit) return false;
  for (const id of inB) if (!a.has(id) && ++different >= limit) return false;
  return true;
}

/** Drops what is older than every window, so the state stays bounded. */
function pruned<A>(record: ResearcherRecord<A>, now: number, policy: QueryGuardPolicy): ResearcherRecord<A> {
  const keepAnswersFrom = now - Math.max(policy.repeatWindowMs, DAY_MS);
  return {
    answers: record.answers.filter((answer) => answer.answeredAt > keepAnswersFrom),
    repeats: record.repeats.filter((time) => time > now - policy.repeatPeriodMs),
    lockedUntil: record.lockedUntil !== null && record.lockedUntil > now ? record.lockedUntil : null,
    lockReason: record.lockedUntil !== null && record.lockedUntil > now ? record.lockReason : null,
  };
}

/**
 * What to do with a researcher's query whose fingerprint and matching cohort are given. A lockout
 * wins; then an earlier answer to the same or a nearly the same query; else a new answer, if the
 * budget allows (otherwise a lockout starts: see `record`).
 */
export function decide<A>(state: QueryGuardState<A>, researcher: string, query: { readonly fingerprint: string; readonly cohort: readonly string[] }, now: number, policy: QueryGuardPolicy = DEFAULT_QUERY_GUARD_POLICY): GuardDecision<A> {
  const record = pruned(state[researcher] ?? EMPTY, now, policy);
  if (record.lockedUntil !== null) return { kind: 'locked', until: record.lockedUntil, reason: record.lockReason ?? 'budget' };
  const recent = record.answers.filter((answer) => answer.answeredAt > now - policy.repeatWindowMs);
  const cohort = new Set(query.cohort);
  const earlier = recent.find((answer) => answer.fingerprint === query.fingerprint) ?? recent.find((answer) => symmetricDifferenceBelow(cohort, answer.cohort, policy.minCellSize));
  if (earlier !== undefined) {
    if (record.repeats.length + 1 >= policy.maxRepeats) return { kind: 'locked', until: now + policy.lockoutMs, reason: 'repeats' };
    return { kind: 'repeat', earlier };
  }
  const today = record.answers.filter((answer) => answer.answeredAt > now - DAY_MS).length;
  if (today >= policy.dailyBudget) return { kind: 'locked', until: now + policy.lockoutMs, reason: 'budget' };
  return { kind: 'answer' };
}

/** The state after acting on `decision` (a new answer given, a repeat served, or a lockout begun). */
export function record<A>(state: QueryGuardState<A>, researcher: string, decision: GuardDecision<A>, now: number, given: GuardedAnswer<A> | null, policy: QueryGuardPolicy = DEFAULT_QUERY_GUARD_POLICY): QueryGuardState<A> {
  const before = pruned(state[researcher] ?? EMPTY, now, policy);
  let after: ResearcherRecord<A>;
  switch (decision.kind) {
    case 'answer':
      if (given === null) throw new Error('A new answer must be recorded with what was answered.');
      after = { ...before, answers: [...before.answers, given] };
      break;
    case 'repeat':
      after = { ...before, repeats: [...before.repeats, now] };
      break;
    case 'locked':
      after = { ...before, lockedUntil: Math.max(before.lockedUntil ?? 0, decision.until), lockReason: decision.reason };
      break;
  }
  return { ...state, [researcher]: after };
}
