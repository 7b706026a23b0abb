// @vitest-environment happy-dom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../../../renderer/vault/vault-service';
import { vitalPoints, vitalsNotDrawn } from '../../../../renderer/features/devices/patient-device-vitals';
import { lastVisitOf, trendOf } from '../../../../renderer/features/patients/results-model';
import { unitLabel } from '../../../../renderer/features/patients/ucum-units';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Tester T1 (an internist), D4: blood pressures sent in `mmHg`, not UCUM `mm[Hg]`. */

function at(recordId: string, record: ViewRecord, seq: number, messageType = 'ORU^R01'): RecordRow {
  const time = record.type === 'visit' ? record.start : 'time' in record && record.time !== undefined ? record.time : '2026-12-07T05:23:00.000Z';
  return { recordId, patientId: 'p-7', time, record, source: { messageType, channel: 'hl7-mllp', seq, hasRaw: false } };
}

function bp(code: string, display: string, value: number, unit: string, day: number, flags: string[] = []): Observation {
  const time = `2026-11-${String(day).padStart(2, '0')}T08:00:00+01:00`;
  return { type: 'observation', category: 'vital-signs', code: { code, system: 'LN', display }, value: { kind: 'numeric', value, unit }, referenceRange: code === '8480-6' ? '90-139' : '60-89', ...(flags.length > 0 ? { abnormalFlags: flags } : {}), status: 'F', time };
}

/** 17 days: the first 8 (pre-treatment 168/102 among them) sent as `mmHg`, the other 9 as `mm[Hg]`; a pulse each day in `/min`. */
function records(): RecordRow[] {
  const rows: RecordRow[] = [];
  for (let day = 1; day <= 17; day++) {
    const unit = day <= 8 ? 'mmHg' : 'mm[Hg]';
    const systolic = day === 1 ? 168 : 120 + (day % 5);
    const diastolic = day === 1 ? 102 : 80 + (day % 3);
    rows.push(at(`p-7.d${day}.0`, bp('8480-6', 'Systolic', systolic, unit, day, day === 1 ? ['H'] : []), day));
    rows.push(at(`p-7.d${day}.1`, bp('8462-4', 'Diastolic', diastolic, unit, day, day === 1 ? ['H'] : []), day));
    rows.push(at(`p-7.d${day}.2`, bp('8867-4', 'Heart rate', 70 + (day % 4), '/min', day), day));
  }
  return rows;
}

function openChart(rows: RecordRow[]) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, {}, rows)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
  return screen.findByRole('region', { name: 'Results' });
}

describe('T1 D4: blood pressures in mmHg are the same unit as mm[Hg] on every view', () => {
  it('the trend draws all 17 systolic results, the pre-treatment 168 among them, and leaves none out as "in mmHg"', () => {
    const trend = trendOf(records(), 'LN|8480-6');
    expect(trend.points).toHaveLength(17);
    expect(trend.omitted).toEqual([]);
    expect(trend.points[0]!.value).toBe(168);
    expect(trend.points.every((point) => point.reported === undefined)).toBe(true);
    expect(unitLabel(trend.unit)).toBe('mmHg');
  });

  it('the trend caption and the flowsheet: no "not shown", and a cell under a "(mmHg)" row does not repeat the unit', async () => {
    const results = await openChart(records());
    fireEvent.click(within(results).getByRole('button', { name: 'Flowsheet' }));
    fireEvent.click(within(results).getByRole('button', { name: 'Show all 17 days' }));
    const sheet = within(results).getByRole('table', { name: 'Flowsheet' });
    const systolic = within(sheet).getByRole('row', { name: /Systolic/ });
    expect(systolic.querySelector('th')?.textContent).toContain('(mmHg)');
    const cells = [...systolic.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim());
    expect(cells).toHaveLength(17);
    expect(cells.filter((cell) => cell.includes('mmHg'))).toEqual([]);
    expect(cells.at(-1)).toContain('168');

    fireEvent.click(within(results).getByRole('button', { name: 'Trends' }));
    fireEvent.change(within(results).getByRole('combobox', { name: 'Test' }), { target: { value: 'LN|8480-6' } });
    const caption = within(results).getByRole('figure').querySelector('figcaption')?.textContent ?? '';
    expect(caption).toMatch(/^Systolic: 17 results from 2026-11-01 08:00/);
    expect(caption).not.toContain('Not drawn');
    expect(caption).not.toContain('not shown');
  });

  it('the vitals chart: all 34 pressures and 17 pulses are points, the mmHg ones read as sent (no "reported as"), the H counts right', () => {
    const panels = vitalPoints([], records());
    const pressures = panels.get('Blood pressure')!;
    expect(pressures).toHaveLength(34);
    expect(panels.get('Pulse')).toHaveLength(17);
    expect(pressures.every((point) => point.unit === 'mm[Hg]' && point.reported === undefined)).toBe(true);
    expect(pressures.filter((point) => point.labFlags?.some((flag) => flag.code === 'H'))).toHaveLength(2);
    expect(pressures[0]!.value).toBe(168);
  });

  it('the vitals chart says what it cannot draw, by panel, with values and times, never silently', () => {
    const odd = at('p-7.x.0', bp('8480-6', 'Systolic', 150, 'cm[H2O]', 18), 18);
    const notDrawn = vitalsNotDrawn([...records(), odd]);
    expect([...notDrawn.keys()]).toEqual(['Blood pressure']);
    expect(notDrawn.get('Blood pressure')).toBe('Not drawn: 1 reading in cmH₂O (no conversion to mmHg): Systolic 150 cmH₂O on 2026-11-18 08:00 (UTC+01:00).');
  });

  it('the patient page: the Blood pressure caption counts every reading and names the one not drawn', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }));
    node.handle('devices.approvals', () => ({ devices: [] }));
    const odd = at('p-7.x.0', bp('8480-6', 'Systolic', 150, 'cm[H2O]', 18), 18);
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [...records(), odd])] }));
    const table = await screen.findByRole('table', { name: 'Blood pressure readings' });
    expect(within(table).getAllByRole('row').slice(1)).toHaveLength(34);
    const caption = screen.getByText((_text, element) => element?.tagName === 'FIGCAPTION' && (element.textContent ?? '').startsWith('Blood pressure:')).textContent ?? '';
    expect(caption).toContain('Blood pressure: 34 readings');
    expect(caption).toContain('2 high');
    expect(caption).toContain('Not drawn: 1 reading in cmH₂O (no conversion to mmHg)');
  });
});

describe('T1 D5: the banner\'s "Last visit" is an encounter that happened', () => {
  const visit = (id: string, start: string, patientClass: 'O' | 'P' = 'O') => at(id, { type: 'visit', patientClass, location: 'PRAXIS', start, startFrom: 'PV1-44' }, 1, 'ADT^A04');
  it('the latest by its instant, whatever zone it was written in, and never one that starts after now (a preadmission)', () => {
    const now = Date.parse('2026-12-07T05:23:00Z');
    const earlierInUtc = visit('v1.0', '2026-11-02T09:00:00+01:00');
    const laterInUtc = visit('v2.0', '2026-11-02T08:30:00Z');
    const planned = visit('v3.0', '2027-01-15T08:00:00+01:00', 'P');
    expect(lastVisitOf([earlierInUtc, laterInUtc, planned], now)?.recordId).toBe('v2.0');
    expect(lastVisitOf([planned], now)).toBeNull();
  });
});
