import type { Observation } from '../../../shared/domain/clinical';
import { FormattedText } from './formatted-text';
import { observationParts, repeatedValuesNote } from './record-format';
import { unitLabel, unitTitle } from './ucum-units';

/** A unit as a clinician reads it (°C for `Cel`), with its UCUM code on hover when they differ. */
export function UnitMark({ code }: { code: string }) {
  if (code === '') return null;
  const title = unitTitle(code);
  return title === undefined ? <span className="unit">{unitLabel(code)}</span> : <abbr className="unit" title={title}>{unitLabel(code)}</abbr>;
}

/** An observation's value with its readable unit (and, when the lab sent several values, a note saying so). */
export function ObservationValue({ record }: { record: Observation }) {
  const { amount, unit } = observationParts(record);
  const note = repeatedValuesNote(record);
  return (
    <>
      {record.value.kind === 'text' && record.valueDetail === undefined ? <FormattedText text={amount} /> : amount}
      {unit === '' ? null : ' '}
      <UnitMark code={unit} />
      {note === null ? null : <span className="observation-value__note"> {note}</span>}
    </>
  );
}
