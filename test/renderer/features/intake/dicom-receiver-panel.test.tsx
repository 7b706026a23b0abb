// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DevicesStatus } from '../../../../shared/ipc/devices-contract';
import type { DicomStatus } from '../../../../shared/ipc/dicom-contract';
import { RECEIVER_REFRESH_MS } from '../../../../renderer/features/imaging/receiver-status';
import { createFakeNode, NO_VAULT_REASON } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { emitEvent, renderApp } from '../../support/render-app';

/**
 * Issue 12 item 7: the intake monitor shows the DICOM receiver beside HL7 (a radiologist tester
 * found its state and counters only under Imaging): its state, associations open and in total,
 * instances received / stored / held / duplicates / conflicts / failed, the calling AE titles
 * (the Imaging page's table), and a link to the receiver in full under Imaging. T1 F4: the
 * counters are kept across restarts, since a time shown, and an administrator resets them.
 */

const caller = (aeTitle: string, counts: Partial<DicomStatus['callers'][number]>): DicomStatus['callers'][number] => ({
  aeTitle,
  address: '10.0.0.5',
  associations: 1,
  received: 0,
  stored: 0,
  held: 0,
  duplicates: 0,
  conflicts: 0,
  failed: 0,
  rejected: 0,
  rejections: {},
  ...counts,
});

const STATUS: DicomStatus = {
  listener: { channel: 'dicom', state: 'listening', address: '127.0.0.1', port: 11112 },
  aeTitle: 'HDMS',
  portOverride: null,
  counters: { associations: 6, rejectedAssociations: 2, echoes: 3, received: 19, stored: 11, held: 1, duplicates: 4, conflicts: 2, failed: 1, protocolErrors: 0, bytes: 1000 },
  callers: [
    caller('CT_WEST', { associations: 4, received: 17, stored: 9, held: 1, duplicates: 4, conflicts: 2, failed: 1 }),
    caller('MR_NORTH', { associations: 2, received: 2, stored: 2, rejected: 2, rejections: { 'called-ae-title': 2 }, calledAeTitles: [{ aeTitle: 'PACS', count: 2 }] }),
  ],
  // Two associated (Sta6 data transfer, Sta8 releasing); one connection still owes its request (Sta2): not an association.
  open: [
    { peer: '10.0.0.5:50100', callingAeTitle: 'CT_WEST', since: '2026-12-07T05:00:00.000Z', state: 'Sta6' },
    { peer: '10.0.0.5:50101', callingAeTitle: 'CT_WEST', since: '2026-12-07T05:00:01.000Z', state: 'Sta8' },
    { peer: '10.0.0.9:50102', callingAeTitle: '', since: '2026-12-07T05:00:02.000Z', state: 'Sta2' },
  ],
};

/** A row's cells as shown: the caller's AE title and address (each a line of the row head) joined by " | ". */
const cells = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((cell) => (cell.matches('tbody th') ? [...cell.children].map((line) => line.textContent).join(' | ') : cell.textContent));

async function receiverPanel(): Promise<HTMLElement> {
  return screen.findByRole('region', { name: 'DICOM receiver' });
}

function factsOf(section: HTMLElement): Record<string, string> {
  return Object.fromEntries([...section.querySelectorAll('dl.facts dt')].map((term) => [term.textContent ?? '', term.nextElementSibling?.textContent ?? '']));
}

