// @vitest-environment happy-dom
import { renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INTAKE_REFRESH_MS, useThrottled } from '../../../../renderer/features/intake/use-throttled';

describe('useThrottled', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first call at once and folds a burst into one trailing run at the end of the interval', () => {
    const run = vi.fn();
    const { result } = renderHook(() => useThrottled(run, 1000));
    result.current();
    expect(run).toHaveBeenCalledTimes(1);
    // journal.appended ten times a second for a while
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(100);
      result.current();
    }
    expect(run).toHaveBeenCalledTimes(2); // at 0 ms and, trailing, at 1000 ms
    vi.advanceTimersByTime(999);
    expect(run).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(3); // the call at 1000 ms, after that run: one more run at 2000 ms
    vi.advanceTimersByTime(5000);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('runs at once again after a quiet interval', () => {
    const run = vi.fn();
    const { result } = renderHook(() => useThrottled(run, 1000));
    result.current();
    vi.advanceTimersByTime(1500);
    result.current();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('calls the latest function it was given', () => {
    const first = vi.fn();
    const second = vi.fn();
    const { result, rerender } = renderHook(({ run }) => useThrottled(run, 1000), { initialProps: { run: first } });
    result.current();
    result.current();
    rerender({ run: second });
    vi.advanceTimersByTime(1000);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('runs nothing after unmount', () => {
    const run = vi.fn();
    const { result, unmount } = renderHook(() => useThrottled(run, 1000));
    result.current();
    result.current();
    unmount();
    vi.advanceTimersByTime(5000);
    result.current();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('refreshes intake views once a second', () => {
    expect(INTAKE_REFRESH_MS).toBe(1000);
  });
});
