/**
 * Whether the body still answers. A body that hangs (a stopped process, a disk that blocks its
 * thread, an endless loop) neither announces a stop nor drops the connection, so the window would
 * go on claiming "Vault unlocked" and "Listening" while sending systems get no ACK (issue 11,
 * Errors). The window asks the body a question that needs nothing but the body's event loop
 * (`app.info`) every `intervalMs`; once a question has gone unanswered for `timeoutMs` the body
 * counts as not responding, until any answer (an error is an answer too) comes back.
 */
export const RESPONSE_WATCH = { intervalMs: 5_000, timeoutMs: 10_000 } as const;

export interface ResponseWatchTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Starts watching; `onChange(false, since)` when the body stops answering (since: when the
 * unanswered question was asked, ms since the epoch), `onChange(true, null)` when it answers again.
 * Returns the function that stops the watch.
 */
export function watchResponses(
  probe: () => Promise<unknown>,
  onChange: (responding: boolean, silentSince: number | null) => void,
  timing: ResponseWatchTiming = RESPONSE_WATCH,
  now: () => number = Date.now,
): () => void {
  let stopped = false;
  let responding = true;
  // When the question still unanswered was asked; null when none is out.
  let askedAt: number | null = null;
  let lastAsked = now();

  const answered = (): void => {
    askedAt = null;
    if (stopped || responding) return;
    responding = true;
    onChange(true, null);
  };

  const tick = (): void => {
    if (stopped) return;
    const at = now();
    if (askedAt !== null) {
      if (responding && at - askedAt >= timing.timeoutMs) {
        responding = false;
        onChange(false, askedAt);
      }
      return;
    }
    if (at - lastAsked < timing.intervalMs) return;
    askedAt = at;
    lastAsked = at;
    probe().then(answered, answered);
  };

  // Checked every second (or faster for short intervals) so a silence is seen soon after its limit.
  const timer = setInterval(tick, Math.min(1_000, timing.intervalMs, timing.timeoutMs));
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