describe('Intake monitor › DICOM receiver (issue 12 item 7)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows the receiver beside HL7: its state, associations open and in total, what became of the instances, the calling AE titles and a link to Imaging', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => STATUS);
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    const section = await receiverPanel();
    await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.');
    expect(factsOf(section)).toEqual({
      'Associations open': '2',
      Associations: '6',
      'Instances received': '19',
      'Instances stored': '11',
      'Held (no Patient ID)': '1',
      'Duplicates (resent, not stored again)': '4',
      'Conflicts (same UID, other bytes)': '2',
      'Instances failed': '1',
    });
    // The Imaging page's table of calling AE titles, with its list of refusals.
    const table = within(section).getByRole('table', { name: 'Calling AE titles' });
    const rows = within(table).getAllByRole('row');
    expect(cells(rows[0]!)).toEqual(['AE title and address', 'Associations', 'Received', 'Stored', 'Held', 'Duplicates', 'Conflicts', 'Failed', 'Refused']);
    expect(within(section).getByText('Associations: those accepted, an echo or a send that stored nothing included. Refused: those not accepted.').id).toBe(table.getAttribute('aria-describedby'));
    expect(cells(rows[1]!)).toEqual(['CT_WEST | 10.0.0.5', '4', '17', '9', '1', '4', '2', '1', '0']);
    expect(cells(rows[2]!)).toEqual(['MR_NORTH | 10.0.0.5', '2', '2', '2', '0', '0', '0', '0', '2']);
    expect(within(within(section).getByRole('list', { name: 'Refused associations' })).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'MR_NORTH at 10.0.0.5: 2 refused, wrong called AE title (asked for “PACS” 2 times)',
    ]);
    const link = within(section).getByRole('link', { name: /under Imaging/ });
    expect(link.getAttribute('href')).toBe('#/imaging');
    // Right below the HL7 counters, above the throughput and the quarantine.
    const headings = screen.getAllByRole('heading', { level: 2 }).map((heading) => heading.textContent ?? '');
    const hl7 = headings.findIndex((heading) => heading.startsWith('HL7 messages since'));
    expect(hl7).toBeGreaterThanOrEqual(0);
    expect(headings[hl7 + 1]).toBe('DICOM receiver');
  });

  it('says since when the counters count; an administrator resets them after confirming (dicom.resetCounters), a clinician has no reset', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let status: DicomStatus = { ...STATUS, countersSince: '2025-03-01T07:00:00.000Z' };
    node.handle('dicom.status', () => status);
    node.handle('dicom.resetCounters', () => {
      status = { ...STATUS, countersSince: '2025-03-02T09:00:00.000Z', counters: { ...STATUS.counters, associations: 0, received: 0, stored: 0 }, callers: [] };
      return { seq: 41, since: '2025-03-02T09:00:00.000Z' };
    });
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    const section = await receiverPanel();
    await waitFor(() => expect(section.textContent).toMatch(/Counted since 1 Mar/));
    expect(section.textContent).toContain('kept when the node restarts');
    fireEvent.click(within(section).getByRole('button', { name: 'Reset DICOM counters…' }));
    const dialog = await screen.findByRole('dialog', { name: "Reset the DICOM receiver's counters?" });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reset counters' }));
    await waitFor(() => expect(section.textContent).toMatch(/Counted since 2 Mar/));
    expect(node.calls.filter((call) => call.method === 'dicom.resetCounters').map((call) => call.payload)).toEqual([{}]);
    expect(factsOf(section)).toMatchObject({ Associations: '0', 'Instances received': '0' });
    expect(within(section).queryByRole('table', { name: 'Calling AE titles' })).toBeNull();
  });

  it('offers no reset to a clinician (administrators only, as HL7\'s)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => ({ ...STATUS, countersSince: '2025-03-01T07:00:00.000Z' }));
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked', operators: [{ name: 'Cleo Clinician', role: 'clinician', passphrase: 'a long enough passphrase 1' }] }));
    const section = await receiverPanel();
    await waitFor(() => expect(section.textContent).toMatch(/Counted since 1 Mar/));
    expect(within(section).queryByRole('button', { name: /Reset/ })).toBeNull();
  });

  it('follows the receiver while the monitor is shown (every few seconds, as Imaging), and asks no more once it is gone', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let status: DicomStatus = { ...STATUS, callers: [], open: [] };
    node.handle('dicom.status', () => status);
    const view = renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    const section = await receiverPanel();
    await within(section).findByText('Listening as HDMS on 127.0.0.1, port 11112.');
    expect(within(section).queryByRole('table', { name: 'Calling AE titles' })).toBeNull();

    // An association stores one instance: nothing on the HL7 side announces it.
    status = {
      ...STATUS,
      counters: { ...STATUS.counters, associations: 7, received: 20, stored: 12 },
      callers: [caller('US_ER', { received: 1, stored: 1 })],
      open: [{ peer: '127.0.0.1:50200', callingAeTitle: 'US_ER', since: '2026-12-07T05:01:00.000Z', state: 'Sta6' }],
    };
    await act(() => vi.advanceTimersByTimeAsync(RECEIVER_REFRESH_MS + 500));
    expect(factsOf(section)).toMatchObject({ 'Associations open': '1', Associations: '7', 'Instances received': '20', 'Instances stored': '12' });
    expect(cells(within(within(section).getByRole('table', { name: 'Calling AE titles' })).getAllByRole('row')[1]!)).toEqual(['US_ER | 10.0.0.5', '1', '1', '1', '0', '0', '0', '0', '0']);

    view.unmount();
    const asked = node.calls.filter((call) => call.method === 'dicom.status').length;
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(node.calls.filter((call) => call.method === 'dicom.status').length).toBe(asked);
  });

  it('says when the receiver is stopped, and why, in the Imaging page’s words', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let status: DicomStatus = { ...STATUS, listener: { channel: 'dicom', state: 'closed', reason: 'The DICOM receiver is turned off for this run (--dicom-port 0).' }, callers: [], open: [] };
    node.handle('dicom.status', () => status);
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    const section = await receiverPanel();
    await within(section).findByText('The DICOM receiver is turned off for this run (--dicom-port 0).');
    expect(section.querySelector('.state')?.className).toBe('state state--closed');
    expect(factsOf(section)['Associations open']).toBe('0');

    // An error without a reason still says something.
    status = { ...status, listener: { channel: 'dicom', state: 'error' } };
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await act(() => vi.advanceTimersByTimeAsync(RECEIVER_REFRESH_MS + 500));
    await within(section).findByText('The receiver could not open.');
  });

  it('says so when the status cannot be loaded', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.failWith('dicom.status', { code: 'E_INTERNAL', message: 'The receiver is unavailable.' });
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    const section = await receiverPanel();
    expect((await within(section).findByRole('alert')).textContent).toBe("The receiver's status could not be loaded: The receiver is unavailable.");
  });

  it('without an open vault the monitor shows the listeners only and asks nothing of dicom.status (it needs a session: the body would refuse it)', async () => {
    const node = createFakeNode();
    node.handle('dicom.status', () => STATUS);
    renderApp(node, '#/intake', createFakeVault({ phase: 'absent' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Explore the app' }));
    await screen.findByRole('table', { name: 'Listeners' });
    expect(screen.getByRole('table', { name: 'Listeners' }).textContent).toContain(NO_VAULT_REASON);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('region', { name: 'DICOM receiver' })).toBeNull();
    expect(node.calls.some((call) => call.method === 'dicom.status' || call.method === 'devices.status')).toBe(false);
  });

  it('says in one line, beside the receiver, how many device agents are associated and what their connections stored, following devices.changed', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('dicom.status', () => STATUS);
    const connection = (id: string, state: string, reports: number): DevicesStatus['connections'][number] => ({ id, port: `tcp:127.0.0.1:${id}`, state, reports, protocolErrors: 0 });
    const devices: DevicesStatus = { ports: [], connections: [connection('1', 'operating', 5), connection('2', 'unassociated', 0)], tcp: null, awaitingApproval: [] };
    node.handle('devices.status', () => devices);
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked' }));
    await receiverPanel();
    const section = await screen.findByRole('region', { name: 'Devices' });
    await within(section).findByText('1 agent associated, 5 reports stored over the connections open now.', { exact: false });
    expect(within(section).getByRole('link', { name: /Devices page/ }).getAttribute('href')).toBe('#/devices');
    emitEvent(node, 'devices.changed', { ...devices, connections: [connection('1', 'operating', 7), connection('3', 'waiting-for-config', 0)] });
    await within(section).findByText('2 agents associated, 7 reports stored over the connections open now.', { exact: false });
  });
});
