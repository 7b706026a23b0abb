// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const GOOD = 'correct horse battery staple';
const AUTO = 'Unlock automatically on this computer';

function type(label: string, value: string, scope: HTMLElement): void {
  fireEvent.change(within(scope).getByLabelText(label), { target: { value } });
}

async function openSetup(keychainAvailable: boolean) {
  const vault = createFakeVault({ keychainAvailable });
  renderApp(createFakeNode(), '', vault);
  const section = await screen.findByRole('region', { name: 'Create the vault' });
  await waitFor(() => expect(vault.callsTo('autoUnlockAvailable')).toHaveLength(1));
  return { vault, section };
}

function fillAndCreate(section: HTMLElement): void {
  type('Your name', 'Ada Lovelace', section);
  type('Passphrase', GOOD, section);
  type('Confirm passphrase', GOOD, section);
  fireEvent.click(within(section).getByRole('button', { name: 'Create vault' }));
}

describe('Create the vault › Unlock automatically on this computer', () => {
  it('is absent where the host has no OS keychain (the browser shell)', async () => {
    const { vault, section } = await openSetup(false);
    // Let the answer render before asserting absence.
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(within(section).queryByRole('checkbox', { name: AUTO })).toBeNull();
    expect(section.textContent).not.toContain('opens the vault by itself');
    fillAndCreate(section);
    await screen.findByRole('heading', { level: 1, name: 'Save your recovery key' });
    expect(vault.callsTo('create')).toEqual([[{ operatorName: 'Ada Lovelace', passphrase: GOOD }]]);
    expect(vault.autoUnlockEnabled()).toBe(false);
  });

  it('is offered with its trade-off where the host has one; ticked, the vault is created with it on', async () => {
    const { vault, section } = await openSetup(true);
    const box = (await within(section).findByRole('checkbox', { name: AUTO })) as HTMLInputElement;
    expect(box.checked).toBe(false);
    const description = document.getElementById(box.getAttribute('aria-describedby') ?? '')?.textContent ?? '';
    expect(description).toMatch(/opens the vault by itself/);
    expect(description).toMatch(/nobody present/);

    fireEvent.click(box);
    expect(box.checked).toBe(true);
    fillAndCreate(section);
    await screen.findByRole('heading', { level: 1, name: 'Save your recovery key' });
    expect(vault.callsTo('create')).toEqual([[{ operatorName: 'Ada Lovelace', passphrase: GOOD, autoUnlock: true }]]);
    expect(vault.autoUnlockEnabled()).toBe(true);
  });

  it('left unticked, creates the vault without it', async () => {
    const { vault, section } = await openSetup(true);
    await within(section).findByRole('checkbox', { name: AUTO });
    fillAndCreate(section);
    await screen.findByRole('heading', { level: 1, name: 'Save your recovery key' });
    expect(vault.callsTo('create')).toEqual([[{ operatorName: 'Ada Lovelace', passphrase: GOOD }]]);
    expect(vault.autoUnlockEnabled()).toBe(false);
  });
});
