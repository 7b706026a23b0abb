// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../support/fake-transport';
import { emitEvent, renderApp } from '../support/render-app';


describe('App startup', () => {
  it('shows a loading state, then the first-run screen when there is no vault', async () => {
    const node = createFakeNode();
    renderApp(node);
    expect(screen.getByRole('status')).toHaveProperty('textContent', 'Starting HDMS Node…');
    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome to HDMS Node' })).toBeTruthy();
    const methods = node.calls.map((c) => c.method);
    expect(methods).toEqual(expect.arrayContaining(['app.info', 'prefs.get', 'vault.status']));
  });

  it('goes straight to the app frame when the vault is open', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }));
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Welcome to HDMS Node' })).toBeNull();
    expect(screen.getByText('Vault unlocked')).toBeTruthy();
  });

  it('shows the unlock screen, without the areas, when the vault is locked', async () => {
    renderApp(createFakeNode({ vault: { state: 'locked' } }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' })).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Areas' })).toBeNull();
    expect(screen.getByText('Vault locked')).toBeTruthy();
  });

  it('shows the contract error and retries on request', async () => {
    const node = createFakeNode();
    node.failWith('vault.status', { code: 'E_UNAVAILABLE', message: 'The body is stopping.', incident: 'inc-42' });
    renderApp(node);

    const heading = await screen.findByRole('heading', { name: 'HDMS Node could not start' });
    expect(screen.getByRole('alert').textContent).toContain('The body is stopping.');
    expect(screen.getByRole('alert').textContent).toContain('E_UNAVAILABLE, incident inc-42');
    // Focus lands on the page, not on <body>, so keyboard users keep their place.
    expect(document.activeElement).toBe(heading);

    node.failWith('vault.status', undefined);
    const callsBefore = node.calls.length;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('heading', { name: 'Welcome to HDMS Node' })).toBeTruthy();
    expect(node.calls.length).toBeGreaterThan(callsBefore);
  });

  it('"Explore the app" opens the frame and puts focus on the area heading', async () => {
    renderApp(createFakeNode());
    fireEvent.click(await screen.findByRole('button', { name: 'Explore the app' }));

    const nav = await screen.findByRole('navigation', { name: 'Areas' });
    const heading = screen.getByRole('heading', { level: 1, name: 'Intake' });
    expect(within(nav).getByRole('link', { name: 'Intake' }).getAttribute('aria-current')).toBe('page');
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(window.location.hash).toBe('#/intake');
  });

  it('while exploring without a vault, Patients says so and leads back to the setup', async () => {
    renderApp(createFakeNode(), '#/patients');
    fireEvent.click(await screen.findByRole('button', { name: 'Explore the app' }));
    await screen.findByRole('heading', { level: 1, name: 'Patients' });
    expect(screen.getByRole('main').textContent).toContain('This node has no vault yet');
    expect(screen.queryByRole('searchbox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Set up the vault' }));
    expect(await screen.findByRole('region', { name: 'Create the vault' })).toBeTruthy();
  });

  it('shows a shutdown banner when the body announces app.stopping on a screen kept after a stop (the recovery key), none above "HDMS Node has stopped"', async () => {
    const node = createFakeNode();
    renderApp(node);
    const section = await screen.findByRole('region', { name: 'Create the vault' });
    fireEvent.change(within(section).getByLabelText('Your name'), { target: { value: 'Ada Lovelace' } });
    for (const label of ['Passphrase', 'Confirm passphrase']) fireEvent.change(within(section).getByLabelText(label), { target: { value: 'correct horse battery staple' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Create vault' }));
    await screen.findByRole('heading', { level: 1, name: 'Save your recovery key' });
    expect(screen.queryByText('HDMS Node is shutting down…')).toBeNull();

    act(() => emitEvent(node, 'app.stopping', { reason: 'signal' }));
    // The recovery key stays on screen (it is shown once), with the banner saying the node went away.
    expect(screen.getByRole('heading', { level: 1, name: 'Save your recovery key' })).toBeTruthy();
    const banner = screen.getByText('HDMS Node is shutting down…');
    expect(banner.getAttribute('role')).toBe('alert');
    // Once the page itself says the node has stopped, the banner goes (tester T2 S35 F8).
    fireEvent.click(screen.getByRole('checkbox', { name: 'I have stored the recovery key' }));
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'HDMS Node has stopped' })).toBeTruthy();
    expect(screen.queryByText('HDMS Node is shutting down…')).toBeNull();
  });

  it('applies the saved preferences to <html> at startup', async () => {
    renderApp(createFakeNode({ prefs: { theme: 'dark', density: 'comfortable' } }));
    await screen.findByRole('heading', { name: 'Welcome to HDMS Node' });
    // Set by an effect, which may run just after the heading is painted.
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    expect(document.documentElement.dataset.density).toBe('comfortable');
  });
});
