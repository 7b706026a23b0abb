import { useCallback, useState } from 'react';

/**
 * The fields of a form a person has left (blur). A form that starts empty does not greet them
 * with a problem under every field; a field they left shows what is wrong with it (the submit row
 * says what is still missing meanwhile). `reset` after the form was sent.
 */
export function useVisited<K extends string>(): {
  readonly visit: (field: K) => void;
  readonly shown: (field: K, problem: string | null) => string | null;
  readonly reset: () => void;
} {
  const [visited, setVisited] = useState<ReadonlySet<K>>(() => new Set());
  const visit = useCallback((field: K) => setVisited((previous) => (previous.has(field) ? previous : new Set([...previous, field]))), []);
  const reset = useCallback(() => setVisited(new Set()), []);
  const shown = (field: K, problem: string | null): string | null => (visited.has(field) ? problem : null);
  return { visit, shown, reset };
}
