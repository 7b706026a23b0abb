import { useId, type FormEvent } from 'react';
import { LEDGER_KINDS, type LedgerKind } from '../../ledger/ledger-service';
import { kindLabel } from './ledger-format';
import { NO_FILTER, type FilterInputs } from './use-ledger-timeline';

/**
 * The timeline's filters: kinds (none ticked = all), operator, date range and subject pseudonym.
 * Each applies as soon as it changes; there is no submit button.
 */
export function LedgerFilters({
  inputs,
  onChange,
  operators,
}: {
  inputs: FilterInputs;
  onChange: (update: (inputs: FilterInputs) => FilterInputs) => void;
  /** Operator ids and names, sorted for the select. */
  operators: readonly { readonly id: string; readonly name: string }[];
}) {
  const operatorId = useId();
  const fromId = useId();
  const toId = useId();
  const subjectId = useId();
  const subjectHintId = useId();
  const rangeProblemId = useId();
  const kindsLegendId = useId();

  const toggleKind = (kind: LedgerKind, checked: boolean): void => {
    onChange((prev) => ({
      ...prev,
      // Kept in the schema's order, so the filter does not depend on the order of clicks.
      kinds: LEDGER_KINDS.filter((k) => (k === kind ? checked : prev.kinds.includes(k))),
    }));
  };
  const rangeReversed = inputs.from !== '' && inputs.to !== '' && inputs.from > inputs.to;
  const anySet = inputs.kinds.length > 0 || inputs.operator !== '' || inputs.from !== '' || inputs.to !== '' || inputs.subject !== '';

  return (
    <form className="ledger-filters" aria-label="Filter entries" onSubmit={(event: FormEvent) => event.preventDefault()}>
      <fieldset className="ledger-filters__kinds" aria-labelledby={kindsLegendId}>
        <legend id={kindsLegendId} className="field__label">
          Kinds
        </legend>
        <div className="ledger-filters__kind-list">
          {LEDGER_KINDS.map((kind) => (
            <label key={kind} className="checkbox ledger-filters__kind">
              <input
                type="checkbox"
                value={kind}
                checked={inputs.kinds.includes(kind)}
                onChange={(event) => toggleKind(kind, event.target.checked)}
              />
              <span>{kindLabel(kind)}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="ledger-filters__row">
        <div className="field">
          <label htmlFor={operatorId} className="field__label">
            Operator
          </label>
          <select
            id={operatorId}
            className="input select"
            value={inputs.operator}
            onChange={(event) => {
              const operator = event.target.value;
              onChange((prev) => ({ ...prev, operator }));
            }}
          >
            <option value="">All operators</option>
            {operators.map((operator) => (
              <option key={operator.id} value={operator.id}>
                {operator.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={fromId} className="field__label">
            From
          </label>
          <input
            id={fromId}
            type="date"
            className="input ledger-filters__date"
            value={inputs.from}
            max={inputs.to === '' ? undefined : inputs.to}
            aria-invalid={rangeReversed || undefined}
            aria-describedby={rangeReversed ? rangeProblemId : undefined}
            onChange={(event) => {
              const from = event.target.value;
              onChange((prev) => ({ ...prev, from }));
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={toId} className="field__label">
            To
          </label>
          <input
            id={toId}
            type="date"
            className="input ledger-filters__date"
            value={inputs.to}
            min={inputs.from === '' ? undefined : inputs.from}
            aria-invalid={rangeReversed || undefined}
            aria-describedby={rangeReversed ? rangeProblemId : undefined}
            onChange={(event) => {
              const to = event.target.value;
              onChange((prev) => ({ ...prev, to }));
            }}
          />
        </div>
        <div className="field ledger-filters__subject">
          <label htmlFor={subjectId} className="field__label">
            Subject
          </label>
          <input
            id={subjectId}
            type="search"
            className="input ledger-filters__mono"
            value={inputs.subject}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={subjectHintId}
            onChange={(event) => {
              const subject = event.target.value;
              onChange((prev) => ({ ...prev, subject }));
            }}
          />
          <p id={subjectHintId} className="field__hint">
            A pseudonym as shown in an entry (0x3c6896…43e3) or its start (0x3c6896, 3c6896), or the start of a patient’s name (administrators, clinicians and auditors:
            names are looked up on this computer only).
          </p>
        </div>
      </div>
      {rangeReversed && (
        <p id={rangeProblemId} className="form-actions__reason">
          “From” is after “To”: no entry can match.
        </p>
      )}
      <div className="form-actions">
        {/* Always there (never disabled), so focus is not lost when it empties the filters. */}
        <button type="button" className="button button--small" onClick={() => onChange(() => NO_FILTER)}>
          Clear filters
        </button>
        {!anySet && <p className="form-actions__reason">Showing every kind, operator and date.</p>}
      </div>
    </form>
  );
}
