// @vitest-environment happy-dom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** The areas a role's keys open (design §3): researchers and auditors hold no key to patient data. */
function openAs(role: OperatorRole, hash: string) {
  const vault = createFakeVault({
    phase: 'unlocked',
    operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }],
    patients: [makePatient(1, { name: { family: 'Müller', given: ['Zoë'] } }, [])],
  });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault);
  return vault;
}

const navNames = () =>
  within(screen.getByRole('navigation', { name: 'Areas' }))
    .getAllByRole('link')
    .map((link) => link.textContent);

describe('Areas by role', () => {
  it.each([
    ['admin', ['Intake', 'Patients', 'Imaging', 'Devices', 'Marketplace', 'Ledger', 'Settings']],
    ['clinician', ['Intake', 'Patients', 'Imaging', 'Devices', 'Marketplace', 'Ledger', 'Settings']],
    ['researcher', ['Marketplace', 'Ledger', 'Settings']],
    ['auditor', ['Ledger', 'Settings']],
  ] as const)('shows a %s the areas their keys open', async (role, areas) => {
    openAs(role, '#/settings');
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    expect(navNames()).toEqual(areas);
  });

  it.each([
    ['researcher', '#/marketplace', 'Marketplace'],
    ['auditor', '#/ledger', 'Ledger'],
  ] as const)('takes a %s from an area their role does not open (what the last operator left) to their first area', async (role, hash, title) => {
    openAs(role, '#/patients');
    await waitFor(() => expect(window.location.hash).toBe(hash));
    expect(await screen.findByRole('heading', { level: 1, name: title })).toBeTruthy();
  });

  it.each(['researcher', 'auditor'] as const)('tells a %s who opens a patient address that their role does not open it, and shows nothing of the patient', async (role) => {
    const vault = openAs(role, '#/patients/p-1');
    const note = await screen.findByRole('note');
    expect(note.textContent).toMatch(new RegExp(`Your role \\(${role}\\) does not open this area`));
    expect(within(note).getByRole('link', { name: role === 'researcher' ? 'Go to Marketplace' : 'Go to Ledger' })).toBeTruthy();
    expect(document.body.textContent).not.toContain('Müller');
    expect(vault.callsTo('openPatient')).toEqual([]);
  });
});
