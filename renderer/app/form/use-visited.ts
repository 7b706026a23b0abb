import { useCallback, useState } from 'react';

/**
 * The fields of a form a person has left (blur), and whether they tried to send it. A form that
 * starts empty does not greet them with a problem under every field, nor next to its button; a
 * field they left shows what is wrong with it, and trying to send the form shows every field's
 * problem and the reason next to the button (which it disables). `reset` after the form was sent.
 */
export function useVisited<K extends string>(): {
  readonly visit: (field: K) => void;
  readonly shown: (field: K, problem: string | null) => string | null;
  /** The first of these problems a person should see now (for the submit row), in the order given. */
  readonly revealed: (problems: Readonly<Partial<Record<K, string | null>>>) => string | null;
  /** The person tried to send the form while a field has a problem: show them all. */
  readonly attempt: () => void;
  readonly reset: () => void;
} {
  const [visited, setVisited] = useState<ReadonlySet<K>>(() => new Set());
  const [attempted, setAttempted] = useState(false);
  const visit = useCallback((field: K) => setVisited((previous) => (previous.has(field) ? previous : new Set([...previous, field]))), []);
  const attempt = useCallback(() => setAttempted(true), []);
  const reset = useCallback(() => {
    setVisited(new Set());
    setAttempted(false);
  }, []);
  const shown = (field: K, problem: string | null): string | null => (attempted || visited.has(field) ? problem : null);
  const revealed = (problems: Readonly<Partial<Record<K, string | null>>>): string | null => {
    // Next to the button (which it disables) only once they tried to send: a field they left shows
    // its own problem, and the button stays there to show them every field's (QA2-11 Q4).
    if (!attempted) return null;
    for (const [field, problem] of Object.entries(problems) as [K, string | null | undefined][]) {
      const seen = shown(field, problem ?? null);
      if (seen !== null) return seen;
    }
    return null;
  };
  return { visit, shown, revealed, attempt, reset };
}
