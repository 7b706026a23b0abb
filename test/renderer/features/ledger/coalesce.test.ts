import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../../../../renderer/features/ledger/coalesce';

describe('coalesce', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first signal at once, a burst after it once at the end of the interval', () => {
    const run = vi.fn();
    const { signal } = coalesce(run, 1000);
    signal();
    expect(run).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) signal();
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(2);
    // Nothing signalled since: nothing more runs.
    vi.advanceTimersByTime(5000);
    expect(run).toHaveBeenCalledTimes(2);
    signal();
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('runs nothing pending after cancel', () => {
    const run = vi.fn();
    const { signal, cancel } = coalesce(run, 1000);
    signal();
    signal();
    cancel();
    vi.advanceTimersByTime(2000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
