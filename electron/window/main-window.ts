import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { APP_ENTRY_URL } from './app-protocol';
import { createMainWindowOptions, type MainWindowOptionsInput } from './window-options';

/** The constructor, passed in so that this module never loads electron at runtime. */
export type BrowserWindowCtor = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export interface MainWindowDeps extends MainWindowOptionsInput {
  readonly BrowserWindow: BrowserWindowCtor;
  /** True once a real quit has begun: then closing the window really closes it. */
  readonly isQuitting: () => boolean;
  /** A load failure of the app's own document (a broken install), for the log. */
  readonly onLoadFailed?: (errorClass: string) => void;
}

/**
 * Creates the one main window: hidden until its first paint, loading the app document from the
 * privileged scheme. Closing it only hides it, because the node keeps receiving data (HL7, DICOM,
 * devices) with no window open; the tray brings it back or quits for real.
 */
export function createMainWindow(deps: MainWindowDeps): BrowserWindow {
  const window = new deps.BrowserWindow(createMainWindowOptions(deps));
  window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    if (deps.isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
  window.loadURL(APP_ENTRY_URL).catch((error: unknown) => {
    deps.onLoadFailed?.((error as Error)?.name ?? 'Error');
  });
  return window;
}

/** Brings the window to the user: shown, restored from minimized, focused. */
export function revealWindow(window: BrowserWindow | null | undefined): void {
  if (window === null || window === undefined || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  if (!window.isVisible()) window.show();
  window.focus();
}
