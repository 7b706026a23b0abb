// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { flagCounts, pointFlagWords, referenceFlag, referenceText, vitalPoints } from '../../../../renderer/features/devices/patient-device-vitals';
import type { DeviceReport } from '../../../../renderer/vault/views/device-reports';
import type { ClinicalRecord, Observation } from '../../../../shared/domain/clinical';
import { lab, row, vital } from '../../support/clinical-fixtures';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Issue 11, vitals read consistently: a reading was flagged High or Low against the general adult
 * range even when its own lab range (OBX-7), the band the chart shades, said otherwise (130 mmHg
 * drawn above a shaded 90–120 and unmarked; 85 inside a lab's 80–120 marked Low), and the Reference
 * column listed the general range first when the lab's was the one shaded.
 */
const ranged = (record: ClinicalRecord, range: string): Observation => ({ ...(record as Observation), referenceRange: range });
const systolic = (id: string, value: number, time: string, range?: string) => {
  const record = vital('8480-6', 'Systolic blood pressure', value, 'mm[Hg]', time);
  return row(id, range === undefined ? record : ranged(record, range));
};

const device = (value: number, time: string): DeviceReport => ({
  seq: 4,
  at: time,
  session: 's1',
  approval: 'approved',
  patientId: 'p-7',
  readingPatients: ['p-7'],
  device: { systemId: '001c05fffe123456', devConfigId: 0x02bc, manufacturer: 'Acme', model: 'BP-1' },
  port: 'serial:/dev/ttyUSB0',
  report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
  readings: [{ code: 0x4a05, kind: 'systolic', status: 'value', value, unit: 'mm[Hg]', normalizedValue: value, normalizedUnit: 'mm[Hg]', time, flags: [], quality: 1, dedupeKey: 'd' }],
});

describe('a vital reading is flagged against the range the table names: the sender’s flag, else its own range, else the general adult range', () => {
  it('a result with its own range (OBX-7) and no flag (OBX-8) is read against that range, which the Reference column lists first', () => {
    const points = vitalPoints([], [systolic('a', 130, '2026-12-01T10:05:00+00:00', '90-120'), systolic('b', 85, '2026-12-02T10:05:00+00:00', '80-120')]).get('Blood pressure')!;
    const [high, inRange] = points;
    expect(referenceFlag(high!)).toBe('High');
    expect(referenceText(high!)).toBe('High (lab range 90-120 mmHg); general adult range 90–139 mmHg');
    // 85 is inside the lab's 80–120, though below the general adult 90: not Low.
    expect(referenceFlag(inRange!)).toBeNull();
    expect(referenceText(inRange!)).toBe('lab range 80-120 mmHg; general adult range 90–139 mmHg');
    expect(flagCounts(points)).toBe('1 high');
  });

  it('its own range is read in the chart’s unit when the value was converted (5.8 mmol/L is 104 mg/dL, above the lab’s 70-99)', () => {
    const point = { kind: 'glucose' as const, value: 104, unit: 'mg/dL', labRange: '3.9-5.5', reported: { value: 5.8, unit: 'mmol/L' } };
    expect(referenceFlag(point)).toBe('High');
    expect(referenceText(point)).toBe('High (lab range 3.9-5.5 mmol/L); general adult range 70–140 mg/dL');
  });

  it('the general adult range is listed only when it differs from the lab’s; a range that is no two bounds falls back to the general one, said so', () => {
    const same = vitalPoints([], [row('t', ranged(vital('8310-5', 'Body temperature', 37.9, 'Cel', '2026-12-01T10:05:00+00:00'), '36.1-37.5'))]).get('Temperature')![0]!;
    expect(referenceText(same)).toBe('High (lab range 36.1-37.5 °C)');
    const oneSided = vitalPoints([], [row('g', lab('2345-7', 'Glucose', 150, 'mg/dL', '2026-12-01T10:05:00+00:00', undefined, '<140'))]).get('Glucose')![0]!;
    expect(referenceText(oneSided)).toBe('High (general adult range 70–140 mg/dL); lab range <140 mg/dL');
  });

  it('a result the sender flagged (OBX-8) keeps its flag, no word of a range’s; its own range is listed first', () => {
    const point = vitalPoints([], [row('g', lab('2345-7', 'Glucose', 5.0, 'mmol/L', '2026-12-01T10:05:00+00:00', ['H'], '3.9-4.9'))]).get('Glucose')![0]!;
    expect(pointFlagWords(point)).toEqual(['High']);
    expect(referenceText(point)).toBe('lab range 3.9-4.9 mmol/L; general adult range 3.9–7.8 mmol/L');
    const normal = vitalPoints([], [row('n', lab('2345-7', 'Glucose', 7.0, 'mmol/L', '2026-12-01T10:05:00+00:00', ['N'], '3.9-7.8'))]).get('Glucose')![0]!;
    expect(pointFlagWords(normal)).toEqual([]);
    expect(referenceText(normal)).toBe('lab range 3.9-7.8 mmol/L');
  });

  it('a device reading, with no range of its own, is read against the general adult range and says so', () => {
    const [point] = vitalPoints([device(145, '2026-12-01T10:05:00.000Z')]).get('Blood pressure')!;
    expect(referenceText(point!)).toBe('High (general adult range 90–139 mmHg)');
  });

  it('the patient page: the Reference column and the caption say which range each reading was read against', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }));
    node.handle('devices.approvals', () => ({ devices: [] }));
    const records = [systolic('a', 130, '2026-12-01T10:05:00+00:00', '90-120'), systolic('b', 85, '2026-12-02T10:05:00+00:00', '80-120'), systolic('c', 118, '2026-12-03T10:05:00+00:00', '90-120')];
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, records)], deviceReports: [device(128, '2026-12-04T10:05:00.000Z')] });
    renderApp(node, '#/patients/p-7', vault);
    const table = await screen.findByRole('table', { name: 'Blood pressure readings' });
    await within(table).findByText('Device');
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((tr) => [...tr.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ')));
    expect(rows.map((r) => [r[2], r[4], r[5]])).toEqual([
      ['128 mmHg', 'Device', 'general adult range 90–139 mmHg'],
      ['118 mmHg', 'HL7 result', 'lab range 90-120 mmHg; general adult range 90–139 mmHg'],
      ['85 mmHg', 'HL7 result', 'lab range 80-120 mmHg; general adult range 90–139 mmHg'],
      ['130 mmHg', 'HL7 result', 'High (lab range 90-120 mmHg); general adult range 90–139 mmHg'],
    ]);
    const caption = screen.getByText((_text, element) => element?.tagName === 'FIGCAPTION' && (element.textContent ?? '').startsWith('Blood pressure:')).textContent;
    expect(caption).toContain('; 1 high.');
    // The device's 128 lies above the shaded lab band yet is unflagged: the caption says what it was read against.
    expect(caption).toContain('Shaded: lab range 90–120 mmHg (the newest result’s; earlier results give other ranges). Device readings have no lab range: they are flagged against the general adult range 90–139 mmHg.');
  });
});
