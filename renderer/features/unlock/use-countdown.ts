import { useCallback, useEffect, useState } from 'react';

/**
 * A wait the user must sit out (the vault's growing delay after wrong passphrases): `start(ms)`
 * begins it, `secondsLeft` ticks down to 0.
 */
export function useCountdown(): { secondsLeft: number; start: (ms: number) => void } {
  const [clock, setClock] = useState<{ until: number; now: number } | null>(null);
  const until = clock?.until ?? null;

  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => {
      const now = Date.now();
      setClock({ until, now });
      if (now >= until) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [until]);

  const start = useCallback((ms: number) => {
    const now = Date.now();
    setClock({ until: now + ms, now });
  }, []);

  const secondsLeft = clock === null ? 0 : Math.max(0, Math.ceil((clock.until - clock.now) / 1000));
  return { secondsLeft, start };
}
