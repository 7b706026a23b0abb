import { useId } from 'react';
import type { OperatorSummary } from '../../vault/vault-service';
import { roleLabel } from '../../app/layout/app-header';

/** The staff member who is unlocking: their own passphrase opens their own key slot. */
export function OperatorPicker({
  operators,
  value,
  onChange,
}: {
  operators: readonly OperatorSummary[];
  value: string;
  onChange: (operatorId: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        Operator
      </label>
      <select id={id} className="input select" value={value} onChange={(event) => onChange(event.target.value)}>
        {operators.map((operator) => (
          <option key={operator.operatorId} value={operator.operatorId}>
            {operator.name} ({roleLabel(operator.role)})
          </option>
        ))}
      </select>
    </div>
  );
}
