/**
 * Runs `run` at most once per `intervalMs` however often `signal()` is called: at once when it has
 * not run for that long, else once at the end of the interval (so the last signal is never lost).
 * For change signals that come in bursts (a busy ingest signs entries many times a second).
 */
export function coalesce(run: () => void, intervalMs: number): { signal: () => void; cancel: () => void } {
  let lastRun = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = (): void => {
    timer = null;
    lastRun = Date.now();
    run();
  };
  return {
    signal() {
      if (timer !== null) return;
      const wait = lastRun + intervalMs - Date.now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
