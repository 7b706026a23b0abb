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
  showProblem = true,
}: {
  label: string;
  problem: string | null;
  busy: boolean;
  busyText?: string;
  children?: ReactNode;
  danger?: boolean;
  /** False when an alert beside the form says it already (the button stays disabled, without a second line). */
  showProblem?: boolean;
}) {
  const reasonId = useId();
  const reason = showProblem ? problem : null;
  return (
    <div className="form-actions">
      <button
        type="submit"
        className={danger ? 'button button--danger' : 'button button--primary'}
        disabled={problem !== null || busy}
        aria-describedby={reason === null ? undefined : reasonId}
        aria-busy={busy || undefined}
      >
        {label}
      </button>
      {children}
      {reason !== null && !busy && (
        <p id={reasonId} className="form-actions__reason">
          {reason}
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
