import { describe, expect, it } from 'vitest';
import { convertUnit } from '../../../shared/domain/device-readings';
import { sameUcumUnit, ucumUnit } from '../../../shared/domain/unit-aliases';

describe('common non-UCUM unit spellings read as their UCUM unit (tester T1 D4)', () => {
  it.each([
    ['mmHg', 'mm[Hg]'],
    ['mm Hg', 'mm[Hg]'],
    ['MMHG', 'mm[Hg]'],
    ['°C', 'Cel'],
    ['degC', 'Cel'],
    ['deg C', 'Cel'],
    ['℃', 'Cel'],
    ['°F', '[degF]'],
    ['degF', '[degF]'],
    ['bpm', '/min'],
    ['beats/min', '/min'],
    ['{beats}/min', '/min'],
    ['1/min', '/min'],
    ['%', '%'],
    ['percent', '%'],
    ['mg/dl', 'mg/dL'],
    ['mmol/l', 'mmol/L'],
    ['µmol/L', 'umol/L'],
    ['μg/L', 'ug/L'],
    ['mcg/L', 'ug/L'],
    ['mEq/L', 'meq/L'],
    ['IU/L', '[IU]/L'],
    ['mIU/L', 'm[IU]/L'],
    ['10^9/L', '10*9/L'],
    ['lb', '[lb_av]'],
    ['lbs', '[lb_av]'],
    ['kg/m²', 'kg/m2'],
    ['kpa', 'kPa'],
    [' mm[Hg] ', 'mm[Hg]'],
  ])('%s reads as %s', (sent, ucum) => {
    expect(ucumUnit(sent)).toBe(ucum);
  });

  it('keeps a UCUM code and any unit it does not know as sent (no case folding beyond the table: Mg is not mg)', () => {
    for (const code of ['mm[Hg]', 'Cel', '/min', 'mg/dL', 'mmol/mol', 'kg', 'Mg', 'C', 'F', '{INR}', 'mL/min/{1.73_m2}', '']) expect(ucumUnit(code)).toBe(code.trim());
  });

  it('compares units by what they are: mmHg is mm[Hg], °C is Cel, bpm is /min; mg/dL is not mmol/L', () => {
    expect(sameUcumUnit('mmHg', 'mm[Hg]')).toBe(true);
    expect(sameUcumUnit('°C', 'Cel')).toBe(true);
    expect(sameUcumUnit('bpm', '/min')).toBe(true);
    expect(sameUcumUnit('mg/dl', 'mg/dL')).toBe(true);
    expect(sameUcumUnit('mg/dL', 'mmol/L')).toBe(false);
    expect(sameUcumUnit('kPa', 'mm[Hg]')).toBe(false);
  });

  it('the devices\' conversions take the aliases: 168 mmHg is 168 mm[Hg], 16 kPa into mmHg, 98.6 °F into °C', () => {
    expect(convertUnit(168, 'mmHg', 'mm[Hg]', 'systolic')).toBe(168);
    expect(convertUnit(16, 'kPa', 'mmHg', 'systolic')).toBeCloseTo(120.01, 2);
    expect(convertUnit(98.6, '°F', 'Cel', 'temperature')).toBeCloseTo(37, 6);
    expect(convertUnit(72, 'bpm', '/min', 'pulse')).toBe(72);
    expect(convertUnit(5.5, 'mmol/l', 'mg/dL', 'glucose')).toBeCloseTo(99.088, 3);
    expect(convertUnit(1, 'mmol/mol', 'mm[Hg]', 'systolic')).toBeUndefined();
  });
});
