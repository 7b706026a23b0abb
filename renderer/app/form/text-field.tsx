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
  ...input
}: InputProps & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ReactNode;
  describedBy?: string;
  className?: string;
}) {
  const id = useId();
  const hintId = useId();
  const described = [hint === undefined ? null : hintId, describedBy ?? null].filter((x) => x !== null).join(' ');
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
        onChange={(event: ChangeEvent<HTMLInputElement>) => onValue(event.target.value)}
      />
      {hint !== undefined && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A password input that browsers and password managers treat as such; never spell-checked. */
export function SecretField(props: Omit<Parameters<typeof TextField>[0], 'type'> & { autoComplete: 'current-password' | 'new-password' | 'off' }) {
  return <TextField {...props} type="password" spellCheck={false} autoCapitalize="off" autoCorrect="off" />;
}
