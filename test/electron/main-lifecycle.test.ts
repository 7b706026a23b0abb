import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildAppMenuTemplate } from '../../electron/app/app-menu';
import { buildPaths, chromiumProfileDir, dataDirFromArgv, resourcesDir } from '../../electron/app/app-paths';
import { describeErrorForLog } from '../../electron/logging/error-report';
import { createShutdown } from '../../electron/app/shutdown';

describe('createShutdown', () => {
  it('stops the body once, then exits, whatever starts the quit', async () => {
    let release!: () => void;
    const stopBody = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const exit = vi.fn();
    const shutdown = createShutdown({ stopBody, exit });
    expect(shutdown.isQuitting()).toBe(false);
    const event = { preventDefault: vi.fn() };
    shutdown.onBeforeQuit(event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(shutdown.isQuitting()).toBe(true);
    const again = shutdown.quit(1);
    expect(stopBody).toHaveBeenCalledOnce();
    expect(exit).not.toHaveBeenCalled();
    release();
    await again;
    expect(exit).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(0); // the first quit's code wins
  });

  it('exits even when the body fails to stop', async () => {
    const exit = vi.fn();
    const onStopProblem = vi.fn();
    await createShutdown({ stopBody: async () => Promise.reject(new TypeError('x')), exit, onStopProblem }).quit(0);
    expect(onStopProblem).toHaveBeenCalledWith('failed', 'TypeError');
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits after the timeout when the body hangs', async () => {
    const exit = vi.fn();
    const onStopProblem = vi.fn();
    await createShutdown({ stopBody: () => new Promise(() => undefined), exit, onStopProblem, timeoutMs: 10 }).quit(0);
    expect(onStopProblem).toHaveBeenCalledWith('timeout');
    expect(exit).toHaveBeenCalledWith(0);
  });
});

describe('buildAppMenuTemplate', () => {
  const roles = (template: ReturnType<typeof buildAppMenuTemplate>): string[] =>
    JSON.stringify(template).match(/"role":"\w+"/g)?.map((entry) => entry.slice(8, -1)) ?? [];

  it('has no DevTools or reload when packaged', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const found = roles(buildAppMenuTemplate({ platform, isPackaged: true }));
      expect(found, platform).not.toContain('toggleDevTools');
      expect(found, platform).not.toContain('reload');
      expect(found, platform).not.toContain('forceReload');
      expect(found, platform).toContain('quit');
      expect(found, platform).toContain('copy');
    }
  });

  it('has DevTools in development', () => {
    expect(roles(buildAppMenuTemplate({ platform: 'linux', isPackaged: false }))).toContain('toggleDevTools');
  });

  it('has the macOS app menu on macOS only', () => {
    expect(buildAppMenuTemplate({ platform: 'darwin', isPackaged: true })[0]?.label).toBe('HDMS Node');
    expect(buildAppMenuTemplate({ platform: 'win32', isPackaged: true })[0]?.label).toBe('&File');
  });
});

describe('app paths', () => {
  it('finds resources in resourcesPath when packaged, in the project when not', () => {
    expect(resourcesDir({ isPackaged: true, resourcesPath: '/opt/HDMS/resources', appPath: '/opt/HDMS/resources/app.asar' })).toBe('/opt/HDMS/resources');
    expect(resourcesDir({ isPackaged: false, resourcesPath: '/x', appPath: '/src/hdms' })).toBe(path.join('/src/hdms', 'resources'));
  });

  it('finds the renderer and the CommonJS preload next to out/main', () => {
    expect(buildPaths('/app/out/main')).toEqual({
      rendererDir: path.join('/app/out/renderer'),
      preloadPath: path.join('/app/out/preload/preload.cjs'),
    });
  });

  it('takes --data-dir=DIR, else the default', () => {
    expect(dataDirFromArgv(['electron', '.', '--data-dir=/tmp/vault'], () => '/default')).toBe(path.resolve('/tmp/vault'));
    expect(dataDirFromArgv(['electron', '.', '--data-dir='], () => '/default')).toBe('/default');
    expect(dataDirFromArgv(['electron', '.'], () => '/default')).toBe('/default');
  });

  it('keeps the Chromium profile inside the data folder', () => {
    expect(chromiumProfileDir('/data')).toBe(path.join('/data', 'chromium-profile'));
  });
});

describe('describeErrorForLog', () => {
  it('keeps the class and the frames, never the message', () => {
    const error = new SyntaxError('Unexpected token in PID|||DOE^JANE||19700101');
    const described = describeErrorForLog(error);
    expect(described.errorClass).toBe('SyntaxError');
    expect(described.stack).toMatch(/^\s+at /);
    expect(described.stack).not.toContain('DOE^JANE');
  });

  it('describes thrown non-errors by type only', () => {
    expect(describeErrorForLog('Jane Doe')).toEqual({ errorClass: 'string', stack: '' });
  });
});
