import type { Menu, MenuItemConstructorOptions, Tray } from 'electron';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createTray } from '../../../electron/tray/tray';
import { buildTrayMenuTemplate, trayIconPath } from '../../../electron/tray/tray-menu';

describe('tray menu', () => {
  it('has Open and Quit, wired to the actions', () => {
    const open = vi.fn();
    const quit = vi.fn();
    const template = buildTrayMenuTemplate({ open, quit });
    const labels = template.filter((item) => item.type !== 'separator').map((item) => item.label);
    expect(labels).toEqual(['Open HDMS Node', 'Quit HDMS Node']);
    const click = (id: string): void => (template.find((item) => item.id === id)?.click as () => void)();
    click('open');
    expect(open).toHaveBeenCalledOnce();
    expect(quit).not.toHaveBeenCalled();
    click('quit');
    expect(quit).toHaveBeenCalledOnce();
  });

  it('uses a template image on macOS and a colour one elsewhere', () => {
    expect(trayIconPath('/res', 'darwin')).toBe(path.join('/res', 'tray', 'trayTemplate.png'));
    expect(trayIconPath('/res', 'win32')).toBe(path.join('/res', 'tray', 'tray.png'));
    expect(trayIconPath('/res', 'linux')).toBe(path.join('/res', 'tray', 'tray.png'));
  });
});

describe('createTray', () => {
  function make(platform: NodeJS.Platform) {
    const instances: Array<Record<string, ReturnType<typeof vi.fn>> & { image: unknown; handlers: Map<string, () => void> }> = [];
    class FakeTray {
      handlers = new Map<string, () => void>();
      setToolTip = vi.fn();
      setContextMenu = vi.fn();
      on = vi.fn((name: string, handler: () => void) => this.handlers.set(name, handler));
      constructor(readonly image: unknown) {
        instances.push(this as never);
      }
    }
    const buildMenu = vi.fn((template: MenuItemConstructorOptions[]) => ({ template }) as unknown as Menu);
    const open = vi.fn();
    const tray = createTray({
      Tray: FakeTray as unknown as new (image: unknown) => Tray,
      buildMenu,
      image: '/res/tray/tray.png',
      platform,
      actions: { open, quit: vi.fn() },
    });
    return { tray: tray as unknown as FakeTray, buildMenu, open };
  }

  it('sets the tooltip and the menu, and opens on click outside macOS', () => {
    const { tray, buildMenu, open } = make('win32');
    expect(tray.image).toBe('/res/tray/tray.png');
    expect(tray.setToolTip).toHaveBeenCalledWith('HDMS Node');
    expect(buildMenu).toHaveBeenCalledOnce();
    expect(tray.setContextMenu).toHaveBeenCalledOnce();
    tray.handlers.get('click')?.();
    expect(open).toHaveBeenCalledOnce();
  });

  it('leaves the click to the menu on macOS', () => {
    const { tray } = make('darwin');
    expect(tray.handlers.has('click')).toBe(false);
  });
});
