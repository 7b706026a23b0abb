import { EventEmitter } from 'node:events';
import type { App, WebContents } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import {
  attachNavigationGuards,
  guardAllWebContents,
  isAllowedNavigation,
  isExternalLinkAllowed,
} from '../../../electron/window/navigation-guards';

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

class FakeSession extends EventEmitter {
  permissionRequest?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  permissionCheck?: (...args: unknown[]) => boolean;
  devicePermission?: (...args: unknown[]) => boolean;
  setPermissionRequestHandler(handler: FakeSession['permissionRequest']): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheck']): void {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: FakeSession['devicePermission']): void {
    this.devicePermission = handler;
  }
}

class FakeWebContents extends EventEmitter {
  windowOpenHandler?: WindowOpenHandler;
  readonly session = new FakeSession();
  constructor(private url = 'app://hdms/index.html#/intake') {
    super();
  }
  getURL(): string {
    return this.url;
  }
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }
}

function navEvent(url: string, extra: { isSameDocument?: boolean; isMainFrame?: boolean } = {}) {
  return { url, isSameDocument: extra.isSameDocument ?? false, isMainFrame: extra.isMainFrame ?? true, preventDefault: vi.fn() };
}

function guarded(options: Parameters<typeof attachNavigationGuards>[1] = {}) {
  const contents = new FakeWebContents();
  const onDenied = vi.fn();
  attachNavigationGuards(contents as unknown as WebContents, { onDenied, ...options });
  return { contents, session: contents.session, onDenied };
}

const FOREIGN = [
  'https://evil.example/',
  'http://127.0.0.1:8080/',
  'file:///etc/passwd',
  'file:///C:/Windows/win.ini',
  'javascript:alert(1)',
  'data:text/html,<script>1</script>',
  'app://evil/index.html',
  'app://hdms.evil/index.html',
  'about:blank',
];

