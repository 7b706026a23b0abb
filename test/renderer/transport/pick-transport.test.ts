// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HdmsBridge } from '../../../shared/ipc/contract';
import { pickTransport } from '../../../renderer/transport/pick-transport';
import { takeShellCode } from '../../../renderer/transport/shell-link';

const CODE = '0123456789abcdef'.repeat(4);
const TOKEN = 'feedface'.repeat(8);

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

/** fetch as the shell answers POST /access: the token once, then 'used'. */
function shellAccess(answers: Array<{ status: number; body: unknown }>) {
  const fetchMock = vi.fn((_url: string, _init?: RequestInit) => {
    const next = answers.shift() ?? { status: 410, body: { refused: 'used' } };
    return Promise.resolve(new Response(JSON.stringify(next.body), { status: next.status, headers: { 'Content-Type': 'application/json' } }));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.sessionStorage.clear();
  window.localStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('takeShellCode', () => {
  it('reads the one-time code from the hash and removes it from the address bar', () => {
    window.history.replaceState(null, '', `/index.html?x=1#code=${CODE}`);
    expect(takeShellCode(window.location, window.history)).toBe(CODE);
    expect(window.location.href).not.toContain(CODE);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/index.html?x=1#/');
  });

  it('ignores a code that is not 64 hex digits, and the old #token= links', () => {
    for (const hash of ['#code=abc', '#code=<script>alert(1)</script>', `#token=${CODE}`]) {
      window.history.replaceState(null, '', `/${hash}`);
      expect(takeShellCode(window.location, window.history), hash).toBeNull();
    }
  });
});

describe('pickTransport', () => {
  it('uses the preload bridge when Electron provides one', async () => {
    const info = vi.fn(() => Promise.resolve({ ok: true as const, value: 'info' }));
    const off = vi.fn();
    const bridge = { app: { info }, events: { on: vi.fn(() => off) } } as unknown as HdmsBridge;
    Object.defineProperty(window, 'hdms', { value: bridge, configurable: true });
    try {
      const choice = await pickTransport(window);
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

  it('trades the code for the token by POST, the code in the body and the token in no URL, and opens the WebSocket with it', async () => {
    const fetchMock = shellAccess([{ status: 200, body: { token: TOKEN } }]);
    const sockets: Array<{ url: string; protocols: string[] }> = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor(url: string, protocols: string[]) {
          sockets.push({ url, protocols });
        }
        addEventListener(): void {}
      },
    );
    window.history.replaceState(null, '', `/#code=${CODE}`);
    const choice = await pickTransport(window);
    if (!choice.ok) throw new Error(choice.reason);
    expect(choice.transport.kind).toBe('websocket');
    expect(fetchMock).toHaveBeenCalledOnce();
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/access');
    expect(init).toMatchObject({ method: 'POST', cache: 'no-store', credentials: 'omit' });
    expect(JSON.parse(String(init?.body))).toEqual({ code: CODE });
    choice.transport.subscribe('app.stopping', () => undefined);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).not.toContain(TOKEN);
    expect(sockets[0]!.protocols).toEqual(['hdms.v1', `hdms.token.${TOKEN}`]);
    expect(window.location.href).not.toContain(CODE);
    expect(window.location.href).not.toContain(TOKEN);
    expect(storedText()).not.toContain(TOKEN);
    expect(window.sessionStorage.length + window.localStorage.length).toBe(0);
  });

  it('says in words that a link was already used (a second tab opening the same link), and how to get a new one', async () => {
    shellAccess([{ status: 410, body: { refused: 'used' } }]);
    window.history.replaceState(null, '', `/#code=${CODE}`);
    const choice = await pickTransport(window);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.reason).toMatch(/already used/);
    expect(!choice.ok && choice.reason).toMatch(/press Enter/);
  });

  it('says that a link expired, or is not from the running shell, and how to get a new one', async () => {
    shellAccess([
      { status: 401, body: { refused: 'expired' } },
      { status: 401, body: { refused: 'unknown' } },
    ]);
    window.history.replaceState(null, '', `/#code=${CODE}`);
    const expired = await pickTransport(window);
    expect(!expired.ok && expired.reason).toMatch(/expired[\s\S]*press Enter/);
    window.history.replaceState(null, '', `/#code=${CODE}`);
    const unknown = await pickTransport(window);
    expect(!unknown.ok && unknown.reason).toMatch(/not from the shell that runs now[\s\S]*press Enter/);
  });

  it('says the shell cannot be reached when the exchange gets no answer', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    window.history.replaceState(null, '', `/#code=${CODE}`);
    const choice = await pickTransport(window);
    expect(!choice.ok && choice.reason).toMatch(/cannot be reached[\s\S]*npm run shell/);
  });

  it('explains what to do when there is neither a bridge nor a link code, also after a reload', async () => {
    const choice = await pickTransport(window);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.reason).toMatch(/reload/i);
    expect(!choice.ok && choice.reason).toMatch(/press Enter/);
  });

  it('loads the page again once a new link is pasted into the same tab (only the fragment changes), and only then', async () => {
    const listeners = new Map<string, () => void>();
    const fake = {
      location: { hash: '#/', pathname: '/', search: '', reload: vi.fn() },
      history: { replaceState: vi.fn() },
      addEventListener: vi.fn((type: string, listener: () => void) => listeners.set(type, listener)),
    };
    const choice = await pickTransport(fake as unknown as Window);
    expect(choice.ok).toBe(false);
    fake.location.hash = '#/patients';
    listeners.get('hashchange')?.();
    expect(fake.location.reload).not.toHaveBeenCalled();
    fake.location.hash = `#code=${CODE}`;
    listeners.get('hashchange')?.();
    expect(fake.location.reload).toHaveBeenCalledOnce();
  });
});
