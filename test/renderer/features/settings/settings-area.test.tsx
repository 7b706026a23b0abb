// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeNode, TEST_INFO, type FakeNode } from '../../support/fake-transport';
import { emitEvent, renderApp } from '../../support/render-app';

async function renderSettings(node: FakeNode = createFakeNode({ vault: { state: 'unlocked' } })) {
  renderApp(node, '#/settings');
  await screen.findByRole('heading', { level: 1, name: 'Settings' });
  return node;
}

function radio(group: string, name: string): HTMLInputElement {
  return within(screen.getByRole('radiogroup', { name: group })).getByRole('radio', { name }) as HTMLInputElement;
}

function setClipboard(value: unknown): void {
  Object.defineProperty(navigator, 'clipboard', { value, configurable: true });
}

afterEach(() => {
  vi.restoreAllMocks();
  setClipboard(undefined);
});

describe('Settings › Appearance', () => {
  it('offers named radio groups for theme and row density, reflecting the saved prefs', async () => {
    await renderSettings(createFakeNode({ vault: { state: 'unlocked' }, prefs: { theme: 'light', density: 'comfortable' } }));
    const theme = screen.getByRole('radiogroup', { name: 'Theme' });
    expect(within(theme).getAllByRole('radio').map((r) => r.getAttribute('value'))).toEqual(['system', 'light', 'dark']);
    expect(radio('Theme', 'Light').checked).toBe(true);
    expect(radio('Row density', 'Comfortable').checked).toBe(true);
    expect(radio('Row density', 'Compact').checked).toBe(false);
  });

  it('saves the theme through prefs.update and applies it to <html> at once', async () => {
    const node = await renderSettings();
    fireEvent.click(radio('Theme', 'Dark'));

    expect(document.documentElement.dataset.theme).toBe('dark');
    await waitFor(() => expect(node.calls).toContainEqual({ method: 'prefs.update', payload: { theme: 'dark' } }));
    expect(node.state.prefs.theme).toBe('dark');
    expect(radio('Theme', 'Dark').checked).toBe(true);
  });

  it('saves the row density and sets data-density', async () => {
    const node = await renderSettings();
    expect(document.documentElement.dataset.density).toBe('compact');
    fireEvent.click(radio('Row density', 'Comfortable'));
    // Applied to <html> by an effect of the change (at once, before the body has saved it).
    await waitFor(() => expect(document.documentElement.dataset.density).toBe('comfortable'));
    await waitFor(() => expect(node.state.prefs.density).toBe('comfortable'));
  });

  it('rolls back and says so when the body refuses the change', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, prefs: { theme: 'light', density: 'compact' } });
    node.failWith('prefs.update', { code: 'E_UNAVAILABLE', message: 'The node is not reachable.' });
    await renderSettings(node);
    fireEvent.click(radio('Theme', 'Dark'));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Your choice could not be saved: The node is not reachable.');
    expect(radio('Theme', 'Light').checked).toBe(true);
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('follows prefs.changed from another window', async () => {
    const node = await renderSettings();
    emitEvent(node, 'prefs.changed', { theme: 'dark', density: 'comfortable' });
    // The provider's effect mirrors the change onto <html>; under a loaded machine it may land a tick later.
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    expect(document.documentElement.dataset.density).toBe('comfortable');
    expect(radio('Theme', 'Dark').checked).toBe(true);
    expect(radio('Row density', 'Comfortable').checked).toBe(true);
  });

  it('has the display prefs on <html> by the time its screen is drawn (no flash of the previous theme)', async () => {
    // What the page showed before (another test, or the browser's default) must not outlive the
    // first frame: "saves the row density" read 'comfortable' here under load, from the test before.
    document.documentElement.dataset.theme = 'dark';
    document.documentElement.dataset.density = 'comfortable';
    const seen: (string | undefined)[] = [];
    const observer = new MutationObserver(() => {
      if (document.querySelector('h1')?.textContent !== 'Settings') return;
      observer.disconnect();
      seen.push(document.documentElement.dataset.theme, document.documentElement.dataset.density);
    });
    observer.observe(document.body, { childList: true, subtree: true });
    await renderSettings(createFakeNode({ vault: { state: 'unlocked' }, prefs: { theme: 'light', density: 'compact' } }));
    expect(seen).toEqual(['light', 'compact']);
  });

  it('hears a prefs.changed that arrives as soon as its screen is drawn', async () => {
    // Sent from the DOM's first sight of the heading, before React's after-paint effects: a window
    // that subscribed only then lost it (the test above timed out so under load, emitting a tick early).
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const observer = new MutationObserver(() => {
      if (document.querySelector('h1')?.textContent !== 'Settings') return;
      observer.disconnect();
      node.emit('prefs.changed', { theme: 'dark', density: 'comfortable' });
    });
    observer.observe(document.body, { childList: true, subtree: true });
    await renderSettings(node);
    await waitFor(() => expect(radio('Theme', 'Dark').checked).toBe(true));
    expect(document.documentElement.dataset.theme).toBe('dark');
  });
});

describe('Settings › About this node', () => {
  it('shows the installation facts', async () => {
    await renderSettings();
    const about = screen.getByRole('region', { name: 'About this node' });
    expect(about.textContent).toContain('9.8.7');
    expect(about.textContent).toContain('Browser shell');
    expect(about.textContent).toContain('Windows');
    expect(about.textContent).toContain(TEST_INFO.dataDir);
  });

  it('copies the data folder path and confirms it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    setClipboard({ writeText });
    await renderSettings();
    fireEvent.click(screen.getByRole('button', { name: 'Copy data folder path' }));

    await waitFor(() => expect(screen.getByText('Copied')).toBeTruthy());
    expect(writeText).toHaveBeenCalledWith(TEST_INFO.dataDir);
    expect(screen.getByText('Copied').getAttribute('role')).toBe('status');
  });

  it('says so when the clipboard refuses', async () => {
    setClipboard({ writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) });
    await renderSettings();
    fireEvent.click(screen.getByRole('button', { name: 'Copy data folder path' }));
    await waitFor(() => expect(within(screen.getByRole('region', { name: 'About this node' })).getByRole('status').textContent).toMatch(/^Could not copy/));
  });

  it('says so when there is no clipboard at all', async () => {
    await renderSettings();
    fireEvent.click(screen.getByRole('button', { name: 'Copy data folder path' }));
    await waitFor(() => expect(within(screen.getByRole('region', { name: 'About this node' })).getByRole('status').textContent).toMatch(/^Could not copy/));
  });
});
