// @vitest-environment happy-dom
import { act, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeNode, TEST_INFO } from '../support/fake-transport';
import { createFakeVault } from '../support/fake-vault-service';
import { emitEvent, renderApp } from '../support/render-app';

describe('after the body stops (issue 11, Errors)', () => {
  it('the mind locks its session and stops claiming "Vault unlocked" or a listener', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, intake: { listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 }] } });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findByRole('heading', { level: 1, name: 'Intake' });
    expect(screen.getByText('Vault unlocked')).toBeTruthy();
    await screen.findAllByText(/^Listening on /);

    act(() => emitEvent(node, 'app.stopping', { reason: 'quit' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'HDMS Node has stopped' })).toBeTruthy();
    // Once the page says the node has stopped, "shutting down…" above it is stale (tester T2 S35 F8).
    expect(document.body.textContent).not.toContain('shutting down');
    expect(screen.queryByText('Vault unlocked')).toBeNull();
    expect(document.body.textContent).not.toMatch(/Listening/);
    expect(vault.phase()).toBe('locked');
    // The shell says how to come back.
    expect(document.body.textContent).toContain('npm run shell');
  });

  it('says so on the unlock screen too', async () => {
    const node = createFakeNode({ vault: { state: 'locked' } });
    renderApp(node, '#/', createFakeVault({ phase: 'locked' }));
    await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
    act(() => emitEvent(node, 'app.stopping', { reason: 'signal' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'HDMS Node has stopped' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Unlock the vault' })).toBeNull();
    expect(document.body.textContent).not.toContain('shutting down');
  });

  it('when the connection drops and the node cannot be reached again (a crash), stops claiming "Vault unlocked" or a listener', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' }, intake: { listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 }] } });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findAllByText(/^Listening on /);

    act(() => node.loseConnection(false));
    expect(await screen.findByRole('heading', { level: 1, name: 'HDMS Node cannot be reached' })).toBeTruthy();
    expect(screen.queryByText('Vault unlocked')).toBeNull();
    expect(document.body.textContent).not.toMatch(/Listening/);
    expect(vault.phase()).toBe('locked');
    expect(document.body.textContent).toContain('npm run shell');
  });

  // Since 8cb538c the restarted shell's new link pasted into the same tab reconnects it; the screen said only "open the new link it prints".
  it('in the browser shell, says to paste the restarted shell\'s new link into this tab (stopped and unreachable alike); the desktop app says to start it again', async () => {
    const advice = 'Start the shell again (npm run shell) and paste the new link it prints into this tab’s address bar: the page loads again and connects. The link this tab was opened with no longer works.';
    for (const stop of ['stopped', 'unreachable'] as const) {
      const node = createFakeNode({ vault: { state: 'locked' } });
      const { unmount } = renderApp(node, '#/', createFakeVault({ phase: 'locked' }));
      await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
      act(() => (stop === 'stopped' ? emitEvent(node, 'app.stopping', { reason: 'quit' }) : node.loseConnection(false)));
      await screen.findByRole('heading', { level: 1, name: stop === 'stopped' ? 'HDMS Node has stopped' : 'HDMS Node cannot be reached' });
      expect(screen.getByText(advice)).toBeTruthy();
      unmount();
    }
    const desktop = createFakeNode({ vault: { state: 'locked' }, info: { ...TEST_INFO, host: 'electron' } });
    renderApp(desktop, '#/', createFakeVault({ phase: 'locked' }));
    await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
    act(() => emitEvent(desktop, 'app.stopping', { reason: 'quit' }));
    await screen.findByRole('heading', { level: 1, name: 'HDMS Node has stopped' });
    expect(screen.getByText('Start HDMS Node again to continue.')).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/paste|link/i);
  });

  it('when the connection drops but the node answers again, locks this window (the body ended its session) and asks to unlock', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    const vault = createFakeVault({ phase: 'unlocked' });
    renderApp(node, '#/intake', vault);
    await screen.findByRole('heading', { level: 1, name: 'Intake' });
    act(() => node.loseConnection(true));
    expect(await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' })).toBeTruthy();
    expect(vault.phase()).toBe('locked');
    expect(screen.queryByRole('heading', { name: 'HDMS Node cannot be reached' })).toBeNull();
  });

  describe('when the body hangs (it neither stops nor drops the connection)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('says the node is not responding and stops claiming "Vault unlocked" or a listener, and shows the page as it was once the node answers', async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      const node = createFakeNode({ vault: { state: 'unlocked' }, intake: { listeners: [{ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: 2575 }] } });
      const vault = createFakeVault({ phase: 'unlocked' });
      renderApp(node, '#/intake', vault);
      await screen.findAllByText(/^Listening on /);

      let answer: (() => void) | null = null;
      const info = node.state.info;
      node.handle('app.info', () => new Promise((resolve) => (answer = () => resolve(info))));
      await act(() => vi.advanceTimersByTimeAsync(20_000));
      expect(screen.getByRole('banner').textContent).toContain('Node not responding');
      expect(screen.queryByText('Vault unlocked')).toBeNull();
      expect(screen.getByRole('alert').textContent).toMatch(/HDMS Node is not responding/);
      const visibleText = [...document.querySelectorAll('body *')].filter((element) => element.closest('[hidden]') === null).map((element) => element.childNodes).flatMap((nodes) => [...nodes]).filter((child) => child.nodeType === 3).map((child) => child.textContent).join(' ');
      expect(visibleText).not.toMatch(/Listening/);
      // Nothing was thrown away: the vault stays open in the mind, and the page comes back as it was.
      expect(vault.phase()).toBe('unlocked');

      await act(async () => {
        answer!();
        await vi.advanceTimersByTimeAsync(0);
      });
      expect(screen.getByText('Vault unlocked')).toBeTruthy();
      expect(screen.queryByRole('alert')).toBeNull();
      expect((await screen.findAllByText(/^Listening on /)).length).toBeGreaterThan(0);
    });
  });
});
