import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailedUnlocks, type CountedAttempt } from '../../../electron/audit/failed-unlocks';

const TTL = 10 * 60 * 1000;

function attempt(connectionId: string, operatorId = 'op_1'): CountedAttempt {
  return { connectionId, operatorId, role: 'clinician', slot: 'passphrase', failuresBefore: 0, begunAt: new Date('2026-12-05T02:00:00.000Z') };
}

function tracker() {
  const settled: CountedAttempt[] = [];
  return { settled, unlocks: new FailedUnlocks((a) => settled.push(a), TTL) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('FailedUnlocks: when a counted unlock attempt becomes a failed unlock', () => {
  it('a proven attempt is never a failure, not even when it would have expired', () => {
    vi.useFakeTimers();
    const { settled, unlocks } = tracker();
    unlocks.begun('a1', attempt('w1'));
    expect(unlocks.proven('a1')).toBe(true);
    vi.advanceTimersByTime(TTL + 1);
    expect(settled).toEqual([]);
    // Proven once: a second proof of the same id was not counted.
    expect(unlocks.proven('a1')).toBe(false);
  });

  it('a new attempt of the same connection settles the earlier one (and names it, so it cannot finish later); other connections are untouched', () => {
    const { settled, unlocks } = tracker();
    unlocks.begun('a1', attempt('w1', 'op_ada'));
    unlocks.begun('b1', attempt('w2', 'op_bob'));
    expect(unlocks.supersede('w1')).toEqual(['a1']);
    expect(settled.map((a) => a.operatorId)).toEqual(['op_ada']);
    expect(unlocks.proven('a1')).toBe(false);
    expect(unlocks.size).toBe(1);
  });

  it('an attempt nobody proves is settled when it expires, once', () => {
    vi.useFakeTimers();
    const { settled, unlocks } = tracker();
    unlocks.begun('a1', attempt('w1'));
    vi.advanceTimersByTime(TTL - 1);
    expect(settled).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(settled).toHaveLength(1);
    unlocks.failed('a1');
    expect(settled).toHaveLength(1);
  });

  it('a connection that locks or closes settles its pending attempts; a stopping body settles none', () => {
    vi.useFakeTimers();
    const { settled, unlocks } = tracker();
    unlocks.begun('a1', attempt('w1'));
    unlocks.begun('b1', attempt('w2'));
    unlocks.connectionEnded('w1');
    expect(settled.map((a) => a.connectionId)).toEqual(['w1']);
    unlocks.stop();
    vi.advanceTimersByTime(TTL + 1);
    expect(settled).toHaveLength(1);
    expect(unlocks.size).toBe(0);
  });
});
