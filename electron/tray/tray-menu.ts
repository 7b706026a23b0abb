import type { MenuItemConstructorOptions } from 'electron';
import path from 'node:path';
import { PRODUCT_NAME } from '../config/app-identity';

export interface TrayMenuActions {
  readonly open: () => void;
  readonly quit: () => void;
}

/**
 * The tray menu: the node runs in the background while the window is closed, so the tray is how
 * a user gets it back, and the only way besides the app menu to stop it for real.
 */
export function buildTrayMenuTemplate(actions: TrayMenuActions, productName: string = PRODUCT_NAME): MenuItemConstructorOptions[] {
  return [
    { id: 'open', label: `Open ${productName}`, click: () => actions.open() },
    { type: 'separator' },
    { id: 'quit', label: `Quit ${productName}`, click: () => actions.quit() },
  ];
}

/**
 * The tray icon file. macOS takes a monochrome template image (the menu bar tints it for light and
 * dark); Windows and Linux a colour one. Electron picks the `@2x` sibling on high-DPI screens by
 * itself when the image is loaded from a path.
 */
export function trayIconPath(resourcesDir: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(resourcesDir, 'tray', platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');
}
