// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode, NO_VAULT_REASON, TEST_INFO } from '../../support/fake-transport';
import { renderApp } from '../../support/render-app';

/** The value shown next to a label in the facts list. */
function fact(section: HTMLElement, label: string): string | null {
  const term = within(section).getByText(label, { selector: 'dt' });
  return term.nextElementSibling?.textContent ?? null;
}

describe('First-run screen', () => {
  it('introduces the node inside <main> and lists this installation', async () => {
    renderApp(createFakeNode());
    const heading = await screen.findByRole('heading', { level: 1, name: 'Welcome to HDMS Node' });
    expect(heading.closest('main')).not.toBeNull();
    expect(screen.getByRole('banner')).toBeTruthy();

    const facts = screen.getByRole('region', { name: 'This installation' });
    expect(fact(facts, 'Version')).toBe('9.8.7');
    expect(fact(facts, 'Host')).toBe('Browser shell');
    expect(fact(facts, 'Platform')).toBe('Windows');
    expect(fact(facts, 'Data folder')).toBe(TEST_INFO.dataDir);
  });

  it('says the desktop host in words', async () => {
    renderApp(createFakeNode({ info: { ...TEST_INFO, host: 'electron', platform: 'darwin' } }));
    const facts = await screen.findByRole('region', { name: 'This installation' });
    expect(fact(facts, 'Host')).toBe('Desktop app');
    expect(fact(facts, 'Platform')).toBe('macOS');
  });

  it('shows why intake is closed, from intake.status', async () => {
    renderApp(createFakeNode());
    const intake = await screen.findByRole('region', { name: 'Intake' });
    expect(await within(intake).findByText(NO_VAULT_REASON)).toBeTruthy();
    expect(intake.textContent).toContain('HL7 v2 over MLLP');
    expect(intake.textContent).toContain('Devices (IEEE 11073)');
  });

  it('lists listeners one by one when they differ', async () => {
    const node = createFakeNode({
      intake: {
        listeners: [
          { channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 },
          { channel: 'dicom', state: 'error', reason: 'Port 104 is in use.' },
        ],
      },
    });
    renderApp(node);
    const intake = await screen.findByRole('region', { name: 'Intake' });
    const items = await within(intake).findAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual(['HL7 v2 over MLLP: Listening', 'DICOM: Error. Port 104 is in use.']);
  });

  it('leads with the vault setup form, and keeps "Explore the app"', async () => {
    renderApp(createFakeNode());
    const vault = await screen.findByRole('region', { name: 'Create the vault' });
    expect(within(vault).getByLabelText('Your name')).toBeTruthy();
    expect(within(vault).getByLabelText('Passphrase')).toBeTruthy();
    expect(within(vault).getByLabelText('Confirm passphrase')).toBeTruthy();
    expect(within(vault).getByRole('button', { name: 'Create vault' })).toHaveProperty('disabled', true);
    expect(vault.textContent).toMatch(/recovery key/);
    expect(screen.getByRole('button', { name: 'Explore the app' })).toBeTruthy();
  });
});
