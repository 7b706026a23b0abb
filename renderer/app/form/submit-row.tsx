import { useId, type ReactNode } from 'react';

/**
 * A form's submit button, disabled with the reason shown next to it while the form cannot be sent
 * (the reason is also the button's description), and marked busy while the action runs.
 */
export function SubmitRow({
  label,
  problem,
  busy,
  busyText,
  children,
  danger = false,
}: {
  label: string;
  problem: string | null;
  busy: boolean;
  busyText?: string;
  children?: ReactNode;
  danger?: boolean;
}) {
  const reasonId = useId();
  return (
    <div className="form-actions">
      <button
        type="submit"
        className={danger ? 'button button--danger' : 'button button--primary'}
        disabled={problem !== null || busy}
        aria-describedby={problem === null ? undefined : reasonId}
        aria-busy={busy || undefined}
      >
        {label}
      </button>
      {children}
      {problem !== null && !busy && (
        <p id={reasonId} className="form-actions__reason">
          {problem}
        </p>
      )}
      {busy && busyText !== undefined && (
        <p role="status" className="form-actions__reason">
          {busyText}
        </p>
      )}
    </div>
  );
}
