import { useId } from 'react';
import type { OperatorSummary } from '../../vault/vault-service';
import { roleLabel } from '../../app/layout/app-header';

/**
 * The staff member who is unlocking: their own passphrase opens their own key slot. With nobody
 * chosen (`value` ''), a placeholder that cannot be picked asks for a choice: a guessed operator
 * would take the failed unlocks, and the delays after them, of someone else's passphrase.
 */
export function OperatorPicker({
  operators,
  value,
  onChange,
  autoFocus = false,
}: {
  operators: readonly OperatorSummary[];
  value: string;
  onChange: (operatorId: string) => void;
  autoFocus?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        Operator
      </label>
      <select id={id} className="input select" value={value} onChange={(event) => onChange(event.target.value)} autoFocus={autoFocus}>
        {value === '' && (
          <option value="" disabled>
            Choose an operator…
          </option>
        )}
        {operators.map((operator) => (
          <option key={operator.operatorId} value={operator.operatorId}>
            {operator.name} ({roleLabel(operator.role)})
          </option>
        ))}
      </select>
    </div>
  );
}
