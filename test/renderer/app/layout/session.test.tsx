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

// No decode worker in happy-dom; the study viewer's page asks it for nothing here (its study does not open).
const decoder = vi.hoisted(() => ({ warm: vi.fn(), reset: vi.fn(async () => undefined), overview: vi.fn(), frame: vi.fn(), tags: vi.fn() }));
vi.mock('../../../../renderer/features/imaging/viewer/decode-client', () => ({ sharedDecodeClient: () => decoder }));

afterEach(() => {
  vi.useRealTimers();
});

const ADA = { name: 'Ada Admin', role: 'admin' as const, passphrase: 'ada-passphrase-long' };
const CARL = { name: 'Carl Clinician', role: 'clinician' as const, passphrase: 'carl-passphrase-long' };
const OTTO = { name: 'Otto Auditor', role: 'auditor' as const, passphrase: 'otto-passphrase-long' };
const TWO_CLINICAL = [ADA, CARL];

/** Opens as its first operator (Ada), with a patient, a record, a message of hers. */
function vaultOf(operators: readonly (typeof ADA | typeof CARL | typeof OTTO)[], phase: 'unlocked' | 'locked' = 'unlocked') {
  return createFakeVault({
    phase,
    operators,
    patients: [
      makePatient(1, { name: { family: 'Müller', given: ['Zoë'] } }, [
        row('r1', lab('2345-7', 'Glucose', 7.9, 'mmol/L', '2025-03-01T08:15:00+01:00', ['H'], '3.9-5.5')),
      ]),
    ],
  });
}

async function unlockAs(operator: { name: string; passphrase: string }): Promise<void> {
  await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
  const select = (await screen.findByRole('combobox', { name: 'Operator' })) as HTMLSelectElement;
  const option = [...select.options].find((o) => o.textContent?.startsWith(operator.name))!;
  fireEvent.change(select, { target: { value: option.value } });
  fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: operator.passphrase } });
  fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
}

/** Lets the pages' effects and reads run (an open would have been called by now). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
}

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
    // The address names no patient while locked: the next operator does not start on this one (T1 S35 F14).
    expect(window.location.hash).toBe('#/');
    expect(screen.queryByRole('button', { name: 'Lock' })).toBeNull();
  });

  it('"Lock" then another operator: their role\'s start page, nothing of the first operator\'s opened in their name (T1 S35 F14)', async () => {
    // Each page the tester tried: a study in the viewer, a patient, a record, a message's page.
    const pages = [
      { hash: '#/imaging/studies/st-1', opens: 'openStudy' },
      { hash: '#/patients/p-1', opens: 'openPatient' },
      { hash: '#/patients/p-1/records/r1', opens: 'openRecord' },
      { hash: '#/intake/messages/12', opens: 'openMessage' },
    ] as const;
    for (const [index, { hash, opens }] of pages.entries()) {
      const vault = vaultOf(TWO_CLINICAL);
      const { unmount } = renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
      await waitFor(() => expect(vault.callsTo(opens)).toHaveLength(1));
      // Admin → clinician by the header's Lock, clinician → admin by the idle auto-lock.
      const [first, next] = index % 2 === 0 ? [ADA, CARL] : [CARL, ADA];
      if (first === CARL) {
        fireEvent.click(within(screen.getByRole('banner')).getByRole('button', { name: 'Lock' }));
        await unlockAs(CARL);
        await screen.findByRole('heading', { level: 1, name: 'Patients' }); // a clinician's start page (H8 F18)
        act(() => {
          window.location.hash = hash; // Carl opens the page himself
        });
        await waitFor(() => expect(vault.callsTo(opens)).toHaveLength(2));
      }
      if (index % 2 === 0) fireEvent.click(within(screen.getByRole('banner')).getByRole('button', { name: 'Lock' }));
      else act(() => vault.autoLock());
      await unlockAs(next);
      // The role's start page: an administrator's is Intake, a clinician's Patients (H8 F18).
      const start = next === CARL ? { name: 'Patients', hash: '#/patients' } : { name: 'Intake', hash: '#/intake' };
      expect(await screen.findByRole('heading', { level: 1, name: start.name })).toBeTruthy();
      expect(window.location.hash).toBe(start.hash);
      await settle();
      expect(vault.callsTo(opens)).toHaveLength(first === CARL ? 2 : 1);
      unmount();
    }
  });

  it('lock and unlock by the same operator return to the page that was open: a study, a message', async () => {
    for (const [hash, opens] of [
      ['#/imaging/studies/st-1', 'openStudy'],
      ['#/intake/messages/12', 'openMessage'],
      ['#/patients/p-1/records/r1', 'openRecord'],
    ] as const) {
      const vault = vaultOf(TWO_CLINICAL);
      const { unmount } = renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
      await waitFor(() => expect(vault.callsTo(opens)).toHaveLength(1));
      act(() => vault.autoLock());
      await unlockAs(ADA);
      await waitFor(() => expect(window.location.hash).toBe(hash));
      await waitFor(() => expect(vault.callsTo(opens)).toHaveLength(2));
      unmount();
    }
  });

  it('an auditor who unlocks after an administrator starts on the Ledger, not on the study', async () => {
    const vault = vaultOf([...TWO_CLINICAL, OTTO]);
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging/studies/st-1', vault);
    await waitFor(() => expect(vault.callsTo('openStudy')).toHaveLength(1));
    fireEvent.click(within(screen.getByRole('banner')).getByRole('button', { name: 'Lock' }));
    await unlockAs(OTTO);
    expect(await screen.findByRole('heading', { level: 1, name: 'Ledger' })).toBeTruthy();
    await settle();
    expect(vault.callsTo('openStudy')).toHaveLength(1);
    expect(screen.queryByText(/does not open this area/)).toBeNull();
  });

  it('after a reload the address of a study or message opens nothing for whoever unlocks', async () => {
    for (const [hash, opens] of [
      ['#/imaging/studies/st-1', 'openStudy'],
      ['#/intake/messages/12', 'openMessage'],
      ['#/patients/p-1', 'openPatient'],
    ] as const) {
      const vault = vaultOf(TWO_CLINICAL, 'locked');
      const { unmount } = renderApp(createFakeNode({ vault: { state: 'locked' } }), hash, vault);
      await unlockAs(ADA);
      expect(await screen.findByRole('heading', { level: 1, name: 'Intake' })).toBeTruthy();
      await settle();
      expect(vault.callsTo(opens)).toHaveLength(0);
      unmount();
    }
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
