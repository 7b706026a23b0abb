import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServerLogger, openServerLogFile, SERVER_LOG_FILES_KEPT } from '../../server/logging';
import { useTempDirs } from '../support/temp-dir';

const tempDir = useTempDirs();

describe('the server log file', () => {
  it('rotates as server.<n>.log and keeps the newest files also across restarts: what older runs left is pruned', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'logs'));
    for (let n = 1; n <= 12; n++) await writeFile(path.join(dataDir, 'logs', `server.${n}.log`), `old ${n}\n`);
    await writeFile(path.join(dataDir, 'logs', 'notes.txt'), 'kept\n');
    const file = await openServerLogFile(dataDir);
    const log = createServerLogger({ level: 'info', destination: file.stream });
    log.info({ port: 1 }, 'server ready');
    log.flush();
    await file.close();
    const names = (await readdir(path.join(dataDir, 'logs'))).filter((name) => /^server\.\d+\.log$/.test(name));
    expect(names.length).toBeLessThanOrEqual(SERVER_LOG_FILES_KEPT);
    const numbers = names.map((name) => Number(name.split('.')[1])).sort((a, b) => a - b);
    expect(numbers[0]).toBeGreaterThan(12 - SERVER_LOG_FILES_KEPT);
    const newest = await readFile(path.join(dataDir, 'logs', `server.${numbers.at(-1)}.log`), 'utf8');
    expect(newest).toMatch(/"msg":"server ready"/);
    expect(await readFile(path.join(dataDir, 'logs', 'notes.txt'), 'utf8')).toBe('kept\n');
  });
});
