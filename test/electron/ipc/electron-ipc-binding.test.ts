import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { bindContractToIpc, checkSender, IPC_EVENT_CHANNEL } from '../../../electron/ipc/electron-ipc-binding';
import { METHOD_ACCESS, METHOD_NAMES, type WireResult } from '../../../shared/ipc';
import { fromBase64Url, toBase64Url } from '../../../shared/crypto/bytes';
import { signSessionProof } from '../../../shared/crypto/operator-signing';
import { buildTestKeyring } from '../../support/vault-keyring';

// The binding must not need the real electron module: it receives ipcMain and the windows.
vi.mock('electron', () => ({}));

type Handler = (event: IpcMainInvokeEvent, payload: unknown) => Promise<WireResult<unknown>>;

class FakeIpcMain {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

interface FakeFrame {
  url: string;
  origin: string;
  parent: FakeFrame | null;
}

const appFrame = (): FakeFrame => ({ url: 'app://hdms/index.html#/intake', origin: 'app://hdms', parent: null });

function invokeEvent(frame: FakeFrame | null, senderId = 7): IpcMainInvokeEvent {
  return { senderFrame: frame, sender: { id: senderId } } as unknown as IpcMainInvokeEvent;
}

function fakeWindow(url: string, destroyed = false, id = 1000) {
  const send = vi.fn();
  const window = {
    isDestroyed: () => destroyed,
    webContents: { id, isDestroyed: () => false, getURL: () => url, send },
  };
  return { window: window as unknown as BrowserWindow, send };
}

let dataDir: string;
let body: Body;
let ipc: FakeIpcMain;
let windows: BrowserWindow[];
let unbind: () => void;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'hdms-ipc-binding-'));
  body = await startBody({ dataDir, host: 'electron', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
  ipc = new FakeIpcMain();
  windows = [];
  unbind = bindContractToIpc(body, ipc as unknown as IpcMain, () => windows);
});

afterEach(async () => {
  unbind();
  await body.stop('quit');
  await rm(dataDir, { recursive: true, force: true });
});

const call = (method: string, payload: unknown, frame: FakeFrame | null = appFrame()): Promise<WireResult<unknown>> => {
  const handler = ipc.handlers.get(`hdms:${method}`);
  if (handler === undefined) throw new Error(`no handler for ${method}`);
  return handler(invokeEvent(frame), payload);
};

