import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * main.ts against a fake electron module: the order of the security-relevant steps, the
 * single-instance lock, the quit path. Each test loads main.ts afresh.
 */

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function makeFakes(options: { lock: boolean }) {
  const order: string[] = [];
  const ready = deferred<void>();
  const stop = deferred<void>();

  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    ready: false,
    setPath: vi.fn((name: string, value: string) => order.push(`setPath:${name}:${value}`)),
    requestSingleInstanceLock: vi.fn(() => {
      order.push('requestSingleInstanceLock');
      return options.lock;
    }),
    quit: vi.fn(() => order.push('quit')),
    exit: vi.fn((code: number) => order.push(`exit:${code}`)),
    enableSandbox: vi.fn(() => order.push('enableSandbox')),
    setAppUserModelId: vi.fn(),
    getAppPath: () => '/project',
    isReady: () => app.ready,
    whenReady: vi.fn(() => {
      order.push('whenReady');
      return ready.promise.then(() => {
        app.ready = true;
        order.push('ready');
      });
    }),
  });

  class FakeWindow extends EventEmitter {
    static all: FakeWindow[] = [];
    static getAllWindows = (): FakeWindow[] => FakeWindow.all;
    static getFocusedWindow = (): FakeWindow | null => null;
    webContents = { id: 1, isDestroyed: () => false, getURL: () => 'app://hdms/index.html', send: vi.fn() };
    loadURL = vi.fn(async (url: string) => {
      order.push(`loadURL:${url}`);
    });
    show = vi.fn();
    hide = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    isVisible = (): boolean => false;
    isMinimized = (): boolean => false;
    isDestroyed = (): boolean => false;
    constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
      super();
      order.push('new BrowserWindow');
      FakeWindow.all.push(this);
    }
  }

  class FakeTray {
    static created: FakeTray[] = [];
    setToolTip = vi.fn();
    setContextMenu = vi.fn();
    on = vi.fn();
    destroy = vi.fn();
    constructor(readonly image: unknown) {
      order.push('new Tray');
      FakeTray.created.push(this);
    }
  }

  const ipcHandlers = new Map<string, unknown>();
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    protocol: {
      registerSchemesAsPrivileged: vi.fn(() => order.push('registerSchemesAsPrivileged')),
      handle: vi.fn((scheme: string) => order.push(`protocol.handle:${scheme}`)),
    },
    ipcMain: {
      handle: vi.fn((channel: string, handler: unknown) => {
        order.push('ipcMain.handle');
        ipcHandlers.set(channel, handler);
      }),
      removeHandler: vi.fn(),
    },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => ({ template })), setApplicationMenu: vi.fn(() => order.push('setApplicationMenu')) },
    nativeImage: { createFromPath: vi.fn((p: string) => ({ path: p })) },
    nativeTheme: { shouldUseDarkColors: false },
    session: {
      defaultSession: { webRequest: { onBeforeRequest: vi.fn(() => order.push('onBeforeRequest')) } },
    },
    shell: { openExternal: vi.fn(async () => undefined) },
    dialog: {
      showErrorBox: vi.fn(),
      showOpenDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({ canceled: true, filePaths: [] })),
    },
    safeStorage: {
      isEncryptionAvailable: vi.fn(() => true),
      encryptString: vi.fn((text: string) => Buffer.from(text)),
      decryptString: vi.fn((data: Buffer) => data.toString()),
    },
  };

  const body = {
    router: { dispatch: vi.fn(async () => ({ ok: true, value: {} })) },
    events: { subscribe: vi.fn(() => () => undefined) },
    log: { info: vi.fn(), warn: vi.fn(), error: vi.fn(), fatal: vi.fn() },
    stop: vi.fn(() => {
      order.push('body.stop');
      return stop.promise;
    }),
  };
  const startBody = vi.fn(async (config: unknown) => {
    order.push('startBody');
    void config;
    return body;
  });

  return { order, ready, stop, app, electron, body, startBody, FakeWindow, FakeTray, ipcHandlers };
}

const PROCESS_EVENTS = new Set(['uncaughtException', 'unhandledRejection', 'SIGINT', 'SIGTERM', 'exit']);
let dataDir: string;
let processHandlers: Map<string, Array<(...args: unknown[]) => void>>;
let originalArgv: string[];

async function loadMain(options: { lock: boolean } = { lock: true }) {
  const fakes = makeFakes(options);
  vi.resetModules();
  vi.doMock('electron', () => fakes.electron);
  vi.doMock('../../electron/body', () => ({ startBody: fakes.startBody }));
  await import('../../electron/main');
  return fakes;
}

