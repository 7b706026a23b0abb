import { useId } from 'react';

export interface Choice<V extends string> {
  readonly value: V;
  readonly label: string;
}

/**
 * A native radio group (so arrow keys, Space and Tab behave as every user expects), exposed as a
 * named radiogroup. The legend names it; `description` explains the choice without bloating labels.
 */
export function ChoiceGroup<V extends string>(props: {
  legend: string;
  name: string;
  choices: readonly Choice<V>[];
  value: V;
  description?: string;
  onChange: (value: V) => void;
}) {
  const legendId = useId();
  const descriptionId = useId();
  return (
    <fieldset
      className="choice-group"
      role="radiogroup"
      aria-labelledby={legendId}
      aria-describedby={props.description === undefined ? undefined : descriptionId}
    >
      <legend id={legendId} className="choice-group__legend">
        {props.legend}
      </legend>
      <div className="choice-group__options">
        {props.choices.map((choice) => (
          <label key={choice.value} className="choice">
            <input
              type="radio"
              name={props.name}
              value={choice.value}
              checked={props.value === choice.value}
              onChange={() => props.onChange(choice.value)}
            />
            <span>{choice.label}</span>
          </label>
        ))}
      </div>
      {props.description !== undefined && (
        <p id={descriptionId} className="choice-group__description">
          {props.description}
        </p>
      )}
    </fieldset>
  );
}
