// @vitest-environment happy-dom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { addressAdvice, sendCommand, sendCommandNc, testMessage } from '../../../../renderer/features/intake/first-feed';
import type { IntakeStatus } from '../../../../shared/ipc/intake-contract';
import type { MessageSummary } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const LISTENING: IntakeStatus = {
  listeners: [
    { channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 },
    { channel: 'file-import', state: 'listening' },
  ],
} as IntakeStatus;

const FIRST: MessageSummary = {
  seq: 3,
  at: '2025-03-01T08:00:00.000Z',
  receivedAt: '2025-03-01T08:00:00.000Z',
  kind: 'intake.hl7',
  channel: 'hl7-mllp',
  status: 'accepted',
  sender: 'TESTSENDER|TESTFACILITY',
  controlId: 'HDMS-TEST-1',
  messageType: 'ADT^A04^ADT_A01',
  acks: ['AA'],
  objectId: 'a'.repeat(64),
  patientId: 'p-1',
};

function node() {
  const fake = createFakeNode({ vault: { state: 'unlocked' } });
  fake.state.intake = LISTENING;
  return fake;
}

describe('Connect your first feed', () => {
  it('bound to 0.0.0.0, lists this computer\'s addresses and keeps the test commands with the first one (QA s32 #8)', async () => {
    const fake = node();
    fake.state.intake = { listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '0.0.0.0', port: 2575, addresses: ['192.168.1.20', '10.0.5.7', '127.0.0.1'] }] } as IntakeStatus;
    renderApp(fake, '#/intake/first-feed', createFakeVault({ phase: 'unlocked' }));
    const address = await screen.findByRole('region', { name: '1. Give the sending system this address' });
    expect(await within(address).findByText('192.168.1.20')).toBeTruthy();
    expect(address.textContent).toContain('Other addresses of this computer: 10.0.5.7, 127.0.0.1');
    expect(address.textContent).not.toContain('This computer’s network address');
    expect(screen.getByLabelText('Command that sends the test message').textContent).toContain('/dev/tcp/192.168.1.20/2575');
  });

  it('gives the host and port, a test message to copy, waits for the first message and shows it as it arrives', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node(), '#/intake/first-feed', vault);
    await screen.findByRole('heading', { name: 'Connect your first feed' });
    expect(await screen.findByText('2575')).toBeTruthy();
    expect(screen.getByText('127.0.0.1')).toBeTruthy();
    expect(screen.getByText(/from this computer only/)).toBeTruthy();
    expect(screen.getByLabelText('Test message').textContent).toMatch(/^MSH\|\^~\\&\|TESTSENDER\|TESTFACILITY\|HDMS\|NODE\|\d{14}\|\|ADT\^A04\^ADT_A01\|HDMS-TEST-\d{14}\|P\|2\.5\.1\nEVN/);
    expect(screen.getByRole('button', { name: 'Copy the test message' })).toBeTruthy();
    // bash alone (QA11 D4: nc is not on Debian by default), and the netcat form beside it.
    expect(screen.getByLabelText('Command that sends the test message').textContent).toMatch(/^\(exec 3<>\/dev\/tcp\/127\.0\.0\.1\/2575 && printf '\\x0bMSH\|.*\\x1c\\r' >&3 && read -r -t 5 -d \$'\\x1c' ack <&3; printf '%s\\n' "\$\{ack\/\/\$'\\r'\/\$'\\n'\}"\)$/);
    expect(screen.getByLabelText('Command that sends the test message with netcat').textContent).toMatch(/^printf '\\x0bMSH\|.*\\x1c\\r' \| nc -q 2 127\.0\.0\.1 2575$/);
    await screen.findByText(/Waiting for the first message/);
    // An empty vault and an administrator: demo data is offered.
    expect(screen.getByRole('form', { name: 'Import demo data' })).toBeTruthy();

    vault.messageRows = [FIRST];
    act(() => vault.setIndexing({ busy: true, applied: 3 }));
    act(() => vault.setIndexing({ busy: false }));
    await screen.findByText('The first message arrived:');
    expect(screen.getByText('HDMS-TEST-1')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Open it in the message browser' }).getAttribute('href')).toBe('#/intake/messages/3');
    // No longer empty: no demo data.
    expect(screen.queryByRole('form', { name: 'Import demo data' })).toBeNull();
  });

  it('offers demo data to administrators only, and only while the vault is empty', async () => {
    renderApp(node(), '#/intake/first-feed', createFakeVault({ phase: 'unlocked', operators: [{ name: 'Cleo', role: 'clinician', passphrase: 'x'.repeat(20) }] }));
    await screen.findByText(/Waiting for the first message/);
    expect(screen.queryByRole('form', { name: 'Import demo data' })).toBeNull();
  });

  it('tells a clinician on the empty Patients page that only an administrator imports demo data', async () => {
    renderApp(node(), '#/patients', createFakeVault({ phase: 'unlocked', operators: [{ name: 'Cleo', role: 'clinician', passphrase: 'x'.repeat(20) }] }));
    await screen.findByText('Only an administrator can import demo data.');
    expect(screen.queryByRole('form', { name: 'Import demo data' })).toBeNull();
  });

  it('Settings offers demo data only while the vault is empty', async () => {
    renderApp(node(), '#/settings', createFakeVault({ phase: 'unlocked', patients: [makePatient(1)] }));
    await screen.findByText('This vault holds messages or patients already: demo data can only be imported into an empty vault.');
    expect(screen.queryByRole('form', { name: 'Import demo data' })).toBeNull();
  });

  it('offers no demo data over patients already in the vault', async () => {
    renderApp(node(), '#/intake/first-feed', createFakeVault({ phase: 'unlocked', patients: [makePatient(1)] }));
    await screen.findByText(/Waiting for the first message/);
    expect(screen.queryByRole('form', { name: 'Import demo data' })).toBeNull();
  });

  // Tester S35 #4: with `--mllp-port 0` the page still said it was waiting for the first message.
  it('with the listener turned off for this run (--mllp-port 0), says so and how to turn it on, and waits for no message', async () => {
    const fake = node();
    fake.state.intake = { listeners: [{ channel: 'hl7-mllp', state: 'closed', off: 'command-line', reason: 'The HL7 listener is turned off for this run (started with --mllp-port 0).' }] } as IntakeStatus;
    renderApp(fake, '#/intake/first-feed', createFakeVault({ phase: 'unlocked' }));
    const address = await screen.findByRole('region', { name: '1. Give the sending system this address' });
    await waitFor(() => expect(address.textContent).toContain('The HL7 listener is turned off for this run: the node was started with --mllp-port 0.'));
    expect(address.textContent).toContain('start the node again with --mllp-port 2575');
    expect(address.textContent).not.toContain('This computer’s network address');
    const arrived = screen.getByRole('region', { name: '3. The first message' });
    await waitFor(() => expect(arrived.textContent).toContain('No message can arrive over MLLP while the HL7 listener is turned off'));
    expect(arrived.textContent).not.toMatch(/Waiting/);
    expect(screen.queryByLabelText('Command that sends the test message')).toBeNull();
  });

  it('with the listener turned off in the settings (port 0), says where to turn it on', async () => {
    const fake = node();
    fake.state.intake = { listeners: [{ channel: 'hl7-mllp', state: 'closed', off: 'settings', reason: 'The HL7 listener is turned off in the intake settings (port 0).' }] } as IntakeStatus;
    renderApp(fake, '#/intake/first-feed', createFakeVault({ phase: 'unlocked' }));
    const address = await screen.findByRole('region', { name: '1. Give the sending system this address' });
    await waitFor(() => expect(address.textContent).toContain('The HL7 listener is turned off: its port is 0 in Settings → HL7 listener.'));
    expect(screen.getByRole('region', { name: '3. The first message' }).textContent).not.toMatch(/Waiting/);
  });

  it('says what to give for each kind of bind address, and builds the test message and command', () => {
    expect(addressAdvice({ channel: 'hl7-mllp', state: 'closed', reason: 'No vault yet.' })).toEqual({ host: null, port: null, note: 'The HL7 listener is not listening: No vault yet.' });
    expect(addressAdvice({ channel: 'hl7-mllp', state: 'listening', address: '0.0.0.0', port: 2575 })).toMatchObject({ host: null, port: 2575 });
    expect(addressAdvice({ channel: 'hl7-mllp', state: 'listening', address: '192.168.1.20', port: 2575 })).toMatchObject({ host: '192.168.1.20', port: 2575 });
    // Bound to every address, the node names this computer's (QA s32 #8): the first is the host to give.
    expect(addressAdvice({ channel: 'hl7-mllp', state: 'listening', address: '0.0.0.0', port: 2575, addresses: ['192.168.1.20', '10.0.5.7', '127.0.0.1'] })).toMatchObject({
      host: '192.168.1.20',
      others: ['10.0.5.7', '127.0.0.1'],
      port: 2575,
    });
    const message = testMessage(new Date('2026-01-02T03:04:05Z'));
    expect(message.split('\r')[0]).toBe('MSH|^~\\&|TESTSENDER|TESTFACILITY|HDMS|NODE|20260102030405||ADT^A04^ADT_A01|HDMS-TEST-20260102030405|P|2.5.1');
    expect(sendCommandNc('A\\B\rC', 'h', 1)).toBe("printf '\\x0bA\\\\B\\rC\\x1c\\r' | nc -q 2 h 1");
    expect(sendCommand('A\\B\rC', 'h', 1)).toBe(`(exec 3<>/dev/tcp/h/1 && printf '\\x0bA\\\\B\\rC\\x1c\\r' >&3 && read -r -t 5 -d $'\\x1c' ack <&3; printf '%s\\n' "\${ack//$'\\r'/$'\\n'}")`);
  });
});
