import { describe, expect, it } from 'vitest';
import { assessReading, convertedForDisplay, convertUnit, GLUCOSE_DECIMALS, GLUCOSE_MG_DL_PER_MMOL_L } from '../../../shared/domain/device-readings';
import { DeviceIntakeMetaSchema } from '../../../shared/journal/device-meta';

const at = new Date('2026-11-21T08:52:35Z');
const base = { deviceTime: at, deviceTimeInvalid: false, receivedAt: at, duplicate: false };

describe('device reading quality', () => {
  it('converts kPa → mmHg, lb → kg, °F → °C, mmol/L ↔ mg/dL (glucose only), and nothing it does not know', () => {
    expect(convertUnit(16, 'kPa', 'mm[Hg]', 'systolic')).toBeCloseTo(120.01, 2);
    expect(convertUnit(150, '[lb_av]', 'kg', 'weight')).toBeCloseTo(68.039, 3);
    expect(convertUnit(98.6, '[degF]', 'Cel', 'temperature')).toBeCloseTo(37, 6);
    expect(convertUnit(5.5, 'mmol/L', 'mg/dL', 'glucose')).toBeCloseTo(5.5 * GLUCOSE_MG_DL_PER_MMOL_L, 6);
    expect(convertUnit(99, 'mg/dL', 'mmol/L', 'glucose')).toBeCloseTo(5.495, 3);
    expect(convertUnit(5.5, 'mmol/L', 'mg/dL', 'other')).toBeUndefined();
    expect(convertUnit(1, 'kg', 'mm[Hg]', 'weight')).toBeUndefined();
  });

  it('shows a converted value at the precision its unit is read at: glucose mg/dL whole, mmol/L one decimal; others no finer than what was reported', () => {
    expect(GLUCOSE_DECIMALS).toEqual({ 'mg/dL': 0, 'mmol/L': 1 });
    // 5.5 mmol/L is 99.088 mg/dL by the factor: shown 99 (QA: "99.099 mg/dL"), not three decimals.
    expect(convertedForDisplay(convertUnit(5.5, 'mmol/L', 'mg/dL', 'glucose')!, 'mg/dL', 'glucose', 5.5)).toBe(99);
    expect(convertedForDisplay(99.6, 'mg/dL', 'glucose', 5.53)).toBe(100);
    expect(convertedForDisplay(convertUnit(99, 'mg/dL', 'mmol/L', 'glucose')!, 'mmol/L', 'glucose', 99)).toBe(5.5);
    expect(convertedForDisplay(convertUnit(180, 'mg/dL', 'mmol/L', 'glucose')!, 'mmol/L', 'glucose', 180)).toBe(10);
    // Not glucose: the digits the reported value carried, at least three (16 kPa is 120 mmHg, not 120.0099).
    expect(convertedForDisplay(convertUnit(16, 'kPa', 'mm[Hg]', 'systolic')!, 'mm[Hg]', 'systolic', 16)).toBe(120);
    expect(convertedForDisplay(convertUnit(82, '[lb_av]', 'kg', 'weight')!, 'kg', 'weight', 82)).toBe(37.2);
    expect(convertedForDisplay(convertUnit(101.34, '[degF]', 'Cel', 'temperature')!, 'Cel', 'temperature', 101.34)).toBe(38.522);
  });

  it('a plausible reading in its canonical unit scores 1', () => {
    expect(assessReading({ ...base, code: 0x4a05, value: 120, unit: 'mm[Hg]' })).toEqual({ kind: 'systolic', normalizedValue: 120, normalizedUnit: 'mm[Hg]', flags: [], quality: 1 });
  });

  it.each([
    [0x4a05, 49, 'mm[Hg]'],
    [0x4a05, 261, 'mm[Hg]'],
    [0x4bb8, 49, '%'],
    [0x4bb8, 100.5, '%'],
    [0x4b5c, 29.9, 'Cel'],
    [0x4b5c, 114, '[degF]'],
    [0xe140, 0.4, 'kg'],
    [0xe140, 900, '[lb_av]'],
    [0x71b8, 9, 'mg/dL'],
    [0x71b8, 45, 'mmol/L'],
  ])('code 0x%s: %s %s is implausible', (code, value, unit) => {
    const r = assessReading({ ...base, code, value, unit });
    expect(r.flags).toContain('implausible');
    expect(r.quality).toBeLessThan(0.5);
  });

  it('a special value has no value and quality 0; an unknown unit is flagged, not converted', () => {
    expect(assessReading({ ...base, code: 0x4a05, value: undefined, unit: 'mm[Hg]' })).toMatchObject({ flags: ['no-value'], quality: 0, normalizedValue: undefined });
    expect(assessReading({ ...base, code: 0x4a05, value: 120, unit: undefined })).toMatchObject({ flags: ['unit-unknown'], normalizedValue: undefined });
  });

  it('a device clock far from the receive time is flagged, not dropped; an invalid one too; duplicates are flagged', () => {
    const skewed = assessReading({ ...base, code: 0x482a, value: 70, unit: '/min', deviceTime: new Date(at.getTime() - 16 * 60 * 1000) });
    expect(skewed).toMatchObject({ flags: ['clock-skew'], normalizedValue: 70, quality: 0.8 });
    const near = assessReading({ ...base, code: 0x482a, value: 70, unit: '/min', deviceTime: new Date(at.getTime() - 14 * 60 * 1000) });
    expect(near.flags).toEqual([]);
    expect(assessReading({ ...base, code: 0x482a, value: 70, unit: '/min', deviceTime: undefined, deviceTimeInvalid: true }).flags).toEqual(['device-time-invalid']);
    expect(assessReading({ ...base, code: 0x482a, value: 70, unit: '/min', duplicate: true }).flags).toEqual(['duplicate']);
  });

  it('the sealed metadata schema refuses a number where a special value was sent… and a non-hex system id', () => {
    const meta = {
      v: 1, channel: 'devices', receivedAt: at.toISOString(), objectId: 'x', rawBytes: 10, session: 's', port: 'tcp:1',
      device: { systemId: '001c05fffe123456', devConfigId: 0x02bc },
      approval: 'approved', report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
      readings: [{ code: 0x4a05, kind: 'systolic', status: 'NaN', time: at.toISOString(), flags: ['no-value'], quality: 0, dedupeKey: 'k' }],
    };
    expect(DeviceIntakeMetaSchema.safeParse(meta).success).toBe(true);
    expect(DeviceIntakeMetaSchema.safeParse({ ...meta, device: { systemId: 'ZZ', devConfigId: 1 } }).success).toBe(false);
    expect(DeviceIntakeMetaSchema.safeParse({ ...meta, readings: [{ ...meta.readings[0], value: Number.NaN }] }).success).toBe(false);
  });
});
