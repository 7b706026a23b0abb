import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../../electron/config/data-dir';

describe('default data folder', () => {
  it('follows each platform convention, under hdms-node', () => {
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\hdms-node');
    expect(defaultDataDir('win32', {}, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\hdms-node');
    expect(defaultDataDir('darwin', {}, '/Users/ana')).toBe('/Users/ana/Library/Application Support/hdms-node');
    expect(defaultDataDir('linux', {}, '/home/ana')).toBe('/home/ana/.config/hdms-node');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/srv/cfg' }, '/home/ana')).toBe('/srv/cfg/hdms-node');
    // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: 'relative' }, '/home/ana')).toBe('/home/ana/.config/hdms-node');
  });
});
