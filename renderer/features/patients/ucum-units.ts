import { ucumUnit } from '../../../shared/domain/unit-aliases';

/**
 * UCUM unit codes (what HL7 OBX-6 and the demo send) → how a clinician reads them. Only common
 * units are listed; any other code is shown as sent. The code itself stays available (the unit's
 * title, unitTitle) so nothing is lost in the translation.
 */
const UCUM_DISPLAY: Readonly<Record<string, string>> = {
  Cel: '°C',
  '[degF]': '°F',
  'mm[Hg]': 'mmHg',
  'cm[H2O]': 'cmH₂O',
  '/min': '/min',
  '{beats}/min': 'beats/min',
  '{breaths}/min': 'breaths/min',
  '%': '%',
  kg: 'kg',
  g: 'g',
  mg: 'mg',
  ug: 'µg',
  '[lb_av]': 'lb',
  '[in_i]': 'in',
  cm: 'cm',
  m: 'm',
  m2: 'm²',
  'kg/m2': 'kg/m²',
  L: 'L',
  mL: 'mL',
  'g/dL': 'g/dL',
  'g/L': 'g/L',
  'mg/dL': 'mg/dL',
  'mg/L': 'mg/L',
  'ug/L': 'µg/L',
  'ng/mL': 'ng/mL',
  'pg/mL': 'pg/mL',
  'mmol/L': 'mmol/L',
  'umol/L': 'µmol/L',
  'nmol/L': 'nmol/L',
  'pmol/L': 'pmol/L',
  'mmol/mol': 'mmol/mol',
  'meq/L': 'mEq/L',
  'mosm/kg': 'mOsm/kg',
  'U/L': 'U/L',
  '[IU]/L': 'IU/L',
  'm[IU]/L': 'mIU/L',
  'u[IU]/mL': 'µIU/mL',
  // pH is a plain number: "[pH]" is UCUM's way of saying so, not a unit anyone writes.
  '[pH]': '',
  '/uL': '/µL',
  '/mL': '/mL',
  '{cells}/uL': 'cells/µL',
  '10*3/uL': '×10³/µL',
  '10*6/uL': '×10⁶/µL',
  '10*9/L': '×10⁹/L',
  '10*12/L': '×10¹²/L',
  fL: 'fL',
  pg: 'pg',
  s: 's',
  min: 'min',
  h: 'h',
  d: 'days',
  wk: 'weeks',
  mo: 'months',
  a: 'years',
  'mL/min': 'mL/min',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  '{ratio}': 'ratio',
  '{INR}': 'INR',
};

/**
 * A unit as a clinician reads it: `Cel` → `°C`, `mm[Hg]` → `mmHg`; a common non-UCUM spelling as its
 * UCUM unit reads (`degC` → `°C`: unit-aliases.ts); unknown codes as sent.
 */
export function unitLabel(code: string | undefined): string {
  if (code === undefined) return '';
  return UCUM_DISPLAY[code] ?? UCUM_DISPLAY[ucumUnit(code)] ?? code;
}

/** The hover text of a unit: its UCUM code, when the label differs from it; a non-UCUM spelling says what was sent. */
export function unitTitle(code: string | undefined): string | undefined {
  if (code === undefined || code === '') return undefined;
  const ucum = ucumUnit(code);
  if (ucum !== code.trim()) return `Sent as ${code.trim()}; UCUM: ${ucum}`;
  return unitLabel(code) === code ? undefined : `UCUM: ${code}`;
}
