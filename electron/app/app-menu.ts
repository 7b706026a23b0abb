import type { MenuItemConstructorOptions } from 'electron';
import { PRODUCT_NAME } from '../config/app-identity';

export interface AppMenuInput {
  readonly platform: NodeJS.Platform;
  /** Packaged builds have no reload and no DevTools entries (and no DevTools at all). */
  readonly isPackaged: boolean;
  readonly productName?: string;
}

/**
 * A minimal application menu: standard editing (so copy/paste shortcuts work on macOS), zoom for
 * readability, window handling, and Quit. Nothing that navigates, and no DevTools when packaged.
 * Quit goes through the app's 'before-quit', so the body flushes first.
 */
export function buildAppMenuTemplate(input: AppMenuInput): MenuItemConstructorOptions[] {
  const name = input.productName ?? PRODUCT_NAME;
  const isMac = input.platform === 'darwin';
  const developer: MenuItemConstructorOptions[] = input.isPackaged
    ? []
    : [{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }];

  const template: MenuItemConstructorOptions[] = [];
  if (isMac) {
    template.push({
      label: name,
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit', label: `Quit ${name}` },
      ],
    });
  } else {
    template.push({ label: '&File', submenu: [{ role: 'quit', label: `&Quit ${name}` }] });
  }
  template.push(
    {
      label: '&Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...developer,
      ],
    },
    { role: 'windowMenu' },
  );
  return template;
}
