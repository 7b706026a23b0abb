// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { NetworkPreview, NetworkState } from '../../../../shared/ipc/network-contract';
import type { JoinInput, NetworkJoiner } from '../../../../renderer/network/network-join';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode, FakeRefusal, type FakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { emitEvent, renderApp } from '../../support/render-app';

const NODE = '0x1111111111111111111111111111111111111111';
const PREVIEW: NetworkPreview = {
  url: 'https://network.example.org',
  name: 'Alpine Health Network',
  address: '0x2222222222222222222222222222222222222222',
  chainId: 31337,
  fingerprint: '3F2A 9C01 77B0 12EE 0A0B 0C0D 0E0F 1011',
  epoch: 4,
  members: 3,
  minAppVersion: '0.1.0',
};
const PENDING: NetworkState = {
  url: PREVIEW.url,
  network: { name: PREVIEW.name, address: PREVIEW.address, chainId: PREVIEW.chainId, fingerprint: PREVIEW.fingerprint },
  node: NODE,
  roles: ['clinic'],
  status: 'pending',
  certificate: null,
  map: { epoch: 4, members: [{ address: '0x3333333333333333333333333333333333333333', legalName: 'Lakeside Research Institute', country: 'CH', roles: ['research'] }], witnessQuorum: 1, minAppVersion: '0.1.0', logKey: '' },
  joinedAt: '2026-12-04T10:00:00.000Z',
  lastContactAt: '2026-12-04T10:00:00.000Z',
  problem: null,
  sync: null,
};

function open(role: OperatorRole, node: FakeNode, joiner?: NetworkJoiner) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }] });
  renderApp(node, '#/settings', vault, undefined, joiner);
}

describe('Settings › Network', () => {
  it('shows the body’s refusal of the server URL at the field, with the field’s label (issue 11, Errors)', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('network.inspect', () => {
      throw new FakeRefusal('url: plain http:// is allowed only to this computer; use https://.');
    });
    open('admin', node);
    const section = await screen.findByRole('region', { name: 'Network' });
    const field = await within(section).findByLabelText('Server URL');
    fireEvent.change(field, { target: { value: 'http://network.example.org' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Check the network' }));
    const problem = await within(section).findByText('Server URL: plain http:// is allowed only to this computer; use https://.');
    expect(field.getAttribute('aria-describedby')!.split(' ')).toContain(problem.id);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(section.textContent).not.toContain('url:');
    // Typing again clears it.
    fireEvent.change(field, { target: { value: 'https://network.example.org' } });
    expect(within(section).queryByText(/^Server URL: plain http/)).toBeNull();
  });

  it('lets an administrator check a network, compare its fingerprint and send a join request signed by the node', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('network.inspect', () => ({ preview: PREVIEW }));
    const join = vi.fn(async (_input: JoinInput) => PENDING);
    open('admin', node, { join });
    const section = await screen.findByRole('region', { name: 'Network' });
    fireEvent.change(await within(section).findByLabelText('Server URL'), { target: { value: PREVIEW.url } });
    fireEvent.click(within(section).getByRole('button', { name: 'Check the network' }));
    expect(await within(section).findByText(PREVIEW.fingerprint)).toBeTruthy();
    expect(node.calls.find((c) => c.method === 'network.inspect')?.payload).toEqual({ url: PREVIEW.url });

    const send = within(section).getByRole('button', { name: 'Send the join request' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    fireEvent.change(within(section).getByLabelText('Institution’s legal name'), { target: { value: 'St. Example Clinic' } });
    fireEvent.change(within(section).getByLabelText('Country'), { target: { value: 'ch' } });
    // Not before the admin says they compared the fingerprint out of band.
    expect(send.disabled).toBe(true);
    fireEvent.click(within(section).getByRole('checkbox', { name: /I compared the fingerprint/ }));
    fireEvent.click(within(section).getByRole('checkbox', { name: /Witness/ }));
    expect(send.disabled).toBe(false);
    fireEvent.click(send);
    await waitFor(() => expect(join).toHaveBeenCalledTimes(1));
    expect(join.mock.calls[0]![0]).toEqual({ url: PREVIEW.url, fingerprint: PREVIEW.fingerprint, legalName: 'St. Example Clinic', country: 'ch', roles: ['clinic', 'witness'] });
    expect(await within(section).findByText('Waiting for the network operator’s approval')).toBeTruthy();
    expect(within(section).getByRole('table', { name: /Members/ }).textContent).toContain('Lakeside Research Institute');
  });

  it('shows the membership, follows network.changed, and raises the alarm the body recorded', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, network: PENDING });
    open('clinician', node);
    const section = await screen.findByRole('region', { name: 'Network' });
    expect(await within(section).findByText(PREVIEW.fingerprint)).toBeTruthy();
    expect(within(section).getByText('Waiting for the network operator’s approval')).toBeTruthy();
    expect(within(section).queryByRole('alert')).toBeNull();
    const alarmed: NetworkState = { ...PENDING, status: 'approved', problem: 'Alarm: the server sent a network document that does not verify against the key pinned at join (signature).' };
    emitEvent(node, 'network.changed', { state: alarmed });
    expect((await within(section).findByRole('alert')).textContent).toMatch(/does not verify against the key pinned at join/);
    expect(within(section).getByText('Member')).toBeTruthy();
  });

  it('shows the ledger notarization and an alarm when the notary showed a split view', async () => {
    const node = createFakeNode({
      vault: { state: 'unlocked' },
      network: { ...PENDING, status: 'approved', sync: { notarizedSeq: 12, queued: 3, checkpointSize: 40, lastSyncAt: '2026-12-04T11:00:00.000Z', problem: null, alarm: false } },
    });
    open('clinician', node);
    const section = await screen.findByRole('region', { name: 'Network' });
    expect(await within(section).findByText(/12 entries notarized, 3 waiting; last checkpoint of 40 leaves/)).toBeTruthy();
    emitEvent(node, 'network.changed', {
      state: { ...PENDING, status: 'approved', sync: { notarizedSeq: 12, queued: 3, checkpointSize: 40, lastSyncAt: null, problem: 'Alarm: the notary showed two checkpoints that do not extend one another.', alarm: true } },
    });
    expect((await within(section).findByRole('alert')).textContent).toMatch(/two checkpoints that do not extend one another/);
  });

  it('tells a non-administrator that the node has not joined, and offers no form', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    open('clinician', node);
    const section = await screen.findByRole('region', { name: 'Network' });
    expect(await within(section).findByText(/This node has not joined a network/)).toBeTruthy();
    expect(within(section).queryByLabelText('Server URL')).toBeNull();
  });
});
