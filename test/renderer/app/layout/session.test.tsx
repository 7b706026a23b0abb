// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACTIVITY_THROTTLE_MS } from '../../../../renderer/app/layout/use-activity-report';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { lab, row } from '../../support/clinical-fixtures';
import { renderApp } from '../../support/render-app';

function openVault() {
  return createFakeVault({
    phase: 'unlocked',
    patients: [
      makePatient(1, { name: { family: 'Müller', given: ['Zoë'] } }, [
        row('r1', lab('2345-7', 'Glucose', 7.9, 'mmol/L', '2025-03-01T08:15:00+01:00', ['H'], '3.9-5.5')),
      ]),
    ],
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Session: Lock and auto-lock', () => {
  it('"Lock" in the header locks the vault, shows the unlock screen and leaves no patient data in the page', async () => {
    const vault = openVault();
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-1', vault);
    expect(await screen.findByRole('heading', { level: 2, name: 'Müller, Zoë' })).toBeTruthy();
    expect(document.body.textContent).toContain('MRN00000001');

    fireEvent.click(within(screen.getByRole('banner')).getByRole('button', { name: 'Lock' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' })).toBeTruthy();
    expect(vault.phase()).toBe('locked');
    for (const secret of ['Müller', 'Zoë', 'MRN00000001', 'Glucose', '1980-02-01']) {
      expect(document.body.innerHTML).not.toContain(secret);
    }
    // The next operator starts from the list, not from the previous operator's patient.
    expect(window.location.hash).toBe('#/patients');
    expect(screen.queryByRole('button', { name: 'Lock' })).toBeNull();
  });

  it('follows a lock that comes from the vault itself (auto-lock)', async () => {
    const vault = openVault();
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients', vault);
    await screen.findByRole('searchbox', { name: 'Search records' });
    act(() => vault.autoLock());
    expect(await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' })).toBeTruthy();
    expect(screen.queryByRole('searchbox')).toBeNull();
  });

  it('reports pointer and key activity to the vault, throttled', async () => {
    const vault = openVault();
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault);
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T10:00:00Z'));
    fireEvent.pointerDown(document.body);
    fireEvent.keyDown(document.body, { key: 'a' });
    fireEvent.pointerDown(document.body);
    expect(vault.callsTo('noteActivity')).toHaveLength(1);
    vi.setSystemTime(new Date(Date.now() + ACTIVITY_THROTTLE_MS + 1));
    fireEvent.keyDown(document.body, { key: 'b' });
    expect(vault.callsTo('noteActivity')).toHaveLength(2);
  });

  it('stops listening to the vault and to activity once the app is gone', async () => {
    const vault = openVault();
    const { unmount } = renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake', vault);
    await screen.findByRole('heading', { level: 1, name: 'Intake' });
    expect(vault.listenerCount()).toBeGreaterThan(0);
    unmount();
    await waitFor(() => expect(vault.listenerCount()).toBe(0));
    fireEvent.pointerDown(document.body);
    expect(vault.callsTo('noteActivity')).toHaveLength(0);
  });
});
