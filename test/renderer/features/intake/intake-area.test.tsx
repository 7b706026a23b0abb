// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode, NO_VAULT_REASON } from '../../support/fake-transport';
import { emitEvent, renderApp } from '../../support/render-app';

function rows(): string[][] {
  const table = screen.getByRole('table', { name: 'Listeners' });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

describe('Intake area', () => {
  it('lists every listener with a human channel name, its state and the reason', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake');
    await screen.findByRole('table', { name: 'Listeners' });
    expect(rows()).toEqual([
      ['HL7 v2 over MLLP', 'Closed', NO_VAULT_REASON],
      ['DICOM', 'Closed', NO_VAULT_REASON],
      ['Devices (IEEE 11073)', 'Closed', NO_VAULT_REASON],
      ['File import', 'Closed', NO_VAULT_REASON],
    ]);
    expect(screen.getByRole('heading', { level: 2, name: 'Intake monitor: coming in a later release' })).toBeTruthy();
  });

  it('follows intake.statusChanged live', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Listeners' });

    emitEvent(node, 'intake.statusChanged', {
      listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 }],
    });
    expect(rows()).toEqual([['HL7 v2 over MLLP', 'Listening', 'Listening on 127.0.0.1, port 2575.']]);
  });

  it('says so when the status cannot be loaded', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.failWith('intake.status', { code: 'E_INTERNAL', message: 'Intake status is unavailable.' });
    renderApp(node, '#/intake');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('The listener status could not be loaded: Intake status is unavailable.');
  });

  it('stops listening when the area closes', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const { unmount } = renderApp(node, '#/intake');
    await screen.findByRole('table', { name: 'Listeners' });
    expect(node.subscriberCount('intake.statusChanged')).toBe(1);
    unmount();
    expect(node.subscriberCount('intake.statusChanged')).toBe(0);
  });
});
