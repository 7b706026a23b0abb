import { useEffect, useState } from 'react';

type Feedback = { readonly kind: 'copied' | 'failed'; readonly text: string } | null;

const FEEDBACK_MS = 4000;

/**
 * Copies one value (a hash, a signature, the node id) and says whether that worked. `label` is the
 * visible text; `name`, when given, is the accessible name that says what is copied ("Copy entry
 * hash") where several Copy buttons share a page.
 */
export function CopyValueButton({ value, label = 'Copy', name }: { value: string; label?: string; name?: string }) {
  const [feedback, setFeedback] = useState<Feedback>(null);

  useEffect(() => {
    if (feedback?.kind !== 'copied') return;
    const timer = setTimeout(() => setFeedback(null), FEEDBACK_MS);
    return () => clearTimeout(timer);
  }, [feedback]);

  const copy = async (): Promise<void> => {
    try {
      // navigator.clipboard is missing outside secure contexts; treat that like a refusal.
      if (navigator.clipboard === undefined) throw new Error('no clipboard');
      await navigator.clipboard.writeText(value);
      setFeedback({ kind: 'copied', text: 'Copied' });
    } catch {
      setFeedback({ kind: 'failed', text: 'Could not copy: select the value and copy it by hand.' });
    }
  };

  return (
    <span className="copy-value">
      <button type="button" className="button button--small" aria-label={name} onClick={() => void copy()}>
        {label}
      </button>
      {/* Always rendered, so screen readers announce the text when it appears. */}
      <span role="status" className={`copy-action__feedback copy-action__feedback--${feedback?.kind ?? 'none'}`}>
        {feedback?.text}
      </span>
    </span>
  );
}
