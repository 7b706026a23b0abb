// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode, FakeRefusal } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

async function renderListenerSettings(node = createFakeNode({ vault: { state: 'unlocked' } })) {
  renderApp(node, '#/settings');
  const section = await screen.findByRole('region', { name: 'HL7 listener' });
  await within(section).findByLabelText('Port');
  return { node, section };
}

describe('Settings › HL7 listener', () => {
  it('shows the saved settings and explains the allow-list for LAN addresses', async () => {
    const { section } = await renderListenerSettings();
    expect((within(section).getByLabelText('Port') as HTMLInputElement).value).toBe('2575');
    expect((within(section).getByLabelText('Bind address') as HTMLInputElement).value).toBe('127.0.0.1');
    expect((within(section).getByLabelText('Maximum message size (MiB)') as HTMLInputElement).value).toBe('16');
    const charset = within(section).getByLabelText('Default charset') as HTMLSelectElement;
    expect(charset.value).toBe('UNICODE UTF-8');
    expect([...charset.options].map((o) => o.value)).toContain('8859/1');
    expect(section.textContent).toContain('Binding to a network (LAN) address requires an allow-list');
  });

  it('saves port, bind address, peers (one per line), size and charset', async () => {
    const { node, section } = await renderListenerSettings();
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: '2600' } });
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '192.168.1.20' } });
    fireEvent.change(within(section).getByLabelText('Allowed peers'), { target: { value: '192.168.1.5\n\n 192.168.1.6 \n' } });
    fireEvent.change(within(section).getByLabelText('Maximum message size (MiB)'), { target: { value: '4' } });
    fireEvent.change(within(section).getByLabelText('Default charset'), { target: { value: '8859/1' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    await within(section).findByText('Listener settings saved.');
    expect(node.calls.filter((c) => c.method === 'hl7.updateSettings').map((c) => c.payload)).toEqual([
      { port: 2600, bindAddress: '192.168.1.20', allowedPeers: ['192.168.1.5', '192.168.1.6'], maxMessageBytes: 4 * 1024 * 1024, defaultCharset: '8859/1' },
    ]);
    expect(section.textContent).toContain('Now: Listening on 192.168.1.20, port 2600.');
  });

  it('shows the body’s validation error', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('hl7.updateSettings', () => {
      throw new FakeRefusal('A LAN bind address needs at least one allowed peer.');
    });
    const { section } = await renderListenerSettings(node);
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '10.0.0.2' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    const alert = await within(section).findByRole('alert');
    expect(alert.textContent).toBe('A LAN bind address needs at least one allowed peer.');
  });

  it('shows the body’s refusal of a bind address this computer does not have under the Bind address field (QA12 D2)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const text = 'Bind address: 10.9.9.9 is not an address of this computer, so nothing could connect to it. Use 127.0.0.1 (this computer only), 0.0.0.0 (every network of this computer) or one of its addresses: 192.168.1.20.';
    node.handle('hl7.updateSettings', () => {
      throw new FakeRefusal(text);
    });
    const { section } = await renderListenerSettings(node);
    fireEvent.change(within(section).getByLabelText('Bind address'), { target: { value: '10.9.9.9' } });
    fireEvent.change(within(section).getByLabelText('Allowed peers'), { target: { value: '10.9.9.9' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    const field = within(section).getByLabelText('Bind address');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect((field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent)).toContain(text);
    expect(section.textContent!.split('is not an address of this computer').length).toBe(2);
  });

  it('keeps the form from being sent with a port that is not a number', async () => {
    const { node, section } = await renderListenerSettings();
    fireEvent.change(within(section).getByLabelText('Port'), { target: { value: 'abc' } });
    const button = within(section).getByRole('button', { name: 'Save listener settings' });
    // The forms rule (README, QA2-11 Q4): enabled while the field says its problem, until a try to send.
    expect((button as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(button);
    expect((button as HTMLButtonElement).disabled).toBe(true);
    const reason = (button.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(reason).toContain('Port: a whole number from 0 to 65535.');
    // Under the field, read out with it.
    const port = within(section).getByLabelText('Port');
    expect(port.getAttribute('aria-invalid')).toBe('true');
    const described = port.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain('Port: a whole number from 0 to 65535.');
    expect(node.calls.some((c) => c.method === 'hl7.updateSettings')).toBe(false);
  });

  it('names the field and the line of a peer that is not an IP address, before anything is sent (issue 11, Errors)', async () => {
    const { node, section } = await renderListenerSettings();
    fireEvent.change(within(section).getByLabelText('Allowed peers'), { target: { value: '192.168.1.5\nlab-server\n' } });
    fireEvent.change(within(section).getByLabelText('Maximum message size (MiB)'), { target: { value: '64' } });
    const describedBy = (label: string) =>
      within(section)
        .getByLabelText(label)
        .getAttribute('aria-describedby')!
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent);
    expect(describedBy('Allowed peers')).toContain('Allowed peers, line 2: is not an IP address.');
    // Every bad line at once (QA s35 T2 F12: one per save).
    fireEvent.change(within(section).getByLabelText('Allowed peers'), { target: { value: '192.0.2.10\nnot-an-ip\n300.1.1.1' } });
    expect(describedBy('Allowed peers')).toContain('Allowed peers, line 2: is not an IP address; line 3: is not an IP address.');
    expect(describedBy('Maximum message size (MiB)')).toContain('Maximum message size (MiB): must be at most 16 MiB.');
    expect(within(section).getByLabelText('Allowed peers').getAttribute('aria-invalid')).toBe('true');
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    expect((within(section).getByRole('button', { name: 'Save listener settings' }) as HTMLButtonElement).disabled).toBe(true);
    expect(section.textContent).not.toMatch(/invalid_union|too_big|allowedPeers|maxMessageBytes/);
    expect(node.calls.some((c) => c.method === 'hl7.updateSettings')).toBe(false);
  });

  it('says the smallest message size in the field\'s own unit, MiB (0 gave "at least 1 KiB")', async () => {
    const { node, section } = await renderListenerSettings();
    const field = within(section).getByLabelText('Maximum message size (MiB)');
    fireEvent.change(field, { target: { value: '0' } });
    const problems = field
      .getAttribute('aria-describedby')!
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(problems).toContain('Maximum message size (MiB): must be at least 0.001 MiB.');
    expect(section.textContent).not.toContain('KiB');
    // 0.001 MiB, as the message says, is accepted: it is sent as bytes the contract takes.
    fireEvent.change(field, { target: { value: '0.001' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    await within(section).findByText('Listener settings saved.');
    expect(node.calls.filter((c) => c.method === 'hl7.updateSettings').map((c) => (c.payload as { maxMessageBytes: number }).maxMessageBytes)).toEqual([1049]);
  });

  it('puts a schema refusal from the body in words at its field, never the raw text', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('hl7.updateSettings', () => {
      throw new FakeRefusal('Invalid request for hl7.updateSettings: allowedPeers.1: invalid_union.');
    });
    const { section } = await renderListenerSettings(node);
    fireEvent.change(within(section).getByLabelText('Allowed peers'), { target: { value: '192.168.1.5\n192.168.1.6' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Save listener settings' }));
    expect(await within(section).findByText('Allowed peers, line 2: is not an IP address.')).toBeTruthy();
    expect(section.textContent).not.toContain('Invalid request');
    expect(section.textContent).not.toContain('invalid_union');
  });

  it('is for administrators only', async () => {
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault);
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    await waitFor(() => expect(screen.queryByRole('region', { name: 'HL7 listener' })).toBeNull());
  });
});
