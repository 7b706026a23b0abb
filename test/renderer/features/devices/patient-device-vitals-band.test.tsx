// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { shadedBands, vitalPoints } from '../../../../renderer/features/devices/patient-device-vitals';
import type { ClinicalRecord, Observation } from '../../../../shared/domain/clinical';
import { row, vital } from '../../support/clinical-fixtures';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

// Tester H8 F6: the chart shaded the general adult 90–139 mmHg while the lab flagged 128 mmHg High against its own 90–120.
const flagged = (record: ClinicalRecord, flags: string[], range: string): Observation => ({ ...(record as Observation), abnormalFlags: flags, referenceRange: range });
const systolic = (id: string, value: number, time: string, range: string) => row(id, flagged(vital('8480-6', 'Systolic blood pressure', value, 'mm[Hg]', time), ['H'], range));

describe('the Vitals band is the lab\'s own range when the results carry one (H8 F6)', () => {
  it('shades the newest result\'s lab range, says when the results\' ranges differ, and the general adult range only without one', () => {
    const same = vitalPoints([], [systolic('a', 142, '2026-12-01T10:05:00+00:00', '90-120'), systolic('b', 128, '2026-12-03T10:05:00+00:00', '90-120')]).get('Blood pressure')!;
    expect(shadedBands(same, ['systolic'])).toEqual([{ kind: 'systolic', low: 90, high: 120, unit: 'mm[Hg]', source: 'lab', differs: false }]);
    const differ = vitalPoints([], [systolic('a', 142, '2026-12-01T10:05:00+00:00', '90-130'), systolic('b', 128, '2026-12-03T10:05:00+00:00', '90-120')]).get('Blood pressure')!;
    expect(shadedBands(differ, ['systolic'])).toEqual([{ kind: 'systolic', low: 90, high: 120, unit: 'mm[Hg]', source: 'lab', differs: true }]);
    const none = vitalPoints([], [row('c', vital('8480-6', 'Systolic', 128, 'mm[Hg]', '2026-12-03T10:05:00+00:00'))]).get('Blood pressure')!;
    expect(shadedBands(none, ['systolic'])).toEqual([{ kind: 'systolic', low: 90, high: 139, unit: 'mm[Hg]', source: 'general', differs: false }]);
  });

  it('the patient page\'s caption says which band is shaded', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] }));
    node.handle('devices.approvals', () => ({ devices: [] }));
    const records = [systolic('a', 142, '2026-12-01T10:05:00+00:00', '90-130'), systolic('b', 128, '2026-12-03T10:05:00+00:00', '90-120'), row('p', vital('8867-4', 'Pulse', 88, '/min', '2026-12-03T10:05:00+00:00'))];
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, records)] }));
    await screen.findByRole('table', { name: 'Blood pressure readings' });
    const caption = (title: string) => screen.getByText((_text, element) => element?.tagName === 'FIGCAPTION' && (element.textContent ?? '').startsWith(`${title}:`)).textContent;
    expect(caption('Blood pressure')).toContain('Shaded: lab range 90–120 mmHg (the newest result’s; earlier results give other ranges).');
    expect(caption('Pulse')).toContain('Shaded: general adult range 60–100 /min.');
    // The section's introduction no longer says every band is a general adult range.
    expect(within(screen.getByRole('region', { name: 'Vitals from devices and HL7 results' })).getByText(/lab’s own reference range/)).toBeTruthy();
  });
});
