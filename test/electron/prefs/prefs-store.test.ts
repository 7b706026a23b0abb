import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrefsStore } from '../../../electron/prefs/prefs-store';
import { DEFAULT_PREFS } from '../../../shared/ipc';
import { memoryLogger } from '../../support/silent-logger';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('preferences store', () => {
  it('starts from defaults and writes atomically, leaving no temp files', async () => {
    const dir = await tempDir();
    const store = new PrefsStore(dir, memoryLogger().log);
    expect(await store.load()).toEqual(DEFAULT_PREFS);
    await Promise.all([store.update({ theme: 'dark' }), store.update({ density: 'comfortable' })]);
    expect(JSON.parse(await readFile(path.join(dir, 'prefs.json'), 'utf8'))).toEqual({ theme: 'dark', density: 'comfortable' });
    expect(await readdir(dir)).toEqual(['prefs.json']);
  });

  it.each(['{not json', '{"theme":"neon","density":"compact"}', '[]'])('falls back to defaults on a bad file (%s) and says so', async (content) => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'prefs.json'), content);
    const { log, lines } = memoryLogger();
    expect(await new PrefsStore(dir, log).load()).toEqual(DEFAULT_PREFS);
    expect(lines().some((line) => line.level === 40)).toBe(true);
  });

  it('refuses values outside the schema and keeps the old ones', async () => {
    const store = new PrefsStore(await tempDir(), memoryLogger().log);
    await expect(store.update({ theme: 'neon' } as never)).rejects.toThrow();
    expect(store.get()).toEqual(DEFAULT_PREFS);
  });
});
