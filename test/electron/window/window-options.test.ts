import { describe, expect, it } from 'vitest';
import { createMainWindowOptions, WINDOW_BACKGROUND } from '../../../electron/window/window-options';

describe('createMainWindowOptions', () => {
  const packaged = createMainWindowOptions({ preloadPath: '/app/out/preload/preload.cjs', isPackaged: true });
  const web = packaged.webPreferences ?? {};

  it('pins every security-relevant web preference', () => {
    expect(web).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      plugins: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      enableWebSQL: false,
      devTools: false,
    });
    // Each one is written out, not left to a default that may change between Electron versions.
    for (const key of ['contextIsolation', 'sandbox', 'nodeIntegration', 'webSecurity', 'webviewTag', 'devTools'] as const) {
      expect(Object.prototype.hasOwnProperty.call(web, key), key).toBe(true);
    }
  });

  it('enables no Blink feature and disables auxclick', () => {
    expect(web.enableBlinkFeatures).toBeUndefined();
    expect(web.disableBlinkFeatures).toBe('Auxclick');
    expect(web.additionalArguments).toBeUndefined();
  });

  it('uses the given CommonJS preload and no other partition', () => {
    expect(web.preload).toBe('/app/out/preload/preload.cjs');
    expect(web.partition).toBeUndefined();
  });

  it('has DevTools only in development builds', () => {
    expect(createMainWindowOptions({ preloadPath: '/p.cjs', isPackaged: false }).webPreferences?.devTools).toBe(true);
    expect(web.devTools).toBe(false);
  });

  it('stays hidden until ready-to-show, with a title, sizes and a theme background', () => {
    expect(packaged.show).toBe(false);
    expect(packaged.title).toBe('HDMS Node');
    expect(packaged.width).toBeGreaterThanOrEqual(packaged.minWidth ?? 0);
    expect(packaged.height).toBeGreaterThanOrEqual(packaged.minHeight ?? 0);
    expect(packaged.minWidth).toBeGreaterThanOrEqual(800);
    expect(packaged.backgroundColor).toBe(WINDOW_BACKGROUND.light);
    expect(createMainWindowOptions({ preloadPath: '/p.cjs', isPackaged: true, prefersDark: true }).backgroundColor).toBe(WINDOW_BACKGROUND.dark);
  });

  it('sets the icon only when one is given', () => {
    expect(packaged.icon).toBeUndefined();
    expect(createMainWindowOptions({ preloadPath: '/p.cjs', isPackaged: true, iconPath: '/r/icon.png' }).icon).toBe('/r/icon.png');
  });
});

describe('WINDOW_BACKGROUND', () => {
  it('equals the renderer theme background of each theme', async () => {
    const { readFile } = await import('node:fs/promises');
    const tokens = await readFile(new URL('../../../renderer/styles/tokens.css', import.meta.url), 'utf8');
    const backgrounds = [...tokens.matchAll(/--color-bg:\s*(#[0-9a-fA-F]{6})/g)].map((match) => match[1]?.toLowerCase());
    expect(backgrounds).toContain(WINDOW_BACKGROUND.light);
    expect(backgrounds).toContain(WINDOW_BACKGROUND.dark);
  });
});
