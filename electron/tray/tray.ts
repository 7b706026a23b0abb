import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import { PRODUCT_NAME } from '../config/app-identity';
import { buildTrayMenuTemplate, type TrayMenuActions } from './tray-menu';

export interface TrayDeps {
  readonly Tray: new (image: NativeImage | string) => Tray;
  readonly buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  readonly image: NativeImage | string;
  readonly platform: NodeJS.Platform;
  readonly actions: TrayMenuActions;
}

/** Creates the tray icon with its menu. The caller keeps the returned Tray referenced. */
export function createTray(deps: TrayDeps): Tray {
  const tray = new deps.Tray(deps.image);
  tray.setToolTip(PRODUCT_NAME);
  tray.setContextMenu(deps.buildMenu(buildTrayMenuTemplate(deps.actions)));
  // On Windows and Linux a left click on a tray icon is expected to open the app; on macOS a
  // click opens the menu, which Electron does by itself.
  if (deps.platform !== 'darwin') tray.on('click', () => deps.actions.open());
  return tray;
}
