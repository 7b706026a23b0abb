import { EventEmitter } from 'node:events';
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { createMainWindow, revealWindow, type BrowserWindowCtor } from '../../../electron/window/main-window';

class FakeWindow extends EventEmitter {
  static created: FakeWindow[] = [];
  visible = false;
  minimized = false;
  loadURL = vi.fn(async (_url: string) => undefined);
  show = vi.fn(() => (this.visible = true));
  hide = vi.fn(() => (this.visible = false));
  focus = vi.fn();
  restore = vi.fn(() => (this.minimized = false));
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeWindow.created.push(this);
  }
  isVisible = (): boolean => this.visible;
  isMinimized = (): boolean => this.minimized;
  isDestroyed = (): boolean => false;
}

function make(quitting = false) {
  const isQuitting = vi.fn(() => quitting);
  const window = createMainWindow({
    BrowserWindow: FakeWindow as unknown as BrowserWindowCtor,
    preloadPath: '/out/preload/preload.cjs',
    isPackaged: true,
    isQuitting,
  }) as unknown as FakeWindow;
  return { window, isQuitting };
}

describe('createMainWindow', () => {
  it('creates a hidden, sandboxed window that loads the app document and shows on ready-to-show', () => {
    const { window } = make();
    expect(window.options.show).toBe(false);
    expect(window.options.webPreferences?.sandbox).toBe(true);
    expect(window.options.webPreferences?.preload).toBe('/out/preload/preload.cjs');
    expect(window.loadURL).toHaveBeenCalledWith('app://hdms/index.html');
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledOnce();
  });

  it('hides instead of closing while the node runs', () => {
    const { window } = make(false);
    const event = { preventDefault: vi.fn() };
    window.emit('close', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(window.hide).toHaveBeenCalled();
  });

  it('really closes once a quit has begun', () => {
    const { window } = make(true);
    const event = { preventDefault: vi.fn() };
    window.emit('close', event);
    expect(event.preventDefault).not.toHaveBeenCalled();
    expect(window.hide).not.toHaveBeenCalled();
  });

  it('reports a failed load by error class', async () => {
    const onLoadFailed = vi.fn();
    class Failing extends FakeWindow {
      override loadURL = vi.fn(async () => {
        throw new TypeError('ERR_FILE_NOT_FOUND');
      });
    }
    createMainWindow({ BrowserWindow: Failing as unknown as BrowserWindowCtor, preloadPath: '/p', isPackaged: true, isQuitting: () => false, onLoadFailed });
    await vi.waitFor(() => expect(onLoadFailed).toHaveBeenCalledWith('TypeError'));
  });

  it('revealWindow restores, shows and focuses', () => {
    const { window } = make();
    window.minimized = true;
    revealWindow(window as unknown as BrowserWindow);
    expect(window.restore).toHaveBeenCalled();
    expect(window.show).toHaveBeenCalled();
    expect(window.focus).toHaveBeenCalled();
    expect(() => revealWindow(null)).not.toThrow();
  });
});