describe('bindContractToIpc', () => {
  it('registers exactly one handler per contract method', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(METHOD_NAMES.map((name) => `hdms:${name}`).sort());
  });

  it('answers an app-origin main frame through the real router', async () => {
    const result = await call('app.info', {});
    expect(result.ok).toBe(true);
    expect(result.ok && (result.value as { host: string }).host).toBe('electron');
    const prefs = await call('prefs.update', { theme: 'dark' });
    expect(prefs).toEqual({ ok: true, value: { theme: 'dark', density: 'compact' } });
  });

  it('passes the transport and a per-webContents connection id to the router', async () => {
    const dispatch = vi.spyOn(body.router, 'dispatch');
    await call('vault.status', {});
    expect(dispatch).toHaveBeenCalledWith('vault.status', {}, { transport: 'electron-ipc', connectionId: 'webcontents-7' });
  });

  it('rejects a malformed payload with E_BAD_REQUEST from the body (a method that needs a vault session is refused before its payload is read)', async () => {
    for (const method of METHOD_NAMES) {
      const result = await call(method, { notInTheContract: 'Jane Doe, MRN 12345' });
      expect(result.ok, method).toBe(false);
      if (!result.ok) {
        const open = METHOD_ACCESS[method] === 'anyone' || METHOD_ACCESS[method] === 'setup';
        expect(result.error.code, method).toBe(open ? 'E_BAD_REQUEST' : 'E_CONFLICT');
        // The answer names rules and paths, never the values that were sent.
        expect(result.error.message).not.toContain('Jane Doe');
      }
    }
    for (const payload of [undefined, null, 'x', 42, [], { theme: 'neon' }]) {
      const result = await call('prefs.update', payload);
      expect(result.ok ? 'ok' : result.error.code, JSON.stringify(payload)).toBe('E_BAD_REQUEST');
    }
  });

  const foreign: Array<[string, FakeFrame | null]> = [
    ['https://evil.example', { url: 'https://evil.example/', origin: 'https://evil.example', parent: null }],
    ['file://', { url: 'file:///tmp/x.html', origin: 'file://', parent: null }],
    ['http loopback', { url: 'http://127.0.0.1:5173/', origin: 'http://127.0.0.1:5173', parent: null }],
    ['look-alike host', { url: 'app://hdms.evil/index.html', origin: 'app://hdms.evil', parent: null }],
    ['app URL with a foreign origin', { url: 'app://hdms/index.html', origin: 'null', parent: null }],
    ['about:blank child', { url: '', origin: 'app://hdms', parent: null }],
    ['app-origin sub-frame', { url: 'app://hdms/index.html', origin: 'app://hdms', parent: appFrame() }],
    ['no frame (destroyed)', null],
  ];

  it.each(foreign)('refuses a call from %s with E_FORBIDDEN and never dispatches', async (_name, frame) => {
    const dispatch = vi.spyOn(body.router, 'dispatch');
    const warn = vi.spyOn(body.log, 'warn');
    const result = await call('prefs.update', { theme: 'dark', secret: 'Jane Doe' }, frame);
    expect(result).toEqual({ ok: false, error: { code: 'E_FORBIDDEN', message: expect.any(String) } });
    expect(dispatch).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledOnce();
    expect(JSON.stringify(warn.mock.calls)).not.toContain('Jane Doe');
    // And nothing changed.
    expect(await call('prefs.get', {})).toEqual({ ok: true, value: { theme: 'system', density: 'compact' } });
  });

  it('treats a senderFrame getter that throws as no frame', () => {
    const event = Object.defineProperty({}, 'senderFrame', {
      get() {
        throw new Error('Render frame was disposed');
      },
    });
    expect(checkSender(event as IpcMainInvokeEvent)).toMatchObject({ ok: false, reason: 'no sender frame' });
  });

  it('forwards body events only to windows on the app origin', async () => {
    const app = fakeWindow('app://hdms/index.html#/settings');
    const evil = fakeWindow('https://evil.example/');
    const file = fakeWindow('file:///tmp/index.html');
    const gone = fakeWindow('app://hdms/index.html', true);
    windows.push(app.window, evil.window, file.window, gone.window);
    await call('prefs.update', { density: 'comfortable' });
    expect(app.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, 'prefs.changed', { theme: 'system', density: 'comfortable' });
    expect(evil.send).not.toHaveBeenCalled();
    expect(file.send).not.toHaveBeenCalled();
    expect(gone.send).not.toHaveBeenCalled();
  });

  it('forwards devices.changed only to a window whose page holds a session; the unlock screen\'s events to all', async () => {
    const signedIn = fakeWindow('app://hdms/index.html', false, 7);
    const locked = fakeWindow('app://hdms/index.html', false, 8);
    windows.push(signedIn.window, locked.window);
    // The page of webContents 7 creates the vault and signs in.
    const vault = await buildTestKeyring();
    expect((await call('vault.create', { keyring: vault.keyring })).ok).toBe(true);
    const begun = await call('vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    if (!begun.ok) throw new Error(begun.error.message);
    const { attempt, challenge, slot } = begun.value as { attempt: string; challenge: string; slot: { id: string } };
    const signature = await signSessionProof(vault.signingKeys.passphrase, fromBase64Url(challenge), slot.id);
    expect((await call('vault.unlockFinish', { attempt, signature: toBase64Url(signature) })).ok).toBe(true);
    signedIn.send.mockClear();
    locked.send.mockClear();
    body.events.emit('devices.changed', { ports: [], connections: [], tcp: null, awaitingApproval: [] });
    body.events.emit('journal.appended', { lastSeq: 1 });
    expect(signedIn.send.mock.calls.map((args) => args[1])).toEqual(['devices.changed', 'journal.appended']);
    expect(locked.send.mock.calls.map((args) => args[1])).toEqual(['journal.appended']);
  });

  it('keeps delivering when one window throws', async () => {
    const broken = fakeWindow('app://hdms/index.html');
    broken.send.mockImplementation(() => {
      throw new Error('Object has been destroyed');
    });
    const healthy = fakeWindow('app://hdms/index.html');
    windows.push(broken.window, healthy.window);
    await call('prefs.update', { theme: 'light' });
    expect(healthy.send).toHaveBeenCalledOnce();
  });

  it('unbinds: removes every handler and stops forwarding', async () => {
    const app = fakeWindow('app://hdms/index.html');
    windows.push(app.window);
    const before = ipc.handlers.get('hdms:prefs.update');
    unbind();
    expect(ipc.handlers.size).toBe(0);
    await before?.(invokeEvent(appFrame()), { theme: 'dark' });
    expect(app.send).not.toHaveBeenCalled();
    unbind = () => undefined;
  });

  it('answers E_INTERNAL instead of throwing if the router ever throws', async () => {
    vi.spyOn(body.router, 'dispatch').mockRejectedValueOnce(new Error('bug'));
    const result = await call('app.info', {});
    expect(result.ok ? 'ok' : result.error.code).toBe('E_INTERNAL');
  });
});

describe('bindContractToIpc: a window\'s operator session lives as long as its page', () => {
  /** A sender that records its listeners, so the test can navigate or destroy it. */
  function watchedSender(id: number) {
    const listeners = new Map<string, (details?: unknown) => void>();
    const sender = {
      id,
      once: (name: string, listener: () => void) => listeners.set(name, listener),
      on: (name: string, listener: (details?: unknown) => void) => listeners.set(name, listener),
    };
    const emit = (name: string, details?: unknown): void => listeners.get(name)?.(details);
    return { sender, emit };
  }

  const callFrom = (sender: object, method: string): Promise<WireResult<unknown>> =>
    ipc.handlers.get(`hdms:${method}`)!({ senderFrame: appFrame(), sender } as unknown as IpcMainInvokeEvent, {});

  it('ends the session at a main-frame navigation (a reload) and when the page is destroyed, not at a same-document one', async () => {
    const closed = vi.spyOn(body, 'connectionClosed');
    const { sender, emit } = watchedSender(11);
    await callFrom(sender, 'vault.status');
    emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    expect(closed).not.toHaveBeenCalled();
    emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    expect(closed).toHaveBeenLastCalledWith('webcontents-11');
    emit('destroyed');
    expect(closed).toHaveBeenCalledTimes(2);
  });
});
