import type { Observation } from '../../../shared/domain/clinical';
import { FormattedText } from './formatted-text';
import { observationParts } from './record-format';
import { unitLabel, unitTitle } from './ucum-units';

/** A unit as a clinician reads it (°C for `Cel`), with its UCUM code on hover when they differ. */
export function UnitMark({ code }: { code: string }) {
  if (code === '') return null;
  const title = unitTitle(code);
  return title === undefined ? <span className="unit">{unitLabel(code)}</span> : <abbr className="unit" title={title}>{unitLabel(code)}</abbr>;
}

/** An observation's value with its readable unit. */
export function ObservationValue({ record }: { record: Observation }) {
  const { amount, unit } = observationParts(record);
  return (
    <>
      {record.value.kind === 'text' && record.valueDetail === undefined ? <FormattedText text={amount} /> : amount}
      {unit === '' ? null : ' '}
      <UnitMark code={unit} />
    </>
  );
}
