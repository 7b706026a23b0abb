import { describe, expect, it } from 'vitest';
import { chooseUnit, convertCertain, needsMolarMass, sameUnit } from '../../../../renderer/features/patients/unit-conversion';

describe('certain unit conversions for result trends (issue 11)', () => {
  it('converts within one dimension by its fixed factor', () => {
    expect(convertCertain(190, 'mg/dL', 'g/L', 'other')).toBeCloseTo(1.9, 10);
    expect(convertCertain(1.9, 'g/L', 'mg/dL', 'other')).toBeCloseTo(190, 10);
    expect(convertCertain(12, 'ug/mL', 'mg/L', 'other')).toBeCloseTo(12, 10);
    expect(convertCertain(0.09, 'mmol/L', 'umol/L', 'other')).toBeCloseTo(90, 10);
    expect(convertCertain(40, 'U/L', 'mU/mL', 'other')).toBeCloseTo(40, 10);
    expect(convertCertain(16, 'kPa', 'mm[Hg]', 'other')).toBeCloseTo(120.01, 2);
  });

  it('never converts mass into substance concentration without the molar mass (cholesterol), but does for glucose', () => {
    expect(convertCertain(5.2, 'mmol/L', 'mg/dL', 'other')).toBeUndefined();
    expect(convertCertain(190, 'mg/dL', 'mmol/L', 'other')).toBeUndefined();
    expect(needsMolarMass('mg/dL', 'mmol/L')).toBe(true);
    expect(needsMolarMass('mg/dL', 'g/L')).toBe(false);
    expect(convertCertain(5.5, 'mmol/L', 'mg/dL', 'glucose')).toBeCloseTo(99.088, 3);
    expect(convertCertain(1.9, 'g/L', 'mmol/L', 'glucose')).toBeCloseTo(10.546, 3);
    expect(convertCertain(5, 'U/L', 'mmol/L', 'glucose')).toBeUndefined();
  });

  it('reads the litre as l or L, and no other capital prefix (UCUM M is mega)', () => {
    expect(sameUnit('mmol/l', 'mmol/L')).toBe(true);
    expect(sameUnit('mg/dL', 'g/L')).toBe(false);
    expect(convertCertain(5, 'MMOL/L', 'mmol/L', 'other')).toBeUndefined();
  });

  it('chooses the family most results carry, then its most frequent unit; ties go to the most recent', () => {
    expect(chooseUnit(['mmol/L', 'mmol/L', 'mmol/L', 'mg/dL', 'mg/dL'], 'other')).toEqual({ unit: 'mmol/L', family: ['mmol/L'] });
    expect(chooseUnit(['mg/dL', 'mmol/L', 'g/L', 'g/L', 'mmol/L'], 'other')).toEqual({ unit: 'g/L', family: ['mg/dL', 'g/L'] });
    expect(chooseUnit(['mmol/L', 'mg/dL'], 'other').unit).toBe('mg/dL');
    expect(chooseUnit(['mmol/L', 'mmol/L', 'mg/dL'], 'other', 'mg/dL').unit).toBe('mg/dL');
    expect(chooseUnit([], 'other')).toEqual({ unit: '', family: [] });
  });

  it('T1 D4: a common non-UCUM spelling is its UCUM unit (mmHg is mm[Hg], °C is Cel, bpm is /min): one family, no conversion', () => {
    expect(sameUnit('mmHg', 'mm[Hg]')).toBe(true);
    expect(sameUnit('°C', 'Cel')).toBe(true);
    expect(sameUnit('bpm', '/min')).toBe(true);
    expect(convertCertain(168, 'mmHg', 'mm[Hg]', 'other')).toBe(168);
    expect(convertCertain(16, 'kPa', 'mmHg', 'other')).toBeCloseTo(120.01, 2);
    const units = [...Array<string>(8).fill('mmHg'), ...Array<string>(9).fill('mm[Hg]')];
    expect(chooseUnit(units, 'other')).toEqual({ unit: 'mm[Hg]', family: ['mm[Hg]'] });
    expect(chooseUnit(['mmHg', 'mm[Hg]', 'mmol/L'], 'other', 'mmHg')).toEqual({ unit: 'mm[Hg]', family: ['mm[Hg]'] });
  });
});
