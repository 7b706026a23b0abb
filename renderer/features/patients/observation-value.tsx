import type { Observation } from '../../../shared/domain/clinical';
import { FormattedText } from './formatted-text';
import { notNumberNote, observationParts, repeatedValuesNote } from './record-format';
import { unitLabel, unitTitle } from './ucum-units';

/** A unit as a clinician reads it (°C for `Cel`), with its UCUM code on hover when they differ. */
export function UnitMark({ code }: { code: string }) {
  if (code === '') return null;
  const title = unitTitle(code);
  return title === undefined ? <span className="unit">{unitLabel(code)}</span> : <abbr className="unit" title={title}>{unitLabel(code)}</abbr>;
}

/**
 * An observation's value with its readable unit (and, when the lab sent several values, a note
 * saying so; when it sent text under a numeric type, the flag "not a number: sent as NM").
 */
export function ObservationValue({ record }: { record: Observation }) {
  const { amount, unit } = observationParts(record);
  const note = repeatedValuesNote(record);
  const flag = notNumberNote(record);
  return (
    <>
      {record.value.kind === 'text' && record.valueDetail === undefined ? <FormattedText text={amount} /> : amount}
      {unit === '' ? null : ' '}
      <UnitMark code={unit} />
      {note === null ? null : <span className="observation-value__note"> {note}</span>}
      {flag === null ? null : (
        <span className="observation-value__note observation-value__note--not-number" title="The message's OBX-2 says this is a number, but the value sent is not one: it is shown as sent and never charted.">
          {' '}
          {flag}
        </span>
      )}
    </>
  );
}
