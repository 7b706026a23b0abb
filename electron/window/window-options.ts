import type { BrowserWindowConstructorOptions } from 'electron';
import { PRODUCT_NAME } from '../config/app-identity';

/**
 * The window's background before the first paint, per theme. It should equal the renderer's page
 * background of the same theme (--color-bg in renderer/styles/tokens.css), so a window never
 * flashes white in a dark clinic room.
 */
export const WINDOW_BACKGROUND = { light: '#f3f5f8', dark: '#0f1419' } as const;

export interface MainWindowOptionsInput {
  /** Absolute path of the built CommonJS preload (out/preload/preload.cjs). */
  readonly preloadPath: string;
  /** Window icon (Linux; Windows and macOS take the executable's icon). */
  readonly iconPath?: string;
  /** `app.isPackaged`: DevTools exist only in development builds. */
  readonly isPackaged: boolean;
  /** `nativeTheme.shouldUseDarkColors` at creation time. */
  readonly prefersDark?: boolean;
}

/**
 * The main window's constructor options. Every security-relevant web preference is written out,
 * even where it equals Electron's default, so a future default change or a careless edit shows up
 * in review and in the unit tests that pin each one.
 */
export function createMainWindowOptions(input: MainWindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: PRODUCT_NAME,
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    show: false, // shown on 'ready-to-show', so the first frame is the app, not a blank window
    backgroundColor: input.prefersDark === true ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light,
    autoHideMenuBar: false,
    ...(input.iconPath === undefined ? {} : { icon: input.iconPath }),
    webPreferences: {
      preload: input.preloadPath,
      // The renderer is a web page: isolated from the preload's world, in Chromium's sandbox,
      // without Node in the page, its workers or its frames.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // The web platform's own protections stay on.
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      // No embedded guests, no plugins, no navigation by dropping a file on the window.
      webviewTag: false,
      plugins: false,
      navigateOnDragDrop: false,
      // A page cannot trap the user in a loop of alert() dialogs.
      safeDialogs: true,
      // Spellcheck would send typed words (possibly patient data) to a dictionary service on some
      // platforms and store custom words in the profile.
      spellcheck: false,
      enableWebSQL: false,
      // Middle click would otherwise open links in a new window through a path that bypasses
      // the window-open handler in older versions; nothing in the UI needs it.
      disableBlinkFeatures: 'Auxclick',
      autoplayPolicy: 'user-gesture-required',
      devTools: !input.isPackaged,
    },
  };
}
