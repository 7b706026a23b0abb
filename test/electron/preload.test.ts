import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES, splitMethodName } from '../../shared/ipc/contract';

const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    exposed,
    listeners,
    contextBridge: {
      exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value),
    },
    ipcRenderer: {
      invoke: vi.fn(async (channel: string, request: unknown) => ({ ok: true, value: { channel, request } })),
      on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
        let set = listeners.get(channel);
        if (set === undefined) listeners.set(channel, (set = new Set()));
        set.add(listener);
      }),
      removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
        listeners.get(channel)?.delete(listener);
      }),
    },
  };
});

vi.mock('electron', () => ({ contextBridge: electron.contextBridge, ipcRenderer: electron.ipcRenderer }));

type AnyBridge = Record<string, Record<string, (...args: unknown[]) => unknown>> & {
  events: { on: (name: unknown, listener: unknown) => () => void };
};

async function loadBridge(): Promise<AnyBridge> {
  electron.exposed.clear();
  electron.listeners.clear();
  vi.resetModules();
  await import('../../electron/preload');
  return electron.exposed.get('hdms') as AnyBridge;
}

function push(name: string, payload: unknown): void {
  const fakeIpcEvent = { sender: 'the ipcRenderer itself', senderId: 0, ports: [] };
  for (const listener of electron.listeners.get('hdms:event') ?? []) listener(fakeIpcEvent, name, payload);
}

beforeEach(() => {
  electron.ipcRenderer.invoke.mockClear();
  electron.ipcRenderer.on.mockClear();
  electron.ipcRenderer.removeListener.mockClear();
});

describe('preload', () => {
  it('exposes exactly one key, hdms', async () => {
    await loadBridge();
    expect([...electron.exposed.keys()]).toEqual(['hdms']);
  });

  it('has exactly the contract namespaces and verbs, plus events.on', async () => {
    const bridge = await loadBridge();
    const expected: Record<string, string[]> = { events: ['on'] };
    for (const method of METHOD_NAMES) {
      const { namespace, verb } = splitMethodName(method);
      (expected[namespace] ??= []).push(verb);
    }
    const actual = Object.fromEntries(Object.entries(bridge).map(([ns, group]) => [ns, Object.keys(group).sort()]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(expected).map(([ns, verbs]) => [ns, verbs.sort()])));
    for (const group of Object.values(bridge)) {
      for (const fn of Object.values(group)) expect(typeof fn).toBe('function');
    }
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('calls each method over its own hdms:<method> channel with the request only', async () => {
    const bridge = await loadBridge();
    for (const method of METHOD_NAMES) {
      const { namespace, verb } = splitMethodName(method);
      const request = { probe: method };
      const result = await bridge[namespace]?.[verb]?.(request);
      expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(`hdms:${method}`, request);
      expect(result).toEqual({ ok: true, value: { channel: `hdms:${method}`, request } });
    }
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledTimes(METHOD_NAMES.length);
  });

  it('turns a failed invoke into an E_UNAVAILABLE wire result', async () => {
    const bridge = await loadBridge();
    electron.ipcRenderer.invoke.mockRejectedValueOnce(new Error("No handler registered for 'hdms:app.info'"));
    await expect(bridge.app?.info?.({})).resolves.toEqual({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.any(String) } });
  });

  it('events.on rejects unknown names and non-function listeners', async () => {
    const bridge = await loadBridge();
    for (const name of ['nope', 'hdms:event', '__proto__', 'constructor', 42, undefined]) {
      expect(() => bridge.events.on(name, () => undefined), String(name)).toThrow(TypeError);
    }
    expect(() => bridge.events.on('prefs.changed', 'not a function')).toThrow(TypeError);
    expect(electron.ipcRenderer.on).not.toHaveBeenCalled();
  });

  it('hands the listener the payload only, never the IpcRendererEvent', async () => {
    const bridge = await loadBridge();
    const listener = vi.fn();
    bridge.events.on('prefs.changed', listener);
    push('prefs.changed', { theme: 'dark', density: 'compact' });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([{ theme: 'dark', density: 'compact' }]);
  });

  it('delivers each event to its own listeners only, and ignores unknown pushes', async () => {
    const bridge = await loadBridge();
    const prefs = vi.fn();
    const stopping = vi.fn();
    bridge.events.on('prefs.changed', prefs);
    bridge.events.on('app.stopping', stopping);
    push('app.stopping', { reason: 'quit' });
    push('not.an.event', {});
    expect(stopping).toHaveBeenCalledOnce();
    expect(prefs).not.toHaveBeenCalled();
    // One IPC listener serves every subscription.
    expect(electron.ipcRenderer.on).toHaveBeenCalledOnce();
  });

  it('unsubscribes, and detaches from IPC when nobody listens', async () => {
    const bridge = await loadBridge();
    const a = vi.fn();
    const b = vi.fn();
    const offA = bridge.events.on('intake.statusChanged', a);
    const offB = bridge.events.on('intake.statusChanged', b);
    offA();
    push('intake.statusChanged', { listeners: [] });
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledOnce();
    offB();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledOnce();
    expect(electron.listeners.get('hdms:event')?.size ?? 0).toBe(0);
  });

  it('knows every contract event name', async () => {
    const bridge = await loadBridge();
    for (const name of EVENT_NAMES) expect(() => bridge.events.on(name, () => undefined), name).not.toThrow();
  });

  it('imports nothing at runtime but electron and the import-free name list (a sandboxed preload can require nothing else)', () => {
    const source = readFileSync(fileURLToPath(new URL('../../electron/preload.ts', import.meta.url)), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const runtimeImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((match) => match[1]);
    expect(runtimeImports).toEqual(['electron', '../shared/ipc/names']);
    expect(source).not.toMatch(/\brequire\s*\(|\bimport\s*\(/);
    // names.ts is bundled into the preload, so it must itself import nothing.
    const names = readFileSync(fileURLToPath(new URL('../../shared/ipc/names.ts', import.meta.url)), 'utf8');
    expect(names).not.toMatch(/^\s*import\s|\brequire\s*\(/m);
  });
});
