// @vitest-environment happy-dom
import { act, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeNode } from '../support/fake-transport';
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
    expect(screen.getByRole('alert').textContent).toBe('HDMS Node is shutting down…');
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
