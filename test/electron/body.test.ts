import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { useTempDirs } from '../support/temp-dir';

const tempDir = useTempDirs();
const context = { transport: 'in-process', connectionId: 'test' } as const;

async function body(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'info', mllpPort: 0 });
}

describe('body', () => {
  it('creates a private data folder and answers app.info', async () => {
    const dataDir = path.join(await tempDir(), 'nested', 'data');
    const b = await body(dataDir);
    const result = await b.router.dispatch('app.info', {}, context);
    expect(result).toMatchObject({ ok: true, value: { productName: 'HDMS Node', version: '9.9.9', host: 'shell', dataDir } });
    await b.stop('quit');
    if (process.platform !== 'win32') {
      const { stat } = await import('node:fs/promises');
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    }
  });

  it('reports no vault in a fresh folder and keeps every listener closed with the reason', async () => {
    const b = await body(await tempDir());
    await expect(b.router.dispatch('vault.status', {}, context)).resolves.toEqual({ ok: true, value: { state: 'absent' } });
    const intake = await b.router.dispatch('intake.status', {}, context);
    if (!intake.ok) throw new Error('intake.status failed');
    const { listeners } = intake.value as { listeners: Array<{ state: string; reason: string }> };
    expect(listeners).toHaveLength(4);
    for (const listener of listeners) {
      expect(listener.state).toBe('closed');
      expect(listener.reason).toMatch(/No vault exists yet/);
    }
    await b.stop('quit');
  });

  it('sees a vault once its key file exists and tells listeners', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const heard: string[] = [];
    b.events.subscribe((name) => heard.push(name));
    await mkdir(path.join(dataDir, 'vault'), { recursive: true });
    await writeFile(path.join(dataDir, 'vault', 'keys.json'), '{}');
    await expect(b.router.dispatch('vault.status', {}, context)).resolves.toEqual({ ok: true, value: { state: 'locked' } });
    expect(heard).toContain('intake.statusChanged');
    await b.stop('quit');
  });

  it('runs stop hooks in reverse order before the log closes, even if one fails', async () => {
    const b = await body(await tempDir());
    const order: string[] = [];
    b.onStop(() => { order.push('first'); });
    b.onStop(() => { throw new Error('hook broke'); });
    b.onStop(async () => { order.push('last'); });
    b.events.subscribe((name) => order.push(name));
    await b.stop('quit');
    expect(order).toEqual(['app.stopping', 'last', 'first']);
  });

  it('persists preferences across restarts and announces changes', async () => {
    const dataDir = await tempDir();
    const first = await body(dataDir);
    const heard: Array<[string, unknown]> = [];
    first.events.subscribe((name, payload) => heard.push([name, payload]));
    await first.router.dispatch('prefs.update', { theme: 'dark' }, context);
    expect(heard).toEqual([['prefs.changed', { theme: 'dark', density: 'compact' }]]);
    await first.stop('quit');
    const second = await body(dataDir);
    await expect(second.router.dispatch('prefs.get', {}, context)).resolves.toEqual({ ok: true, value: { theme: 'dark', density: 'compact' } });
    await second.stop('quit');
  });

  it('announces the stop, refuses calls afterwards and flushes its log', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const heard: Array<[string, unknown]> = [];
    b.events.subscribe((name, payload) => heard.push([name, payload]));
    await Promise.all([b.stop('signal'), b.stop('signal')]);
    expect(heard).toEqual([['app.stopping', { reason: 'signal' }]]);
    await expect(b.router.dispatch('app.info', {}, context)).resolves.toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    const logs = await readdir(path.join(dataDir, 'logs'));
    const text = await readFile(path.join(dataDir, 'logs', logs[0]!), 'utf8');
    const records = text.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(records.at(0)?.msg).toBe('body started');
    expect(records.at(-1)?.msg).toBe('body stopped');
  });
});
