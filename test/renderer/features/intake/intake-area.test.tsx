// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Hl7RecentMessage, IntakeMonitor } from '../../../../shared/ipc/intake-contract';
import { RECENT_SHOWN, recentRowKeys } from '../../../../renderer/features/intake/monitor-tables';
import { INTAKE_REFRESH_MS } from '../../../../renderer/features/intake/use-throttled';
import { createFakeNode, EMPTY_MONITOR, NO_VAULT_REASON } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { emitEvent, renderApp } from '../../support/render-app';
import { QUARANTINE } from '../../support/intake-fixtures';
import type { QuarantineEntry } from '../../../../renderer/vault/vault-service';
import { viewsOnScreen } from '../../../../renderer/vault/indexing/view-indexing';

/** Without a vault, the app frame shows after "Explore the app". */
async function explore(node: ReturnType<typeof createFakeNode>): Promise<void> {
  renderApp(node, '#/intake', createFakeVault({ phase: 'absent' }));
  fireEvent.click(await screen.findByRole('button', { name: 'Explore the app' }));
}

function rows(name: string): string[][] {
  const table = screen.getByRole('table', { name });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

/** The quarantine's entries, each its first row's cells (its second row holds its reason, F14). */
function quarantineEntries(): string[][] {
  return rows('Quarantine').filter((_, index) => index % 2 === 0);
}

const MONITOR: IntakeMonitor = {
  listener: { channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 },
  totals: { received: 12, accepted: 9, errored: 2, duplicates: 1, conflicts: 1, oversize: 0 },
  senders: [
    { sender: 'LAB|CLINIC', received: 10, accepted: 8, errored: 1, duplicates: 1, conflicts: 1, lastAt: '2025-03-01T08:15:00.000Z' },
    { sender: 'EHR|CLINIC', received: 2, accepted: 1, errored: 1, duplicates: 0, conflicts: 0, lastAt: '2025-03-01T08:10:00.000Z' },
  ],
  recent: [
    { at: '2025-03-01T08:15:00.000Z', channel: 'hl7-mllp', sender: 'LAB|CLINIC', controlId: 'MSG0042', messageType: 'ORU^R01^ORU_R01', acks: ['CA', 'AA'], conflict: true },
    { at: '2025-03-01T08:10:00.000Z', channel: 'hl7-file', sender: 'EHR|CLINIC', controlId: '', messageType: 'ADT^A01', acks: ['AR'], quarantined: true, reason: 'MSH-10 is empty.' },
  ],
  throughput: [
    { t: 1_740_816_000, received: 0, errored: 0 },
    { t: 1_740_816_010, received: 10, errored: 1 },
    { t: 1_740_816_020, received: 2, errored: 1 },
  ],
  connections: [{ peer: '127.0.0.1:50512', since: '2025-03-01T08:00:00.000Z', received: 10 }],
};

describe('Intake area', () => {
  it('lists every listener with a human channel name, its state and the reason', async () => {
    await explore(createFakeNode());
    await screen.findByRole('table', { name: 'Listeners' });
    expect(rows('Listeners')).toEqual([
      ['HL7 v2 over MLLP', 'Closed', NO_VAULT_REASON],
      ['DICOM', 'Closed', NO_VAULT_REASON],
      ['Devices (IEEE 11073)', 'Closed', NO_VAULT_REASON],
      ['File import', 'Closed', NO_VAULT_REASON],
    ]);
  });

  it('follows intake.statusChanged live', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Listeners' });

    emitEvent(node, 'intake.statusChanged', {
      listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 }],
    });
    expect(rows('Listeners')).toEqual([['HL7 v2 over MLLP', 'Listening', 'Listening on 127.0.0.1, port 2575.']]);
  });

  it('says so when the status cannot be loaded', async () => {
    const node = createFakeNode();
    node.failWith('intake.status', { code: 'E_INTERNAL', message: 'Intake status is unavailable.' });
    await explore(node);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('The listener status could not be loaded: Intake status is unavailable.');
  });

  it('shows the listeners only without an open vault: no counters, no quarantine, no import', async () => {
    const node = createFakeNode({ monitor: MONITOR });
    await explore(node);
    await screen.findByRole('table', { name: 'Listeners' });
    expect(screen.queryByRole('heading', { name: 'Quarantine' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Import HL7 files' })).toBeNull();
    expect(node.calls.some((call) => call.method === 'hl7.monitor')).toBe(false);
  });

  it('stops listening when the area closes', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const { unmount } = renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Listeners' });
    expect(node.subscriberCount('intake.statusChanged')).toBe(1);
    expect(node.subscriberCount('hl7.activity')).toBe(1);
    unmount();
    expect(node.subscriberCount('intake.statusChanged')).toBe(0);
    expect(node.subscriberCount('hl7.activity')).toBe(0);
  });
});

