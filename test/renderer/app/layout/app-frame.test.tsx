// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const AREA_NAMES = ['Intake', 'Patients', 'Imaging', 'Devices', 'Marketplace', 'Ledger', 'Settings'];

/** Navigates like a link click does: the hash changes and `hashchange` fires. */
async function goTo(hash: string): Promise<void> {
  await act(async () => {
    window.location.hash = hash;
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

async function renderFrame(hash = '') {
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash);
  return screen.findByRole('navigation', { name: 'Areas' });
}

describe('App frame', () => {
  it('has the landmarks, a host badge, and one link with an icon per area', async () => {
    const nav = await renderFrame();
    expect(screen.getByRole('banner').textContent).toContain('HDMS Node');
    expect(screen.getByRole('banner').textContent).toContain('Browser shell');
    expect(screen.getByRole('main').id).toBe('content');

    const links = within(nav).getAllByRole('link');
    expect(links.map((link) => link.textContent)).toEqual(AREA_NAMES);
    expect(links.map((link) => link.getAttribute('href'))).toEqual(AREA_NAMES.map((n) => `#/${n.toLowerCase()}`));
    for (const link of links) {
      expect(link.querySelector('svg')?.getAttribute('aria-hidden')).toBe('true');
    }
  });

  it('starts at #/intake and keeps the skip link as the first focusable element', async () => {
    await renderFrame();
    // The router settles the start route in an effect, which may run just after the nav is painted.
    await waitFor(() => expect(window.location.hash).toBe('#/intake'));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Intake');

    const focusable = document.querySelectorAll('a[href], button, input, [tabindex]:not([tabindex="-1"])');
    expect(focusable[0]?.textContent).toBe('Skip to content');
    // On first load focus is not moved, so Tab starts at the skip link.
    expect(document.activeElement).toBe(document.body);
  });

  it('moves aria-current, the h1 and focus when the route changes', async () => {
    const nav = await renderFrame('#/intake');
    await goTo('#/ledger');

    const heading = screen.getByRole('heading', { level: 1, name: 'Ledger' });
    expect(within(nav).getByRole('link', { name: 'Ledger' }).getAttribute('aria-current')).toBe('page');
    expect(within(nav).getByRole('link', { name: 'Intake' }).getAttribute('aria-current')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(screen.getByRole('heading', { level: 2, name: 'Coming in a later release' })).toBeTruthy();
  });

  it('renders every coming area with the same panel and no tables', async () => {
    await renderFrame();
    for (const area of ['ledger']) {
      await goTo(`#/${area}`);
      const main = screen.getByRole('main');
      expect(within(main).getByRole('heading', { level: 2, name: 'Coming in a later release' })).toBeTruthy();
      expect(within(main).queryByRole('table')).toBeNull();
      expect(main.textContent!.length).toBeGreaterThan(150);
    }
  });

  it('shows "Page not found" with a way back for an unknown route', async () => {
    const nav = await renderFrame('#/no-such-area');
    expect(screen.getByRole('heading', { level: 1, name: 'Page not found' })).toBeTruthy();
    expect(within(nav).queryByRole('link', { current: 'page' })).toBeNull();
    const back = within(screen.getByRole('main')).getByRole('link', { name: 'Back to Intake' });
    expect(back.getAttribute('href')).toBe('#/intake');
  });

  it('leads an auditor on an unknown address to the auditor’s first area, not to Intake it cannot open (QA s35 T2 F11)', async () => {
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Otto Auditor', role: 'auditor', passphrase: 'a long enough passphrase' }] });
    for (const hash of ['#/ledger/access-report', '#/no-such-area']) {
      document.body.innerHTML = '';
      renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault, createFakeLedger());
      // The frame's own "Page not found", or the Ledger area's page for a path it does not have.
      const main = (await screen.findByText(/There is no page at this address/)).closest('main')!;
      expect(within(main).queryByRole('link', { name: 'Back to Intake' })).toBeNull();
      expect(within(main).getByRole('link', { name: 'Back to Ledger' }).getAttribute('href')).toBe('#/ledger');
    }
  });

  it('the skip link focuses the page heading without touching the route', async () => {
    await renderFrame('#/settings');
    fireEvent.click(screen.getByRole('link', { name: 'Skip to content' }));
    expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1, name: 'Settings' }));
    expect(window.location.hash).toBe('#/settings');
  });
});
