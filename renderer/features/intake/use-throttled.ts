import { useCallback, useEffect, useRef } from 'react';

/**
 * How often a burst of body events (`journal.appended` comes up to ten times a second while
 * messages arrive) may reload and re-render an intake view: the monitor's counters and tables,
 * the quarantine. A person watching the monitor reads it at this pace; re-rendering a 200-row
 * table ten times a second only costs the main thread (design §8: no task over 100 ms).
 */
export const INTAKE_REFRESH_MS = 1000;

/**
 * A trigger that runs `run` at most once per `intervalMs`: the first call of a quiet period runs at
 * once; calls within the interval after a run are folded into one trailing run at the end of the
 * interval, so the last event of a burst is never lost. Nothing runs after unmount.
 */
export function useThrottled(run: () => void, intervalMs = INTAKE_REFRESH_MS): () => void {
  const latest = useRef(run);
  const lastRun = useRef(Number.NEGATIVE_INFINITY);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const mounted = useRef(true);

  useEffect(() => {
    latest.current = run;
  });

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, []);

  return useCallback(() => {
    if (!mounted.current || timer.current !== null) return;
    const fire = (): void => {
      timer.current = null;
      if (!mounted.current) return;
      lastRun.current = performance.now();
      latest.current();
    };
    const wait = lastRun.current + intervalMs - performance.now();
    if (wait <= 0) fire();
    else timer.current = setTimeout(fire, wait);
  }, [intervalMs]);
}