describe('Intake monitor (unlocked)', () => {
  it('shows totals, per-sender counters, the throughput chart with a summary, recent messages with ACKs and connections', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: MONITOR });
    renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Senders' });
    expect(rows('Senders').map((row) => row.slice(0, 6))).toEqual([
      ['LAB|CLINIC', '10', '8', '1', '1', '1'],
      ['EHR|CLINIC', '2', '1', '1', '0', '0'],
    ]);
    const recent = rows('Recent messages');
    expect(recent[0]!.slice(1, 7)).toEqual(['MLLP', 'LAB|CLINIC', 'ORU^R01^ORU_R01', 'MSG0042', 'CA (commit accepted)AA (accepted)', 'Conflict']);
    expect(recent[1]!.slice(5)).toEqual(['AR (rejected)', 'Quarantined', 'MSH-10 is empty.']);
    const chart = screen.getByRole('img', { name: 'Messages received per 10 seconds' });
    expect(chart.querySelectorAll('rect.throughput__bar')).toHaveLength(4); // 2 buckets × (received + errored)
    expect(screen.getByText(/Last 1 minute: 12 messages received, 2 with errors/)).toBeTruthy();
    expect(rows('Connections')).toEqual([['127.0.0.1:50512', expect.any(String) as string, '10']]);
  });

  // Tester S35 #3: a sender turned away by the allow-list showed only in the log.
  it('shows the connections refused since the listener started: address, why, how many times, first and last; none: nothing', async () => {
    const node = createFakeNode({
      vault: { state: 'unlocked' },
      monitor: {
        ...MONITOR,
        refused: [
          { address: '10.0.5.7', reason: 'not-allowed', count: 42, first: '2025-03-01T08:00:00.000Z', last: '2025-03-01T08:15:00.000Z' },
          { address: '192.168.1.20', reason: 'too-many', count: 3, first: '2025-03-01T08:01:00.000Z', last: '2025-03-01T08:02:00.000Z' },
          { address: '192.168.1.30', reason: 'frame-timeout', count: 2, first: '2025-03-01T08:03:00.000Z', last: '2025-03-01T08:04:00.000Z' },
        ],
        refusedOthers: 5,
      },
    });
    renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Refused connections' });
    expect(rows('Refused connections').map((row) => [row[0], row[1], row[2]])).toEqual([
      ['10.0.5.7', 'Not on the allowed peers list', '42'],
      ['192.168.1.20', 'Too many connections from this address', '3'],
      ['192.168.1.30', 'Closed: no complete message in time', '2'],
    ]);
    const [panel] = screen.getAllByRole('region', { name: 'Connections' });
    expect(panel!.textContent).toContain('52 connections were refused since the listener started');
    expect(panel!.textContent).toContain('Settings → HL7 listener');
    expect(panel!.textContent).toContain('5 more refusals from other addresses');
  });

  it('says nothing of refusals when there were none', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' }, monitor: MONITOR }), '#/intake');
    await screen.findByRole('table', { name: 'Connections' });
    expect(screen.queryByRole('table', { name: 'Refused connections' })).toBeNull();
    expect(screen.getAllByRole('region', { name: 'Connections' })[0]!.textContent).not.toContain('refused');
  });

  it('D4: counts operator reprocesses in a column of their own, apart from what each sender sent', async () => {
    const monitor: IntakeMonitor = {
      ...MONITOR,
      totals: { ...MONITOR.totals, reprocessed: 3 },
      // EHR|CLINIC's counters were saved before reprocesses were counted apart: none shown.
      senders: [{ ...MONITOR.senders[0]!, reprocessed: 3 }, MONITOR.senders[1]!],
      recent: [{ at: '2025-03-01T08:16:00.000Z', channel: 'hl7-reprocess', sender: 'LAB|CLINIC', controlId: 'MSG0040', messageType: 'ORU^R01', acks: ['AA'] }, ...MONITOR.recent],
    };
    renderApp(createFakeNode({ vault: { state: 'unlocked' }, monitor }), '#/intake');
    await screen.findByRole('table', { name: 'Senders' });
    const heads = [...screen.getByRole('table', { name: 'Senders' }).querySelectorAll('thead th')].map((cell) => cell.textContent);
    expect(heads).toEqual(['Sender', 'Received', 'Accepted', 'Errored', 'Duplicates', 'Conflicts', 'Reprocessed by an operator', 'Last message']);
    expect(rows('Senders').map((row) => row.slice(0, 7))).toEqual([
      ['LAB|CLINIC', '10', '8', '1', '1', '1', '3'],
      ['EHR|CLINIC', '2', '1', '1', '0', '0', '0'],
    ]);
    const totals = screen.getByText('Reprocessed by an operator', { selector: 'dt' });
    expect(totals.nextElementSibling?.textContent).toBe('3');
    expect(rows('Recent messages')[0]!.slice(1, 3)).toEqual(['Reprocess (operator)', 'LAB|CLINIC']);
  });

  it('refreshes on hl7.activity', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: EMPTY_MONITOR });
    renderApp(node, '#/intake');
    await screen.findByText('No HL7 message has been counted since then.');
    node.state.monitor = MONITOR;
    emitEvent(node, 'hl7.activity', { totals: MONITOR.totals });
    await screen.findByRole('table', { name: 'Senders' });
  });

  it('reloads at most once a second during a burst of events, and the last event of a burst still reloads', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: EMPTY_MONITOR });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findByText('No HL7 message has been counted since then.');
    await waitFor(() => expect(vault.callsTo('quarantine').length).toBeGreaterThan(0));
    const monitorCalls = (): number => node.calls.filter((call) => call.method === 'hl7.monitor').length;
    const before = { monitor: monitorCalls(), quarantine: vault.callsTo('quarantine').length };
    // An ingest: journal.appended up to ten times a second, hl7.activity once a second.
    for (let i = 0; i < 10; i++) {
      emitEvent(node, 'journal.appended', { lastSeq: i + 1 });
      emitEvent(node, 'hl7.activity', { totals: EMPTY_MONITOR.totals });
    }
    // Without errors: a new one would also read the quarantine again (tested below).
    node.state.monitor = { ...MONITOR, totals: { ...MONITOR.totals, errored: 0 }, recent: MONITOR.recent.filter((message) => message.quarantined !== true) };
    emitEvent(node, 'journal.appended', { lastSeq: 11 });
    await waitFor(() => expect(monitorCalls()).toBe(before.monitor + 1)); // the first event, at once
    expect(vault.callsTo('quarantine').length).toBe(before.quarantine + 1);
    expect(screen.queryByRole('table', { name: 'Senders' })).toBeNull();
    // One trailing reload a second later brings what the last event announced.
    await screen.findByRole('table', { name: 'Senders' }, { timeout: INTAKE_REFRESH_MS + 2000 });
    expect(monitorCalls()).toBe(before.monitor + 2);
    expect(vault.callsTo('quarantine').length).toBe(before.quarantine + 2);
  });

  it('keeps the views off screen while shown (their replays wait while messages arrive); a new error makes them catch up and the quarantine read again', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: EMPTY_MONITOR });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findByText('No HL7 message has been counted since then.');
    expect(viewsOnScreen.onScreen()).toBe(false);
    await waitFor(() => expect(vault.callsTo('quarantine').length).toBeGreaterThan(0));
    const before = { sync: vault.callsTo('sync').length, quarantine: vault.callsTo('quarantine').length };
    // Accepted messages only: no catching up.
    node.state.monitor = { ...EMPTY_MONITOR, totals: { ...EMPTY_MONITOR.totals, received: 5, accepted: 5 } };
    emitEvent(node, 'hl7.activity', { totals: node.state.monitor.totals });
    await waitFor(() => expect(node.calls.filter((call) => call.method === 'hl7.monitor').length).toBeGreaterThan(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(vault.callsTo('sync').length).toBe(before.sync);
    // Two errors, one quarantined (MONITOR), a second later (the monitor reloads at most once a second).
    node.state.monitor = MONITOR;
    emitEvent(node, 'hl7.activity', { totals: MONITOR.totals });
    await waitFor(() => expect(vault.callsTo('sync').length).toBe(before.sync + 1), { timeout: INTAKE_REFRESH_MS + 2000 });
    await waitFor(() => expect(vault.callsTo('quarantine').length).toBeGreaterThan(before.quarantine));
    cleanup();
    expect(viewsOnScreen.onScreen()).toBe(true);
  });

  it(`shows the newest ${RECENT_SHOWN} recent messages, and all of them on request`, async () => {
    const recent: Hl7RecentMessage[] = Array.from({ length: 40 }, (_, i) => ({
      at: new Date(Date.UTC(2025, 2, 1, 8, 0, 40 - i)).toISOString(),
      channel: 'hl7-mllp',
      sender: 'LAB|CLINIC',
      controlId: `MSG${String(40 - i).padStart(4, '0')}`,
      messageType: 'ORU^R01',
      acks: ['CA'],
    }));
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: { ...MONITOR, recent } });
    renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Recent messages' });
    expect(rows('Recent messages')).toHaveLength(RECENT_SHOWN);
    expect(rows('Recent messages')[0]![4]).toBe('MSG0040');
    expect(screen.getByText(`Showing the newest ${RECENT_SHOWN} of 40 recent messages.`, { exact: false })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show all 40' }));
    expect(rows('Recent messages')).toHaveLength(40);
    expect(rows('Recent messages')[39]![4]).toBe('MSG0001');
    fireEvent.click(screen.getByRole('button', { name: `Show the newest ${RECENT_SHOWN}` }));
    expect(rows('Recent messages')).toHaveLength(RECENT_SHOWN);
  });

  it('keeps the rows of recent messages when newer ones push in on top (keys from the message, not the position)', () => {
    const message = (second: number, controlId: string): Hl7RecentMessage => ({
      at: new Date(Date.UTC(2025, 2, 1, 8, 0, second)).toISOString(),
      channel: 'hl7-mllp',
      sender: 'LAB|CLINIC',
      controlId,
      messageType: 'ORU^R01',
      acks: ['CA'],
    });
    const older = [message(3, 'C'), message(2, 'B'), message(2, 'B'), message(1, 'A')];
    const keys = recentRowKeys(older);
    expect(new Set(keys).size).toBe(4); // a resent duplicate gets its own key
    const newer = recentRowKeys([message(5, 'E'), message(4, 'D'), ...older.slice(0, 3)]);
    expect(newer.slice(2)).toEqual(keys.slice(0, 3));
  });

  it('says since when the counters count; an administrator resets them after confirming', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: { ...MONITOR, countersSince: '2025-03-01T07:00:00.000Z' } });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findByRole('table', { name: 'Senders' });
    expect(screen.getByRole('heading', { name: /^HL7 messages since 1 Mar/ })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Reset counters…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reset the HL7 counters?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reset counters' }));
    await screen.findByText('No HL7 message has been counted since then.');
    expect(node.calls.filter((call) => call.method === 'hl7.resetCounters').map((call) => call.payload)).toEqual([{}]);
    expect(screen.getByRole('heading', { name: /^HL7 messages since 2 Mar/ })).toBeTruthy();
  });

  it('offers no counter reset to a clinician', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, monitor: MONITOR });
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked', operators: [{ name: 'Cleo Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }] }));
    await screen.findByRole('table', { name: 'Senders' });
    expect(screen.queryByRole('button', { name: 'Reset counters…' })).toBeNull();
  });

  it('lists the quarantine with View raw, Reprocess and Discard (confirmed), then refreshes', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const vault = createFakeVault({ phase: 'unlocked', quarantine: QUARANTINE });
    renderApp(node, '#/intake', vault);
    const table = await screen.findByRole('table', { name: 'Quarantine' });
    // Each entry's cells, then its reason on a row of its own (F14: the reason's column cut Sender and Control id at 1,000 px).
    expect(rows('Quarantine')[0]!.slice(2, 7)).toEqual(['EHR | CLINIC', 'ADT^A01', '', 'AR (rejected)', 'Open']);
    expect(rows('Quarantine')[1]).toEqual(['', 'Reason', 'MSH-10 is empty.']);
    // Read with its entry: the entry's row header is described by the reason, whose cell names that row header and "Reason" as its headers.
    const header = screen.getByRole('rowheader', { description: 'MSH-10 is empty.' });
    const reason = table.querySelector('.quarantine__reason')!;
    expect((reason.getAttribute('headers') ?? '').split(' ').map((id) => document.getElementById(id))).toEqual([header, screen.getByRole('rowheader', { name: 'Reason' })]);
    expect(screen.getByRole('link', { name: 'View raw message 17' }).getAttribute('href')).toBe('#/intake/raw/17');

    fireEvent.click(screen.getByRole('button', { name: 'Discard message 17' }));
    const dialog = await screen.findByRole('dialog', { name: 'Discard message from EHR | CLINIC?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Discard message' }));
    await waitFor(() => expect(vault.callsTo('discardQuarantined')).toEqual([[17]]));
    // Discarded items are hidden by default, and shown on request.
    await screen.findByText('Nothing is waiting in quarantine.');
    expect(screen.getByText(/was discarded/)).toBeTruthy();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Show discarded entries (1)' }));
    expect(quarantineEntries()[0]![6]).toBe('Discarded');
    expect(screen.queryByRole('button', { name: 'Reprocess message 17' })).toBeNull();
  });

  it('reprocesses with a chosen charset and shows the result', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const vault = createFakeVault({ phase: 'unlocked', quarantine: QUARANTINE });
    renderApp(node, '#/intake', vault);
    fireEvent.click(await screen.findByRole('button', { name: 'Reprocess message 17' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Charset when MSH-18 is empty'), { target: { value: '8859/1' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess message' }));
    await screen.findByText('Reprocessed: every message was stored.');
    expect(vault.callsTo('reprocessQuarantined')).toEqual([[17, { charset: '8859/1' }]]);
    // A reprocessed entry leaves the working list until asked for (H8 F14).
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Show reprocessed entries (1)' })).toBeTruthy());
    fireEvent.click(screen.getByRole('checkbox', { name: 'Show reprocessed entries (1)' }));
    expect(quarantineEntries()[0]![6]).toBe('Reprocessed');
  });

  it('reprocesses with a charset that overrides MSH-18 when asked to', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const vault = createFakeVault({ phase: 'unlocked', quarantine: QUARANTINE });
    renderApp(node, '#/intake', vault);
    fireEvent.click(await screen.findByRole('button', { name: 'Reprocess message 17' }));
    const dialog = await screen.findByRole('dialog');
    const override = within(dialog).getByRole('checkbox', { name: /Use this charset even when MSH-18 names another/ });
    expect((override as HTMLInputElement).disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Charset when MSH-18 is empty'), { target: { value: '8859/1' } });
    fireEvent.click(override);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess message' }));
    await screen.findByText('Reprocessed: every message was stored.');
    expect(vault.callsTo('reprocessQuarantined')).toEqual([[17, { charset: '8859/1', charsetOverride: true }]]);
  });

  it('edits a copy and reprocesses it: the edited bytes go to the vault, in the charset they were read with', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const latin1 = Uint8Array.from([...'MSH|^~\\&|EHR|CLINIC|||20250301||ADT^A01||P|2.5.1||||||8859/1\rPID|||1^^^H^MR||M\u00fcller^A\r'].map((c) => c.charCodeAt(0)));
    const vault = createFakeVault({ phase: 'unlocked', quarantine: [{ ...QUARANTINE[0]!, detail: { ...QUARANTINE[0]!.detail, charset: '8859/1' } }], raw: { 'q:17': latin1 } });
    renderApp(node, '#/intake', vault);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit and reprocess message 17' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit and reprocess message from EHR | CLINIC' });
    const box = (await within(dialog).findByLabelText('Message, one segment a line')) as HTMLTextAreaElement;
    expect(box.value).toBe('MSH|^~\\&|EHR|CLINIC|||20250301||ADT^A01||P|2.5.1||||||8859/1\nPID|||1^^^H^MR||Müller^A');
    fireEvent.change(box, { target: { value: box.value.replace('||ADT^A01||', '||ADT^A01|FIXED-1|') } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess the edited message' }));
    await screen.findByText('Reprocessed: every message was stored.');
    const [[seq, options]] = vault.callsTo('reprocessQuarantined') as [[number, { edited: Uint8Array; charset: string; charsetOverride: boolean }]];
    expect(seq).toBe(17);
    expect(options.charset).toBe('8859/1');
    expect(options.charsetOverride).toBe(true);
    expect([...options.edited].map((b) => String.fromCharCode(b)).join('')).toBe('MSH|^~\\&|EHR|CLINIC|||20250301||ADT^A01|FIXED-1|P|2.5.1||||||8859/1\rPID|||1^^^H^MR||M\u00fcller^A\r');
    // Opening the raw bytes to edit them goes through the journaled quarantine read.
    expect(vault.callsTo('openQuarantinedRaw')).toEqual([[17]]);
  });

  it('issue 11 tester #4: after "Reprocess the edited message" the waiting count follows at once, even while a sync of the views waits behind other work', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const raw = new TextEncoder().encode('MSH|^~\\&|EHR|CLINIC|||20250301||ADT^A01|E-1|P|9.9\rPID|||1^^^H^MR||Keller^A\r');
    const vault = createFakeVault({ phase: 'unlocked', quarantine: [QUARANTINE[0]!, { ...QUARANTINE[0]!, seq: 19 }], raw: { 'q:17': raw } });
    renderApp(node, '#/intake', vault);
    await screen.findByText(/2 are waiting\./);
    // The reprocess brought the views up to date itself; another sync (new messages arriving) is slow.
    vault.hold('sync');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit and reprocess message 17' }));
    const dialog = await screen.findByRole('dialog');
    const box = (await within(dialog).findByLabelText('Message, one segment a line')) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: box.value.replace('|P|9.9', '|P|2.5.1') } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess the edited message' }));
    await screen.findByText('Reprocessed: every message was stored.');
    await screen.findByText(/1 is waiting\./);
    vault.release('sync');
  });

  it('QA round 4 #1: reads a message quarantined for its charset as the charset chosen under "Read as", warns of "�" and refuses to send it unless kept', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const msh = 'MSH|^~\\&|QA11|CS-WARD|||20261206||ADT^A01|QA11-CS-2|P|2.5.1';
    const latin1 = Uint8Array.from([...`${msh}\rPID|1||7001^^^H^MR||Größe^Wiebke\rPV1|1|O\r`].map((c) => c.charCodeAt(0)));
    const reason = 'MSH-18: The bytes are not valid UNICODE UTF-8 (the default charset; MSH-18 is empty).';
    const vault = createFakeVault({ phase: 'unlocked', quarantine: [{ ...QUARANTINE[0]!, detail: { ...QUARANTINE[0]!.detail, reason, messageId: 'QA11-CS-2' } }], raw: { 'q:17': latin1 } });
    renderApp(node, '#/intake', vault);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit and reprocess message 17' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit and reprocess message QA11-CS-2' });
    const box = (await within(dialog).findByLabelText('Message, one segment a line')) as HTMLTextAreaElement;
    const readAs = within(dialog).getByLabelText('Read as') as HTMLSelectElement;
    expect(readAs.value).toBe('8859/1');
    expect(box.value).toBe(`${msh}\nPID|1||7001^^^H^MR||Größe^Wiebke\nPV1|1|O`);
    expect(within(dialog).queryByRole('alert')).toBeNull();
    const send = within(dialog).getByRole('button', { name: 'Reprocess the edited message' }) as HTMLButtonElement;
    expect(send.disabled).toBe(false);

    // Read as UTF-8: the Latin-1 bytes show as "�", said in a warning; the copy is not sent with them.
    fireEvent.change(readAs, { target: { value: 'UNICODE UTF-8' } });
    expect(box.value).toContain('Gr\uFFFD\uFFFDe^Wiebke');
    expect(within(dialog).getByRole('alert').textContent).toContain('2 characters could not be read as UNICODE UTF-8 and show as “�”');
    expect(send.disabled).toBe(true);
    expect(within(dialog).getByText(/choose another “Read as”, or tick the box to keep them/)).toBeTruthy();
    const keep = within(dialog).getByRole('checkbox', { name: /Keep the “�” characters/ });
    fireEvent.click(keep);
    expect(send.disabled).toBe(false);

    // Back to ISO 8859-1, edit, send: UTF-8 bytes whose MSH-18 says so, as the dialog announced.
    fireEvent.change(readAs, { target: { value: '8859/1' } });
    expect(within(dialog).queryByRole('alert')).toBeNull();
    fireEvent.change(box, { target: { value: box.value.replace('PV1|1|O', 'PV1|1|I') } });
    expect(within(dialog).getByText(/its MSH-18 is set to UNICODE UTF-8/)).toBeTruthy();
    fireEvent.click(send);
    await screen.findByText('Reprocessed: every message was stored.');
    const [[seq, options]] = vault.callsTo('reprocessQuarantined') as [[number, { edited: Uint8Array; charset: string; charsetOverride: boolean }]];
    expect(seq).toBe(17);
    expect(options).toMatchObject({ charset: 'UNICODE UTF-8', charsetOverride: true });
    expect(new TextDecoder('utf-8', { fatal: true }).decode(options.edited)).toBe(`${msh}||||||UNICODE UTF-8\rPID|1||7001^^^H^MR||Größe^Wiebke\rPV1|1|I\r`);
  });

  it('reprocesses and discards selected messages together, one journaled act each, and reports each outcome', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const entries = [17, 18, 19].map((seq) => ({ ...QUARANTINE[0]!, seq, detail: { ...QUARANTINE[0]!.detail, messageId: `Q-${seq}` } }));
    const vault = createFakeVault({ phase: 'unlocked', quarantine: entries });
    renderApp(node, '#/intake', vault);
    await screen.findByRole('table', { name: 'Quarantine' });
    expect((screen.getByRole('button', { name: 'Reprocess selected (0)…' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select message 17' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select message 19' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reprocess selected (2)…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reprocess 2 messages?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess 2 messages' }));
    await screen.findByText('2 of 2 reprocessed: 2 stored.');
    expect(vault.callsTo('reprocessQuarantined')).toEqual([[17, {}], [19, {}]]);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Select every waiting message' }));
    fireEvent.click(screen.getByRole('button', { name: 'Discard selected (1)…' }));
    const discard = await screen.findByRole('dialog', { name: 'Discard message Q-18?' });
    fireEvent.click(within(discard).getByRole('button', { name: 'Discard message' }));
    await screen.findByText('The quarantined message Q-18 was discarded.');
    expect(vault.callsTo('discardQuarantined')).toEqual([[18]]);
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Show reprocessed entries (2)' })).toBeTruthy());
    fireEvent.click(screen.getByRole('checkbox', { name: 'Show reprocessed entries (2)' }));
    expect(quarantineEntries().map((row) => row[6])).toEqual(['Reprocessed', 'Reprocessed']);
  });

  it('a quarantined DICOM instance is "View raw instance N" (QA s32 D4)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const instance: QuarantineEntry = { ...QUARANTINE[0]!, seq: 43, channel: 'dicom', detail: { type: 'quarantine', channel: 'dicom', disposition: 'rejected', reason: 'The file ends inside Pixel Data.', messageId: '1.2.826.0.1.3680043.8.498.43', acks: [] } };
    renderApp(node, '#/intake', createFakeVault({ phase: 'unlocked', quarantine: [instance] }));
    await screen.findByRole('table', { name: 'Quarantine' });
    expect(screen.getByRole('link', { name: 'View raw instance 43' }).getAttribute('href')).toBe('#/intake/raw/43');
  });

  it('reprocesses a quarantined DICOM instance through the DICOM intake (no charset, no edit); a device report offers only View raw and Discard', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const dicom: QuarantineEntry = { ...QUARANTINE[0]!, seq: 30, channel: 'dicom', detail: { type: 'quarantine', channel: 'dicom', disposition: 'rejected', reason: 'The dataset could not be parsed.', acks: [] } };
    const device: QuarantineEntry = { ...dicom, seq: 31, channel: 'devices', detail: { ...dicom.detail, channel: 'devices', reason: 'An APDU of an unknown choice.' } };
    const vault = createFakeVault({ phase: 'unlocked', quarantine: [device, dicom, QUARANTINE[0]!] });
    renderApp(node, '#/intake', vault);
    await screen.findByRole('table', { name: 'Quarantine' });
    for (const seq of [30, 31]) expect(screen.queryByRole('button', { name: `Edit and reprocess message ${seq}` })).toBeNull();
    // Their buttons name what they act on, as View raw does (T1 F11: "Discard message 30" for a DICOM file).
    expect(screen.getByRole('button', { name: 'Discard file 30' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Discard report 31' })).toBeTruthy();
    // View raw names what it opens, as the dialogs do (QA s32 D4: "View raw message" for an instance).
    expect(screen.getByRole('link', { name: 'View raw file 30' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'View raw report 31' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'View raw message 17' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Reprocess report 31' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Reprocess file 30' }));
    // DICOM bytes that named no instance are called a file (QA round 4 D8b: not a message).
    const single = await screen.findByRole('dialog', { name: /^Reprocess file from / });
    // No HL7 charset for a DICOM instance.
    expect(within(single).queryByLabelText('Charset when MSH-18 is empty')).toBeNull();
    fireEvent.click(within(single).getByRole('button', { name: 'Reprocess file' }));
    await screen.findByText('Reprocessed: the instance was stored.');
    expect(vault.callsTo('reprocessQuarantined')).toEqual([[30, {}]]);
    // Bulk reprocess takes the HL7 message and leaves the device report out.
    await waitFor(() => expect(screen.queryByRole('checkbox', { name: 'Select file 30' })).toBeNull());
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select every waiting message' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reprocess selected (1)…' }));
    const dialog = await screen.findByRole('dialog', { name: /^Reprocess message/ });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reprocess message' }));
    await waitFor(() => expect(vault.callsTo('reprocessQuarantined')).toEqual([[30, {}], [17, {}]]));
    await waitFor(() => expect(screen.queryByRole('checkbox', { name: 'Select message 17' })).toBeNull());
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select every waiting message' }));
    expect(screen.getByRole('button', { name: 'Discard selected (1)…' })).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Reprocess selected (0)…' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
