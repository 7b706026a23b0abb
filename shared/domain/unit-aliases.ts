/**
 * Units as senders write them → the UCUM code they mean (tester T1 D4: a lab's blood pressures
 * came as `mmHg`, not UCUM `mm[Hg]`, and every place that compared unit strings left them out).
 * One table, used wherever units are compared: the devices' conversions (convertUnit), the results
 * trend and flowsheet (unit-conversion.ts), the vitals chart, and the labels units are shown with.
 *
 * Only spellings with one sure meaning are listed; anything else is kept as sent (trimmed) and
 * compared as it is. UCUM is case-sensitive (`Mg` is megagram), so case is folded only for the
 * spellings in the table, never in general. Isomorphic: no Node, no DOM.
 */

/** Spelling (lower case, spaces removed) → UCUM code. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  // Pressure.
  ['mmhg', 'mm[Hg]'],
  ['mm(hg)', 'mm[Hg]'],
  ['mm[hg]', 'mm[Hg]'],
  ['kpa', 'kPa'],
  ['cmh2o', 'cm[H2O]'],
  ['cmh₂o', 'cm[H2O]'],
  // Temperature.
  ['°c', 'Cel'],
  ['ºc', 'Cel'],
  ['℃', 'Cel'],
  ['degc', 'Cel'],
  ['cel', 'Cel'],
  ['celsius', 'Cel'],
  ['°f', '[degF]'],
  ['ºf', '[degF]'],
  ['℉', '[degF]'],
  ['degf', '[degF]'],
  ['[degf]', '[degF]'],
  ['fahrenheit', '[degF]'],
  // Rates: UCUM annotations ({beats}) do not change the unit, so a heart rate in beats/min is /min.
  ['bpm', '/min'],
  ['beats/min', '/min'],
  ['beat/min', '/min'],
  ['{beats}/min', '/min'],
  ['{beat}/min', '/min'],
  ['1/min', '/min'],
  ['min-1', '/min'],
  ['/min', '/min'],
  ['breaths/min', '/min'],
  ['{breaths}/min', '/min'],
  ['{breath}/min', '/min'],
  // Fractions.
  ['%', '%'],
  ['percent', '%'],
  ['pct', '%'],
  // Mass and length.
  ['kg', 'kg'],
  ['kgs', 'kg'],
  ['lb', '[lb_av]'],
  ['lbs', '[lb_av]'],
  ['[lb_av]', '[lb_av]'],
  ['in', '[in_i]'],
  ['inch', '[in_i]'],
  ['[in_i]', '[in_i]'],
  ['cm', 'cm'],
  ['ml', 'mL'],
  ['kg/m²', 'kg/m2'],
  ['kg/m^2', 'kg/m2'],
  // Laboratory units written the customary way.
  ['meq/l', 'meq/L'],
  ['mosm/kg', 'mosm/kg'],
  ['iu/l', '[IU]/L'],
  ['miu/l', 'm[IU]/L'],
  ['miu/ml', 'm[IU]/mL'],
  ['uiu/ml', 'u[IU]/mL'],
  ['µiu/ml', 'u[IU]/mL'],
  ['μiu/ml', 'u[IU]/mL'],
]);

/**
 * The UCUM code a unit as sent means: `mmHg` → `mm[Hg]`, `°C`/`degC` → `Cel`, `bpm` → `/min`,
 * `mg/dl` → `mg/dL` (UCUM's litre is `l` or `L`), `µmol/L` → `umol/L`, `mcg/L` → `ug/L`,
 * `10^9/L` → `10*9/L`. Anything else as sent, trimmed.
 */
export function ucumUnit(unit: string): string {
  const sent = unit.trim();
  const alias = ALIASES.get(sent.toLowerCase().replace(/\s+/g, ''));
  if (alias !== undefined) return alias;
  return (
    sent
      // The micro sign and Greek mu are UCUM's `u`; `mcg` is `ug`.
      .replace(/[µμ]/g, 'u')
      .replace(/^mcg(?=\/|$)/, 'ug')
      // A power of ten written with a caret.
      .replace(/^10\^(\d+)/, '10*$1')
      // The litre of a concentration: `mg/dl` is `mg/dL`, `mmol/l` is `mmol/L`.
      .replace(/\/(d|c|m|u|n)?l$/, (_match, prefix: string | undefined) => `/${prefix ?? ''}L`)
  );
}

/** Whether two units as sent are one unit (`mmHg` and `mm[Hg]`): a value in one is the value in the other. */
export function sameUcumUnit(a: string, b: string): boolean {
  return ucumUnit(a) === ucumUnit(b);
}
