// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DevicesStatus } from '../../../../shared/ipc/devices-contract';
import type { DeviceReport } from '../../../../renderer/vault/views/device-reports';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { emitEvent, renderApp } from '../../support/render-app';
import { READINGS_SHOWN_PER_SESSION } from '../../../../renderer/features/devices/devices-area';

const SYSTEM_ID = '001c05fffe123456';
const EMPTY: DevicesStatus = { ports: [], connections: [], tcp: null, awaitingApproval: [] };

function tableRows(name: string): string[][] {
  return within(screen.getByRole('table', { name }))
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

const REPORT: DeviceReport = {
  seq: 7,
  at: '2026-11-21T08:52:40.000Z',
  session: 's1',
  approval: 'approved',
  patientId: null,
  readingPatients: [null, null, null],
  device: { systemId: SYSTEM_ID, devConfigId: 0x02bc, manufacturer: 'Acme', model: 'BP-100' },
  port: 'serial:/dev/ttyUSB0',
  report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
  readings: [
    { code: 0x4a05, kind: 'systolic', status: 'value', value: 128, unit: 'mm[Hg]', normalizedValue: 128, normalizedUnit: 'mm[Hg]', time: '2026-11-21T08:52:35.500Z', flags: [], quality: 1, dedupeKey: 'a' },
    { code: 0x4a06, kind: 'diastolic', status: 'NaN', time: '2026-11-21T08:52:35.500Z', flags: ['no-value'], quality: 0, dedupeKey: 'b' },
    { code: 0x71b8, kind: 'glucose', status: 'value', value: 5.5, unit: 'mmol/L', normalizedValue: 99.088, normalizedUnit: 'mg/dL', time: '2026-11-21T08:52:35.500Z', flags: ['clock-skew'], quality: 0.8, dedupeKey: 'c' },
  ],
};

describe('Devices area', () => {
  it('lists at most READINGS_SHOWN_PER_SESSION readings of one device session and counts the rest, keeping the assign control (a memory upload of thousands kept the window busy; the vitals bench timed out)', async () => {
    const many: DeviceReport = {
      ...REPORT,
      readingPatients: Array.from({ length: READINGS_SHOWN_PER_SESSION + 30 }, () => null),
      readings: Array.from({ length: READINGS_SHOWN_PER_SESSION + 30 }, (_, i) => ({ ...REPORT.readings[0]!, value: 100 + i, normalizedValue: 100 + i, dedupeKey: `m${i}` })),
    };
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    renderApp(node, '#/devices', createFakeVault({ phase: 'unlocked', deviceReports: [many] }));
    await screen.findByRole('table', { name: 'Latest readings' });
    const rows = tableRows('Latest readings');
    expect(rows).toHaveLength(READINGS_SHOWN_PER_SESSION + 1);
    expect(rows[0]![6]).toBe('Assign to a patient');
    expect(rows.at(-1)).toEqual(['30 more readings of this device session, not listed here; assigning the session assigns them too.']);
  });

  it('opens a port by path with its baud rate, shows the connected device as it associates, and the latest readings with their quality', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let opened: unknown = null;
    node.handle('devices.status', () => EMPTY);
    node.handle('devices.openPort', (payload) => {
      opened = payload;
      return { ...EMPTY, ports: [{ path: '/dev/pts/7', state: 'open', settings: { baudRate: 19200, dataBits: 8, parity: 'none', stopBits: 1, dtr: true, rts: true } }] };
    });
    renderApp(node, '#/devices', createFakeVault({ phase: 'unlocked', deviceReports: [REPORT] }));
    fireEvent.change(await screen.findByLabelText('Port path'), { target: { value: '/dev/pts/7' } });
    fireEvent.change(screen.getByLabelText('Baud rate'), { target: { value: '19200' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open port' }));
    await screen.findByRole('table', { name: 'Serial ports' });
    expect(opened).toEqual({ path: '/dev/pts/7', settings: { baudRate: 19200 } });
    expect(tableRows('Serial ports')).toEqual([['/dev/pts/7', 'Open', '19200 baud, 8N1', '', 'Close /dev/pts/7']]);

    emitEvent(node, 'devices.changed', {
      ...EMPTY,
      ports: [{ path: '/dev/pts/7', state: 'open' }],
      connections: [{ id: 'c1', port: 'serial:/dev/pts/7', state: 'operating', systemId: SYSTEM_ID, manufacturer: 'Acme', model: 'BP-100', approval: 'approved', reports: 1, protocolErrors: 0 }],
    });
    await screen.findByRole('table', { name: 'Connected devices' });
    expect(tableRows('Connected devices')[0]!.slice(0, 6)).toEqual(['serial:/dev/pts/7', 'Acme BP-100', SYSTEM_ID, 'Associated', 'Approved', '1']);

    await screen.findByRole('table', { name: 'Latest readings' });
    const readings = tableRows('Latest readings').map((row) => row.slice(2, 6));
    expect(readings[0]).toEqual(['Systolic blood pressure', '128 mmHg', '100%', 'Approved device']);
    // A special value is never shown as a number.
    expect(readings[1]).toEqual(['Diastolic blood pressure', 'No value (not a number)', '0% (no value sent)', 'Approved device']);
    // Glucose as the meter reported it (mmol/L), as the patient page lists it: not converted to 99 mg/dL.
    expect(readings[2]![1]).toBe('5.5 mmol/L');
    expect(readings[2]![2]).toBe('80% (device clock far from this computer’s)');
  });

  it('the inbox shows each reading in the unit its device reported, converted only where the patient page converts it', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    const at = '2026-11-21T08:52:35.500Z';
    const reading = (r: Partial<DeviceReport['readings'][number]> & Pick<DeviceReport['readings'][number], 'code' | 'kind' | 'dedupeKey'>): DeviceReport['readings'][number] => ({ status: 'value', time: at, flags: [], quality: 1, ...r });
    // A meter in mmol/L, a monitor in kPa and a scale whose person 1 weighs in lb, person 2 in kg (as assessReading stores them).
    const meter: DeviceReport = {
      ...REPORT,
      seq: 8,
      session: 's-meter',
      readingPatients: [null, null],
      readings: [
        reading({ code: 0x71b8, kind: 'glucose', value: 7.2, unit: 'mmol/L', normalizedValue: 129.7152, normalizedUnit: 'mg/dL', dedupeKey: 'm1' }),
        reading({ code: 0x4a05, kind: 'systolic', value: 16, unit: 'kPa', normalizedValue: 120.0099, normalizedUnit: 'mm[Hg]', dedupeKey: 'm2' }),
      ],
    };
    const scale: DeviceReport = {
      ...REPORT,
      seq: 9,
      session: 's-scale',
      readingPatients: [null, null, null],
      readings: [
        reading({ code: 0xe140, kind: 'weight', personId: 1, value: 154, unit: '[lb_av]', normalizedValue: 69.8533, normalizedUnit: 'kg', dedupeKey: 's1' }),
        reading({ code: 0xe140, kind: 'weight', personId: 2, value: 70.5, unit: 'kg', normalizedValue: 70.5, normalizedUnit: 'kg', dedupeKey: 's2' }),
        // A unit with no UCUM mapping: the number as sent, never converted.
        reading({ code: 0xe140, kind: 'weight', personId: 2, value: 12, unitCode: 0x1234, normalizedValue: undefined, flags: ['unit-unknown'], quality: 0.5, dedupeKey: 's3' }),
      ],
    };
    // One session whose glucose came mostly in mg/dL: its one mmol/L reading is converted and says so, as the patient page's chart does.
    const mixed: DeviceReport = {
      ...REPORT,
      seq: 10,
      session: 's-mixed',
      readingPatients: [null, null, null],
      readings: [
        reading({ code: 0x71b8, kind: 'glucose', value: 90, unit: 'mg/dL', normalizedValue: 90, normalizedUnit: 'mg/dL', time: '2026-11-21T08:00:00.000Z', dedupeKey: 'x1' }),
        reading({ code: 0x71b8, kind: 'glucose', value: 95, unit: 'mg/dL', normalizedValue: 95, normalizedUnit: 'mg/dL', time: '2026-11-21T08:10:00.000Z', dedupeKey: 'x2' }),
        reading({ code: 0x71b8, kind: 'glucose', value: 5.5, unit: 'mmol/L', normalizedValue: 99.088, normalizedUnit: 'mg/dL', time: '2026-11-21T08:20:00.000Z', dedupeKey: 'x3' }),
      ],
    };
    renderApp(node, '#/devices', createFakeVault({ phase: 'unlocked', deviceReports: [meter, scale, mixed] }));
    await screen.findByRole('table', { name: 'Latest readings' });
    expect(tableRows('Latest readings').map((row) => row[3])).toEqual(['7.2 mmol/L', '16 kPa', '154 lb', '70.5 kg', '12', '90 mg/dL', '95 mg/dL', '99 mg/dL (reported as 5.5 mmol/L)']);
  });

  it('lists a device awaiting approval; an administrator approves it', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let decided: unknown = null;
    node.handle('devices.status', () => ({ ...EMPTY, awaitingApproval: [{ systemId: SYSTEM_ID, model: 'BP-100', firstSeenAt: '2026-11-21T08:50:00.000Z' }] }));
    node.handle('devices.decide', (payload) => {
      decided = payload;
      return { devices: [] };
    });
    const { vault } = renderApp(node, '#/devices');
    fireEvent.click(await screen.findByRole('button', { name: `Approve ${SYSTEM_ID}` }));
    await waitFor(() => expect(decided).toEqual({ systemIdPrefix: SYSTEM_ID, decision: 'approved', model: 'BP-100' }));
    // …and journaled, so the ledger signs it.
    await waitFor(() => expect(vault.callsTo('journalDeviceDecision')).toEqual([[{ systemIdPrefix: SYSTEM_ID, decision: 'approved', model: 'BP-100' }]]));
  });

  it('a port listing that fails says why, and a port can still be added by path', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    node.handle('devices.listPorts', () => ({ ports: [], error: 'The operating system did not list serial ports (spawn udevadm ENOENT). A port can still be added by its path.' }));
    renderApp(node, '#/devices');
    fireEvent.click(await screen.findByRole('button', { name: 'Show the ports this computer lists' }));
    expect(await screen.findByText(/spawn udevadm ENOENT\). A port can still be added by its path\./)).toBeTruthy();
    expect(screen.getByLabelText('Port path')).toBeTruthy();
  });

  it('a reading in the inbox is assigned to a patient found by search, then shows on that patient’s vitals chart table', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], deviceReports: [REPORT] });
    renderApp(node, '#/devices', vault);
    await screen.findByRole('table', { name: 'Latest readings' });
    fireEvent.click(screen.getByRole('button', { name: 'Assign to a patient' }));
    fireEvent.change(screen.getByLabelText('Find the patient'), { target: { value: 'Family7' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    const assign = await screen.findByRole('button', { name: /^Assign to .*Family7/ });
    fireEvent.click(assign);
    await waitFor(() => expect(tableRows('Latest readings')[0]![6]).toMatch(/Family7/));

    window.location.hash = '#/patients/p-7';
    await screen.findByRole('heading', { name: 'Vitals from devices and HL7 results' });
    await screen.findByRole('table', { name: 'Blood pressure readings' });
    expect(tableRows('Blood pressure readings').map((row) => row.slice(1))).toEqual([['Systolic', '128 mmHg', '100%', 'Device', 'general adult range 90–139 mmHg']]);
    // The meter reported mmol/L: its chart is in mmol/L, as reported (QA s32 #1).
    expect(tableRows('Glucose readings').map((row) => row.slice(1, 3))).toEqual([['Glucose', '5.5 mmol/L']]);
    // The special value (diastolic NaN) has no point and no row: it is no number.
    expect(screen.queryByText(/2047|NaN mm/)).toBeNull();
  });

  it('the patient’s vitals put HL7 vital-sign results (converted to the same unit) beside device readings, with time range presets', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    node.handle('devices.approvals', () => ({ devices: [] }));
    const day = 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = Date.now();
    const obx = (id: string, code: string, value: number, unit: string, at: number) => ({
      recordId: id,
      patientId: 'p-7',
      time: iso(at),
      record: { type: 'observation' as const, category: 'vital-signs' as const, code: { code, system: 'LN', display: code }, value: { kind: 'numeric' as const, value, unit }, status: 'F' as const, time: iso(at) },
      source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq: 1 },
    });
    const patient = makePatient(7, {}, [obx('r1', '8480-6', 16, 'kPa', now - 2 * day), obx('r2', '29463-7', 150, '[lb_av]', now - 2 * day), obx('r3', '8480-6', 120, 'mm[Hg]', now - 25 * day)]);
    const device = { ...REPORT, patientId: 'p-7', readingPatients: ['p-7', 'p-7', 'p-7'], readings: REPORT.readings.map((r) => ({ ...r, time: iso(now - 20 * day) })) };
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [patient], deviceReports: [device] }));
    await screen.findByRole('table', { name: 'Blood pressure readings' });
    const bp = () => tableRows('Blood pressure readings').map((row) => row.slice(1, 3).concat(row[4]!));
    await waitFor(() =>
      expect(bp()).toEqual([
        ['Systolic', '120 mmHg (reported as 16 kPa)', 'HL7 result'],
        ['Systolic', '128 mmHg', 'Device'],
        ['Systolic', '120 mmHg', 'HL7 result'],
      ]),
    );
    // Its only weight was reported in lb: shown so (a chart is in the unit most of its values were reported in, QA s32 #1).
    expect(tableRows('Weight readings').map((row) => row[2])).toEqual(['150 lb']);
    fireEvent.click(screen.getByRole('button', { name: 'Last 7 days' }));
    await waitFor(() => expect(bp()).toEqual([['Systolic', '120 mmHg (reported as 16 kPa)', 'HL7 result']]));
    fireEvent.click(screen.getByRole('button', { name: 'All' }));
    await waitFor(() => expect(bp()).toHaveLength(3));
  });

  it('flags readings outside the adult reference band (High, Low) in the table and counts them in the chart\'s caption', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    node.handle('devices.approvals', () => ({ devices: [] }));
    const at = new Date(Date.now() - 86_400_000).toISOString();
    const obx = (id: string, code: string, value: number, unit: string) => ({
      recordId: id,
      patientId: 'p-7',
      time: at,
      record: { type: 'observation' as const, category: 'vital-signs' as const, code: { code, system: 'LN', display: code }, value: { kind: 'numeric' as const, value, unit }, status: 'F' as const, time: at },
      source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq: 1 },
    });
    const patient = makePatient(7, {}, [obx('r1', '8480-6', 152, 'mm[Hg]'), obx('r2', '59408-5', 91, '%'), obx('r3', '8867-4', 72, '/min')]);
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [patient] }));
    await screen.findByRole('table', { name: 'Blood pressure readings' });
    expect(tableRows('Blood pressure readings').map((row) => [row[2], row[5]])).toEqual([['152 mmHg', 'High (general adult range 90–139 mmHg)']]);
    expect(tableRows('SpO2 readings').map((row) => [row[2], row[5]])).toEqual([['91 %', 'Low (general adult range 95–100 %)']]);
    expect(tableRows('Pulse readings').map((row) => [row[2], row[5]])).toEqual([['72 /min', 'general adult range 60–100 /min']]);
    // No result gives a lab range: the general adult band is shaded, and the caption says so (H8 F6).
    expect(screen.getByText(/^Blood pressure: 1 reading; latest 152 mmHg \(High\); 1 high\. Shaded: general adult range 90–139 mmHg\.$/)).toBeTruthy();
    expect(screen.getByText(/^Pulse: 1 reading; latest 72 \/min\. Shaded: general adult range 60–100 \/min\.$/)).toBeTruthy();
  });

  it('a chart of many readings lists the newest 100 in its table until all are asked for; the chart has every point', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    node.handle('devices.approvals', () => ({ devices: [] }));
    const start = Date.now() - 250 * 60_000;
    const pulse = REPORT.readings[0]!;
    const readings = Array.from({ length: 250 }, (_, i) => ({ ...pulse, code: 0x482a, kind: 'pulse' as const, value: 60 + (i % 30), normalizedValue: 60 + (i % 30), unit: '/min', normalizedUnit: '/min', time: new Date(start + i * 60_000).toISOString(), dedupeKey: `p${i}` }));
    const device = { ...REPORT, patientId: 'p-7', readingPatients: readings.map(() => 'p-7'), readings };
    renderApp(node, '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], deviceReports: [device] }));
    await screen.findByRole('table', { name: 'Pulse readings' });
    expect(tableRows('Pulse readings')).toHaveLength(100);
    expect(tableRows('Pulse readings')[0]![2]).toBe(`${60 + (249 % 30)} /min`);
    expect(screen.getByText('The newest 100 of 250 readings are listed.')).toBeTruthy();
    expect(screen.getByRole('img', { name: /^Pulse: 250 readings/ }).getAttribute('data-points')).toBe('250');
    fireEvent.click(screen.getByRole('button', { name: 'List all 250 pulse readings' }));
    await waitFor(() => expect(tableRows('Pulse readings')).toHaveLength(250));
    expect(screen.queryByText('The newest 100 of 250 readings are listed.')).toBeNull();
  });

  it('an MP report’s persons are assigned apart', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('devices.status', () => EMPTY);
    const mp: DeviceReport = { ...REPORT, readingPatients: [null, null], readings: [{ ...REPORT.readings[0]!, personId: 1 }, { ...REPORT.readings[0]!, value: 131, normalizedValue: 131, personId: 2, dedupeKey: 'x' }] };
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7), makePatient(8)], deviceReports: [mp] });
    renderApp(node, '#/devices', vault);
    fireEvent.click(await screen.findByRole('button', { name: 'Assign person 2 to a patient' }));
    fireEvent.change(screen.getByLabelText('Find the patient'), { target: { value: 'Family8' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    fireEvent.click(await screen.findByRole('button', { name: /^Assign to .*Family8/ }));
    await waitFor(() => expect(vault.callsTo('assignDeviceSession')).toEqual([['s1', 'p-8', 2]]));
    await waitFor(() => expect(tableRows('Latest readings').map((row) => row[6])).toEqual(['Assign person 1 to a patient', expect.stringMatching(/Family8/)]));
  });
});
