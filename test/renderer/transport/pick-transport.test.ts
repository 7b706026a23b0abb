// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HdmsBridge } from '../../../shared/ipc/contract';
import { pickTransport } from '../../../renderer/transport/pick-transport';
import { takeShellToken } from '../../../renderer/transport/ws-transport';

const TOKEN = '0123456789abcdef0123456789abcdef';

afterEach(() => {
  window.sessionStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('takeShellToken', () => {
  it('reads the token from the hash, keeps it for this tab and removes it from the address bar', () => {
    window.history.replaceState(null, '', `/index.html?x=1#token=${TOKEN}`);
    expect(takeShellToken(window.location, window.history, window.sessionStorage)).toBe(TOKEN);
    expect(window.sessionStorage.getItem('hdms.shell.token')).toBe(TOKEN);
    expect(window.location.href).not.toContain(TOKEN);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/index.html?x=1#/');
  });

  it('uses the kept token after a reload, when the hash no longer has one', () => {
    window.sessionStorage.setItem('hdms.shell.token', TOKEN);
    window.history.replaceState(null, '', '/#/settings');
    expect(takeShellToken(window.location, window.history, window.sessionStorage)).toBe(TOKEN);
    expect(window.location.hash).toBe('#/settings');
  });

  it('ignores a token that is not a hex string of plausible length', () => {
    window.history.replaceState(null, '', '/#token=abc');
    expect(takeShellToken(window.location, window.history, window.sessionStorage)).toBeNull();
    window.history.replaceState(null, '', '/#token=<script>alert(1)</script>');
    expect(takeShellToken(window.location, window.history, window.sessionStorage)).toBeNull();
    expect(window.sessionStorage.length).toBe(0);
  });
});

describe('pickTransport', () => {
  it('uses the preload bridge when Electron provides one', async () => {
    const info = vi.fn(() => Promise.resolve({ ok: true as const, value: 'info' }));
    const off = vi.fn();
    const bridge = { app: { info }, events: { on: vi.fn(() => off) } } as unknown as HdmsBridge;
    Object.defineProperty(window, 'hdms', { value: bridge, configurable: true });
    try {
      const choice = pickTransport(window);
      if (!choice.ok) throw new Error(choice.reason);
      expect(choice.transport.kind).toBe('electron-ipc');
      expect(await choice.transport.call('app.info', {})).toEqual({ ok: true, value: 'info' });
      expect(info).toHaveBeenCalledWith({});
      expect(await choice.transport.call('vault.status', {})).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD' } });
      expect(choice.transport.subscribe('app.stopping', () => undefined)).toBe(off);
    } finally {
      Reflect.deleteProperty(window, 'hdms');
    }
  });

  it('uses the shell WebSocket when the page has a token', () => {
    window.history.replaceState(null, '', `/#token=${TOKEN}`);
    const choice = pickTransport(window);
    expect(choice.ok && choice.transport.kind).toBe('websocket');
  });

  it('explains what to do when there is neither a bridge nor a token', () => {
    const choice = pickTransport(window);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.reason).toContain('#token=');
  });
});
