import { useEffect, useState } from 'react';

type Feedback = { readonly kind: 'copied' | 'failed'; readonly text: string } | null;

const FEEDBACK_MS = 4000;

/** Copies a path for IT (backups, support tickets) and says whether that worked. */
export function CopyPathButton({ path, label }: { path: string; label: string }) {
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
      await navigator.clipboard.writeText(path);
      setFeedback({ kind: 'copied', text: 'Copied' });
    } catch {
      setFeedback({
        kind: 'failed',
        text: 'Could not copy: this window may not use the clipboard. Select the path and copy it by hand.',
      });
    }
  };

  return (
    <div className="copy-action">
      <button type="button" className="button" onClick={() => void copy()}>
        {label}
      </button>
      {/* Always rendered, so screen readers announce the text when it appears. */}
      <span role="status" className={`copy-action__feedback copy-action__feedback--${feedback?.kind ?? 'none'}`}>
        {feedback?.text}
      </span>
    </div>
  );
}