describe('navigation', () => {
  it.each(['will-navigate', 'will-frame-navigate'])('%s to another origin or scheme is denied', (eventName) => {
    const { contents, onDenied } = guarded();
    for (const url of FOREIGN) {
      const event = navEvent(url);
      contents.emit(eventName, event, url);
      expect(event.preventDefault, `${eventName} ${url}`).toHaveBeenCalledOnce();
    }
    expect(onDenied).toHaveBeenCalledTimes(FOREIGN.length);
    // The log hears the origin only, never the path or query (which could carry data).
    expect(JSON.stringify(onDenied.mock.calls)).not.toContain('/etc/passwd');
  });

  it('denies a full navigation even inside the app origin (the UI is one document)', () => {
    const { contents } = guarded();
    for (const url of ['app://hdms/index.html', 'app://hdms/other.html', 'app://hdms/index.html#/x']) {
      const event = navEvent(url, { isSameDocument: false });
      contents.emit('will-navigate', event, url);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
  });

  it('allows only a same-document (hash route) change on the app origin', () => {
    const { contents } = guarded();
    const inPage = navEvent('app://hdms/index.html#/settings', { isSameDocument: true });
    contents.emit('will-navigate', inPage, inPage.url);
    expect(inPage.preventDefault).not.toHaveBeenCalled();
    const foreignSameDoc = navEvent('https://evil.example/#x', { isSameDocument: true });
    contents.emit('will-navigate', foreignSameDoc, foreignSameDoc.url);
    expect(foreignSameDoc.preventDefault).toHaveBeenCalled();
  });

  it('denies every sub-frame navigation, even same-document on the app origin', () => {
    const { contents } = guarded();
    const event = navEvent('app://hdms/index.html#/x', { isSameDocument: true, isMainFrame: false });
    contents.emit('will-frame-navigate', event);
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('denies every redirect', () => {
    const { contents } = guarded();
    for (const url of ['app://hdms/index.html', 'https://evil.example/']) {
      const event = navEvent(url);
      contents.emit('will-redirect', event, url);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
  });

  it('isAllowedNavigation is false unless same-document on the app origin', () => {
    expect(isAllowedNavigation('app://hdms/index.html#/a', true)).toBe(true);
    expect(isAllowedNavigation('app://hdms/index.html#/a', false)).toBe(false);
    expect(isAllowedNavigation('app://hdms:99/index.html#/a', true)).toBe(false);
    expect(isAllowedNavigation('garbage', true)).toBe(false);
  });
});

describe('window.open', () => {
  it('is always denied; https links go to the OS browser, nothing else does', () => {
    const openExternal = vi.fn();
    const { contents, onDenied } = guarded({ openExternal });
    const handler = contents.windowOpenHandler;
    expect(handler).toBeDefined();
    const urls = [
      'https://www.hl7.org/fhir/',
      'http://example.com/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'app://hdms/index.html',
      'data:text/html,x',
      'https://user:pass@example.com/',
      `https://example.com/${'a'.repeat(3000)}`,
      'about:blank',
      '',
    ];
    for (const url of urls) expect(handler?.({ url }), url).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledOnce();
    expect(openExternal).toHaveBeenCalledWith('https://www.hl7.org/fhir/');
    expect(onDenied).toHaveBeenCalledTimes(urls.length - 1);
  });

  it('opens nothing when no external opener is given', () => {
    const { contents } = guarded();
    expect(contents.windowOpenHandler?.({ url: 'https://www.hl7.org/' })).toEqual({ action: 'deny' });
  });

  it('isExternalLinkAllowed accepts plain https only', () => {
    expect(isExternalLinkAllowed('https://example.com/a?b=c')).toBe(true);
    expect(isExternalLinkAllowed('HTTPS://EXAMPLE.COM/')).toBe(true);
    expect(isExternalLinkAllowed('http://example.com/')).toBe(false);
    expect(isExternalLinkAllowed('ms-settings:privacy')).toBe(false);
    expect(isExternalLinkAllowed('smb://server/share')).toBe(false);
  });
});

describe('webviews, devices and permissions', () => {
  it('denies attaching a webview', () => {
    const { contents } = guarded();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event, { nodeIntegration: true }, { src: 'https://evil.example' });
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('allows only a plain-text clipboard write, and only to the app origin', () => {
    const { session } = guarded();
    const granted = vi.fn();
    session.permissionRequest?.({ getURL: () => 'app://hdms/index.html' }, 'clipboard-sanitized-write', granted);
    expect(granted).toHaveBeenCalledWith(true);
    expect(session.permissionCheck?.(null, 'clipboard-sanitized-write', 'app://hdms', {})).toBe(true);
    const foreign = vi.fn();
    session.permissionRequest?.({ getURL: () => 'https://evil.example/' }, 'clipboard-sanitized-write', foreign);
    expect(foreign).toHaveBeenCalledWith(false);
    expect(session.permissionCheck?.(null, 'clipboard-sanitized-write', 'https://evil.example', {})).toBe(false);
    expect(session.permissionCheck?.(null, 'clipboard-sanitized-write', 'app://other', {})).toBe(false);
  });

  it('denies every other permission request and check', () => {
    const { session } = guarded();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'serial', 'hid', 'usb', 'openExternal', 'fullscreen']) {
      const callback = vi.fn();
      session.permissionRequest?.({ getURL: () => 'app://hdms/index.html' }, permission, callback);
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(session.permissionCheck?.(null, permission, 'app://hdms', {}), permission).toBe(false);
    }
  });

  it('denies every device permission', () => {
    const { session } = guarded();
    for (const deviceType of ['hid', 'serial', 'usb']) {
      expect(session.devicePermission?.({ deviceType, origin: 'app://hdms', device: {} }), deviceType).toBe(false);
    }
  });

  it.each([
    ['select-hid-device', (cb: unknown) => [{ deviceList: [{ deviceId: 'x' }] }, cb], undefined],
    ['select-usb-device', (cb: unknown) => [{ deviceList: [{ deviceId: 'x' }] }, cb], undefined],
    ['select-serial-port', (cb: unknown) => [[{ portId: 'COM3' }], {}, cb], ''],
  ] as const)('cancels the %s chooser', (eventName, args, cancelValue) => {
    const { session } = guarded();
    const event = { preventDefault: vi.fn() };
    const callback = vi.fn();
    expect(session.listenerCount(eventName)).toBe(1);
    session.emit(eventName, event, ...args(callback));
    expect(event.preventDefault).toHaveBeenCalled();
    expect(callback).toHaveBeenCalledOnce();
    expect(callback.mock.calls[0]?.[0]).toBe(cancelValue);
  });

  it('cancels the bluetooth chooser', () => {
    const { contents } = guarded();
    const event = { preventDefault: vi.fn() };
    const callback = vi.fn();
    contents.emit('select-bluetooth-device', event, [{ deviceId: 'b' }], callback);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(callback).toHaveBeenCalledWith('');
  });

  it('cancels downloads', () => {
    const { session } = guarded();
    const event = { preventDefault: vi.fn() };
    const item = { cancel: vi.fn() };
    session.emit('will-download', event, item, {});
    expect(event.preventDefault).toHaveBeenCalled();
    expect(item.cancel).toHaveBeenCalled();
  });

  it('attaches once per webContents and once per session', () => {
    const contents = new FakeWebContents();
    attachNavigationGuards(contents as unknown as WebContents);
    attachNavigationGuards(contents as unknown as WebContents);
    expect(contents.listenerCount('will-navigate')).toBe(1);
    const sibling = Object.assign(new FakeWebContents(), {});
    Object.defineProperty(sibling, 'session', { value: contents.session });
    attachNavigationGuards(sibling as unknown as WebContents);
    expect(contents.session.listenerCount('select-serial-port')).toBe(1);
    expect(sibling.listenerCount('will-navigate')).toBe(1);
  });
});

describe('guardAllWebContents', () => {
  it('guards every webContents the app creates', () => {
    const app = new EventEmitter();
    guardAllWebContents(app as unknown as App);
    const contents = new FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    const event = navEvent('https://evil.example/');
    contents.emit('will-navigate', event, event.url);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(contents.windowOpenHandler?.({ url: 'https://x.example' })).toEqual({ action: 'deny' });
    expect(contents.session.permissionRequest).toBeDefined();
  });
});
