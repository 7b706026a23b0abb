// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HdmsBridge } from '../../../shared/ipc/contract';
import { pickTransport } from '../../../renderer/transport/pick-transport';
import { takeShellToken } from '../../../renderer/transport/ws-transport';

const TOKEN = '0123456789abcdef0123456789abcdef';

/** Every key and value of both web storages, as one string to search. */
function storedText(): string {
  const all: string[] = [];
  for (const storage of [window.sessionStorage, window.localStorage]) {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i)!;
      all.push(key, storage.getItem(key) ?? '');
    }
  }
  return all.join('\n');
}

afterEach(() => {
  window.sessionStorage.clear();
  window.localStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('takeShellToken', () => {
  it('reads the token from the hash and removes it from the address bar', () => {
    window.history.replaceState(null, '', `/index.html?x=1#token=${TOKEN}`);
    expect(takeShellToken(window.location, window.history)).toBe(TOKEN);
    expect(window.location.href).not.toContain(TOKEN);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/index.html?x=1#/');
  });

  it('never puts the token in sessionStorage or localStorage (both end up in the profile on disk)', () => {
    window.history.replaceState(null, '', `/#token=${TOKEN}`);
    const choice = pickTransport(window);
    expect(choice.ok).toBe(true);
    expect(storedText()).not.toContain(TOKEN);
    expect(window.sessionStorage.length + window.localStorage.length).toBe(0);
  });

  it('finds no token after a reload: it lived in memory only', () => {
    window.history.replaceState(null, '', `/#token=${TOKEN}`);
    expect(takeShellToken(window.location, window.history)).toBe(TOKEN);
    // What a reload sees: the cleaned address, the same storages.
    window.history.replaceState(null, '', '/#/settings');
    expect(takeShellToken(window.location, window.history)).toBeNull();
    expect(window.location.hash).toBe('#/settings');
  });

  it('ignores a token that is not a hex string of plausible length', () => {
    window.history.replaceState(null, '', '/#token=abc');
    expect(takeShellToken(window.location, window.history)).toBeNull();
    window.history.replaceState(null, '', '/#token=<script>alert(1)</script>');
    expect(takeShellToken(window.location, window.history)).toBeNull();
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

  it('explains what to do when there is neither a bridge nor a token, also after a reload', () => {
    const choice = pickTransport(window);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.reason).toContain('#token=');
    expect(!choice.ok && choice.reason).toMatch(/reload/i);
  });

  it('without a token, loads the page again once the printed link is pasted into the same tab (only the fragment changes)', () => {
    const listeners = new Map<string, () => void>();
    const fake = {
      location: { hash: '#/', pathname: '/', search: '', reload: vi.fn() },
      history: { replaceState: vi.fn() },
      addEventListener: vi.fn((type: string, listener: () => void) => listeners.set(type, listener)),
    };
    const choice = pickTransport(fake as unknown as Window);
    expect(choice.ok).toBe(false);
    fake.location.hash = '#/patients';
    listeners.get('hashchange')?.();
    expect(fake.location.reload).not.toHaveBeenCalled();
    fake.location.hash = `#token=${TOKEN}`;
    listeners.get('hashchange')?.();
    expect(fake.location.reload).toHaveBeenCalledOnce();
  });

  it('with a token, loads the page again when a new link is pasted after the node restarted (QA s32 #2), and only then', () => {
    const listeners = new Map<string, () => void>();
    const fake = {
      location: { hash: `#token=${TOKEN}`, pathname: '/', search: '', host: '127.0.0.1:1', reload: vi.fn() },
      history: { replaceState: vi.fn((_s: unknown, _t: string, url: string) => (fake.location.hash = url.slice(url.indexOf('#')))) },
      addEventListener: vi.fn((type: string, listener: () => void) => listeners.set(type, listener)),
    };
    const choice = pickTransport(fake as unknown as Window);
    expect(choice.ok && choice.transport.kind).toBe('websocket');
    // The token left the address bar; moving around the app reloads nothing.
    expect(fake.location.hash).toBe('#/');
    fake.location.hash = '#/settings';
    listeners.get('hashchange')?.();
    expect(fake.location.reload).not.toHaveBeenCalled();
    fake.location.hash = `#token=${'f'.repeat(32)}`;
    listeners.get('hashchange')?.();
    expect(fake.location.reload).toHaveBeenCalledOnce();
  });
});