async function bootToReady(fakes: ReturnType<typeof makeFakes>): Promise<void> {
  fakes.ready.resolve();
  await vi.waitFor(() => expect(fakes.FakeWindow.all.length).toBe(1));
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'hdms-main-'));
  originalArgv = process.argv;
  process.argv = [...process.argv.slice(0, 2), `--data-dir=${dataDir}`];
  processHandlers = new Map();
  // main.ts installs process-wide handlers; capture them instead of installing them in the test runner.
  const realOn = process.on.bind(process);
  const realOnce = process.once.bind(process);
  const capture = (real: typeof realOn) =>
    ((event: string, handler: (...args: unknown[]) => void) => {
      if (!PROCESS_EVENTS.has(event)) return real(event as never, handler as never);
      processHandlers.set(event, [...(processHandlers.get(event) ?? []), handler]);
      return process;
    }) as typeof process.on;
  vi.spyOn(process, 'on').mockImplementation(capture(realOn));
  vi.spyOn(process, 'once').mockImplementation(capture(realOnce));
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.doUnmock('electron');
  vi.doUnmock('../../electron/body');
  process.argv = originalArgv;
  delete (process as { resourcesPath?: string }).resourcesPath;
  await rm(dataDir, { recursive: true, force: true });
});

describe('main.ts', () => {
  it('gives the body native dialogs for the backup destination and the file to restore (paths only, cancel is null)', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const config = fakes.startBody.mock.calls[0]![0] as { backupDialogs: { chooseFolder(): Promise<string | null>; chooseBackupFile(): Promise<string | null>; chooseRegisterFile(): Promise<string | null> } };
    const open = fakes.electron.dialog.showOpenDialog;
    open.mockResolvedValueOnce({ canceled: false, filePaths: ['/srv/backups'] });
    await expect(config.backupDialogs.chooseFolder()).resolves.toBe('/srv/backups');
    expect(open.mock.calls[0]!.at(-1)).toMatchObject({ properties: expect.arrayContaining(['openDirectory']) });
    open.mockResolvedValueOnce({ canceled: false, filePaths: ['/srv/backups/hdms-backup-20260101T000000Z.hdmsbak'] });
    await expect(config.backupDialogs.chooseBackupFile()).resolves.toBe('/srv/backups/hdms-backup-20260101T000000Z.hdmsbak');
    expect(open.mock.calls[1]!.at(-1)).toMatchObject({ properties: ['openFile'], filters: [{ name: 'HDMS Node backups', extensions: ['hdmsbak'] }, { name: 'All files (a renamed copy)', extensions: ['*'] }] });
    open.mockResolvedValueOnce({ canceled: false, filePaths: ['/media/usb/hdms-erasure-register.json'] });
    await expect(config.backupDialogs.chooseRegisterFile()).resolves.toBe('/media/usb/hdms-erasure-register.json');
    expect(open.mock.calls[2]!.at(-1)).toMatchObject({ properties: ['openFile'], filters: [{ name: 'Erasure register', extensions: ['json'] }] });
    await expect(config.backupDialogs.chooseFolder()).resolves.toBeNull();
  });

  it('hands the body the serial ports of --serial-port (repeatable), as the shell does', async () => {
    process.argv = [...process.argv, '--serial-port', '/dev/ttyUSB0', '--serial-port=/dev/pts/3'];
    const fakes = await loadMain();
    await bootToReady(fakes);
    expect((fakes.startBody.mock.calls[0]![0] as { serialPorts: readonly string[] }).serialPorts).toEqual(['/dev/ttyUSB0', '/dev/pts/3']);
  });

  it('puts the Chromium profile in the data folder before taking the single-instance lock', async () => {
    const { order } = await loadMain();
    const setPath = order.findIndex((entry) => entry.startsWith('setPath:userData:'));
    expect(order[setPath]).toBe(`setPath:userData:${path.join(dataDir, 'chromium-profile')}`);
    expect(setPath).toBeLessThan(order.indexOf('requestSingleInstanceLock'));
  });

  it('registers the privileged scheme and sandboxes every renderer before ready', async () => {
    const fakes = await loadMain();
    expect(fakes.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, allowServiceWorkers: false, corsEnabled: false }) },
    ]);
    expect(fakes.order).toContain('enableSandbox');
    expect(fakes.order).not.toContain('ready');
    expect(fakes.electron.protocol.handle).not.toHaveBeenCalled();
  });

  it('quits a second instance at once, without starting anything', async () => {
    const fakes = await loadMain({ lock: false });
    expect(fakes.app.quit).toHaveBeenCalledOnce();
    expect(fakes.electron.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    expect(fakes.app.whenReady).not.toHaveBeenCalled();
    expect(fakes.startBody).not.toHaveBeenCalled();
    expect(fakes.app.listenerCount('before-quit')).toBe(0);
  });

  it('on ready: protocol, network filter, body, IPC, then the window and tray; loads app://hdms', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const at = (entry: string): number => fakes.order.indexOf(entry);
    expect(at('protocol.handle:app')).toBeGreaterThan(at('ready'));
    expect(at('onBeforeRequest')).toBeGreaterThan(at('ready'));
    expect(at('startBody')).toBeGreaterThan(at('protocol.handle:app'));
    expect(at('ipcMain.handle')).toBeGreaterThan(at('startBody'));
    expect(at('new BrowserWindow')).toBeGreaterThan(at('ipcMain.handle'));
    expect(at('new Tray')).toBeGreaterThan(at('startBody'));
    expect(fakes.order).toContain('loadURL:app://hdms/index.html');
    expect(fakes.startBody).toHaveBeenCalledWith(expect.objectContaining({ dataDir, host: 'electron', productName: 'HDMS Node' }));
    // The OS keychain reaches the body as a port over safeStorage (the body never imports electron).
    const keychain = (fakes.startBody.mock.calls[0]![0] as { keychain?: { available(): boolean } }).keychain;
    expect(keychain?.available()).toBe(true);
    const web = fakes.FakeWindow.all[0]?.options.webPreferences ?? {};
    expect(web).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: true });
    expect(String(web.preload)).toMatch(/preload[\\/]preload\.cjs$/);
  });

  it('guards every webContents through web-contents-created', async () => {
    const fakes = await loadMain();
    expect(fakes.app.listenerCount('web-contents-created')).toBe(1);
  });

  it('does not quit when all windows are closed, and closing the window hides it', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    expect(fakes.app.listenerCount('window-all-closed')).toBeGreaterThan(0);
    fakes.app.emit('window-all-closed');
    const window = fakes.FakeWindow.all[0];
    const close = { preventDefault: vi.fn() };
    window?.emit('close', close);
    expect(close.preventDefault).toHaveBeenCalled();
    expect(window?.hide).toHaveBeenCalled();
    expect(fakes.app.quit).not.toHaveBeenCalled();
    expect(fakes.app.exit).not.toHaveBeenCalled();
  });

  it('before-quit: cancels once, awaits body.stop, then exits 0', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const first = { preventDefault: vi.fn() };
    fakes.app.emit('before-quit', first);
    expect(first.preventDefault).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(fakes.body.stop).toHaveBeenCalledWith('quit'));
    // A second Cmd+Q while the body flushes neither exits early nor stops the body twice.
    const second = { preventDefault: vi.fn() };
    fakes.app.emit('before-quit', second);
    expect(second.preventDefault).toHaveBeenCalledOnce();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fakes.app.exit).not.toHaveBeenCalled();
    fakes.stop.resolve();
    await vi.waitFor(() => expect(fakes.app.exit).toHaveBeenCalledWith(0));
    expect(fakes.body.stop).toHaveBeenCalledOnce();
    expect(fakes.order.indexOf('exit:0')).toBeGreaterThan(fakes.order.indexOf('body.stop'));
  });

  it.each(['SIGINT', 'SIGTERM'])('%s stops the body, then exits', async (signal) => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    for (const handler of processHandlers.get(signal) ?? []) handler(signal);
    await vi.waitFor(() => expect(fakes.body.stop).toHaveBeenCalled());
    expect(fakes.app.exit).not.toHaveBeenCalled();
    fakes.stop.resolve();
    await vi.waitFor(() => expect(fakes.app.exit).toHaveBeenCalledWith(0));
  });

  it('the tray has Open and Quit; Quit stops the body before exiting', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const tray = fakes.FakeTray.created[0];
    const menu = tray?.setContextMenu.mock.calls[0]?.[0] as { template: Array<{ label?: string; click?: () => void }> };
    const labels = menu.template.map((item) => item.label).filter(Boolean);
    expect(labels).toEqual(['Open HDMS Node', 'Quit HDMS Node']);
    menu.template.find((item) => item.label === 'Quit HDMS Node')?.click?.();
    await vi.waitFor(() => expect(fakes.body.stop).toHaveBeenCalled());
    fakes.stop.resolve();
    await vi.waitFor(() => expect(fakes.app.exit).toHaveBeenCalledWith(0));
  });

  it('logs an uncaught error by class and stack frames only, then shuts down with exit code 1', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const error = new RangeError('patient Jane Doe MRN 12345 broke it');
    for (const handler of processHandlers.get('uncaughtException') ?? []) handler(error);
    expect(fakes.body.log.fatal).toHaveBeenCalledOnce();
    const logged = JSON.stringify(fakes.body.log.fatal.mock.calls);
    expect(logged).toContain('RangeError');
    expect(logged).not.toContain('Jane Doe');
    fakes.stop.resolve();
    await vi.waitFor(() => expect(fakes.app.exit).toHaveBeenCalledWith(1));
  });

  it('a second instance brings the window back', async () => {
    const fakes = await loadMain();
    await bootToReady(fakes);
    const window = fakes.FakeWindow.all[0];
    fakes.app.emit('second-instance');
    expect(window?.show).toHaveBeenCalled();
    expect(window?.focus).toHaveBeenCalled();
    expect(fakes.FakeWindow.all).toHaveLength(1);
  });

  it('sets an application menu without DevTools in a packaged build', async () => {
    const fakes = makeFakes({ lock: true });
    fakes.app.isPackaged = true;
    Object.defineProperty(process, 'resourcesPath', { value: path.join(dataDir, 'resources'), configurable: true });
    vi.resetModules();
    vi.doMock('electron', () => fakes.electron);
    vi.doMock('../../electron/body', () => ({ startBody: fakes.startBody }));
    await import('../../electron/main');
    await bootToReady(fakes);
    const template = JSON.stringify(fakes.electron.Menu.buildFromTemplate.mock.calls[0]?.[0]);
    expect(template).not.toMatch(/toggleDevTools|reload/i);
    expect(fakes.FakeWindow.all[0]?.options.webPreferences?.devTools).toBe(false);
    expect(fakes.electron.nativeImage.createFromPath).toHaveBeenCalledWith(path.join(dataDir, 'resources', 'tray', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'));
  });

  describe('debugging switches', () => {
    async function loadWith(packaged: boolean, extraArgs: string[]) {
      const fakes = makeFakes({ lock: true });
      fakes.app.isPackaged = packaged;
      process.argv = [...process.argv, ...extraArgs];
      vi.resetModules();
      vi.doMock('electron', () => fakes.electron);
      vi.doMock('../../electron/body', () => ({ startBody: fakes.startBody }));
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${String(code)}`);
      });
      const loaded = import('../../electron/main').then(
        () => null,
        (error: unknown) => error,
      );
      return { fakes, stderr, exit, error: await loaded };
    }

    it.each([['--remote-debugging-port=9222'], ['--remote-debugging-pipe'], ['--inspect-brk=9229'], ['--js-flags=--expose-gc']])(
      'a packaged build started with %s exits before touching the profile or taking the lock',
      async (arg) => {
        const { fakes, stderr, exit, error } = await loadWith(true, [arg]);
        expect(String(error)).toMatch(/exit/);
        expect(exit).toHaveBeenCalledWith(2);
        expect(String(stderr.mock.calls[0]?.[0])).toContain(arg.split('=')[0]!);
        expect(fakes.order).toEqual([]);
        expect(fakes.app.whenReady).not.toHaveBeenCalled();
      },
    );

    it('a development build keeps them', async () => {
      const { fakes, exit, error } = await loadWith(false, ['--remote-debugging-port=9222', '--inspect']);
      expect(error).toBeNull();
      expect(exit).not.toHaveBeenCalled();
      expect(fakes.order).toContain('requestSingleInstanceLock');
    });
  });

  it('shows an error and exits 1 when the body cannot start', async () => {
    const fakes = makeFakes({ lock: true });
    fakes.startBody.mockRejectedValueOnce(new Error('EACCES: /home/jane.doe'));
    vi.resetModules();
    vi.doMock('electron', () => fakes.electron);
    vi.doMock('../../electron/body', () => ({ startBody: fakes.startBody }));
    await import('../../electron/main');
    fakes.ready.resolve();
    await vi.waitFor(() => expect(fakes.app.exit).toHaveBeenCalledWith(1));
    expect(fakes.electron.dialog.showErrorBox).toHaveBeenCalledOnce();
    expect(fakes.FakeWindow.all).toHaveLength(0);
  });
});
