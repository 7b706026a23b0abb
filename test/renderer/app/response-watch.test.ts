import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchResponses } from '../../../renderer/app/response-watch';

const TIMING = { intervalMs: 5_000, timeoutMs: 10_000 };

describe('watchResponses (a hung body, issue 11 Errors)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks every interval while the body answers, and says nothing', async () => {
    const probe = vi.fn(() => Promise.resolve({}));
    const changes: unknown[] = [];
    const stop = watchResponses(probe, (...args) => changes.push(args), TIMING);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(probe).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(21_000);
    expect(probe).toHaveBeenCalledTimes(5);
    expect(changes).toEqual([]);
    stop();
  });

  it('says "not responding" once a question goes unanswered for the timeout, with when it was asked, and "responding" at the answer', async () => {
    let answer: (() => void) | null = null;
    const probe = vi.fn(() => new Promise<void>((resolve) => (answer = resolve)));
    const changes: [boolean, number | null][] = [];
    const started = Date.now();
    const stop = watchResponses(probe, (responding, since) => changes.push([responding, since]), TIMING);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([[false, started + 5_000]]);
    // No second question while the first is out: a hung body is not sent a pile of them.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(probe).toHaveBeenCalledTimes(1);
    answer!();
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([
      [false, started + 5_000],
      [true, null],
    ]);
    stop();
  });

  it('counts an error answer as an answer (the body is alive), and stops asking once stopped', async () => {
    const probe = vi.fn(() => Promise.reject(new Error('E_INTERNAL')));
    const changes: unknown[] = [];
    const stop = watchResponses(probe, (...args) => changes.push(args), TIMING);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(changes).toEqual([]);
    const asked = probe.mock.calls.length;
    stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(probe.mock.calls.length).toBe(asked);
  });
});
