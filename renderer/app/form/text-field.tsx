import { useId, type ChangeEvent, type InputHTMLAttributes, type ReactNode } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id' | 'className'>;

/**
 * A labelled input with an optional hint under it (linked by aria-describedby, together with any
 * `describedBy` ids the caller adds, such as a strength meter).
 */
export function TextField({
  label,
  value,
  onValue,
  hint,
  describedBy,
  className,
  problem,
  ...input
}: InputProps & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ReactNode;
  describedBy?: string;
  className?: string;
  /** What is wrong with the value, with the field's label (field-problems.ts); shown under it and announced. */
  problem?: string | null;
}) {
  const id = useId();
  const hintId = useId();
  const problemId = useId();
  const hasProblem = problem !== undefined && problem !== null;
  const described = [hint === undefined ? null : hintId, hasProblem ? problemId : null, describedBy ?? null].filter((x) => x !== null).join(' ');
  return (
    <div className={className === undefined ? 'field' : `field ${className}`}>
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      <input
        {...input}
        id={id}
        className="input"
        value={value}
        aria-describedby={described === '' ? undefined : described}
        aria-invalid={hasProblem || undefined}
        onChange={(event: ChangeEvent<HTMLInputElement>) => onValue(event.target.value)}
      />
      {hint !== undefined && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {hasProblem && <FieldProblemText id={problemId} text={problem} />}
    </div>
  );
}

/** A field's problem under it: read out with the field (aria-describedby) and announced when it appears. */
export function FieldProblemText({ id, text }: { id?: string; text: string }) {
  return (
    <p id={id} className="field__problem" role="alert">
      {text}
    </p>
  );
}

/** A password input that browsers and password managers treat as such; never spell-checked. */
export function SecretField(props: Omit<Parameters<typeof TextField>[0], 'type'> & { autoComplete: 'current-password' | 'new-password' | 'off' }) {
  return <TextField {...props} type="password" spellCheck={false} autoCapitalize="off" autoCorrect="off" />;
}
