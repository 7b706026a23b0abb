import { useEffect, useState } from 'react';

type Feedback = { readonly kind: 'copied' | 'failed'; readonly text: string } | null;

const FEEDBACK_MS = 4000;

/**
 * The two looks of a Copy button: 'value' sits inline next to a hash, a signature or a node id (a
 * small button); 'path' stands on its own line below a file path for IT (backups, support tickets)
 * or the recovery key.
 */
const VARIANTS = {
  value: {
    Wrapper: 'span',
    wrapperClass: 'copy-value',
    buttonClass: 'button button--small',
    failed: 'Could not copy: select the value and copy it by hand.',
  },
  path: {
    Wrapper: 'div',
    wrapperClass: 'copy-action',
    buttonClass: 'button',
    failed: 'Could not copy: this window may not use the clipboard. Select the path and copy it by hand.',
  },
} as const;

export type CopyButtonVariant = keyof typeof VARIANTS;

/**
 * Copies one value to the clipboard and says whether that worked. `label` is the visible text;
 * `name`, when given, is the accessible name that says what is copied ("Copy entry hash") where
 * several Copy buttons share a page.
 */
export function CopyButton({
  value,
  label = 'Copy',
  name,
  variant = 'value',
}: {
  value: string;
  label?: string;
  name?: string;
  variant?: CopyButtonVariant;
}) {
  const [feedback, setFeedback] = useState<Feedback>(null);
  const { Wrapper, wrapperClass, buttonClass, failed } = VARIANTS[variant];

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
      setFeedback({ kind: 'failed', text: failed });
    }
  };

  return (
    <Wrapper className={wrapperClass}>
      <button type="button" className={buttonClass} aria-label={name} onClick={() => void copy()}>
        {label}
      </button>
      {/* Always rendered, so screen readers announce the text when it appears. */}
      <span role="status" className={`copy-action__feedback copy-action__feedback--${feedback?.kind ?? 'none'}`}>
        {feedback?.text}
      </span>
    </Wrapper>
  );
}
