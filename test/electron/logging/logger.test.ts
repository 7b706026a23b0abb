import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogSink } from '../../../electron/logging/logger';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('log sink', () => {
  it('writes structured JSON lines to a private file under logs/', async () => {
    const dataDir = await tempDir();
    const sink = await openLogSink({ dataDir, level: 'info' });
    sink.logger.info({ connectionId: 'c1', count: 3 }, 'something happened');
    await sink.close();
    const [file] = await readdir(path.join(dataDir, 'logs'));
    const record = JSON.parse((await readFile(path.join(dataDir, 'logs', file!), 'utf8')).trim()) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, app: 'hdms-node', connectionId: 'c1', count: 3, msg: 'something happened' });
    if (process.platform !== 'win32') expect((await stat(path.join(dataDir, 'logs', file!))).mode & 0o777).toBe(0o600);
  });

  it('censors payload, request and token fields should a caller log one by mistake', async () => {
    const dataDir = await tempDir();
    const sink = await openLogSink({ dataDir });
    sink.logger.warn({ payload: { name: 'Jane Doe' }, request: 'MRN-1', token: 'abc', call: { payload: 'DOB 1970' } }, 'oops');
    await sink.close();
    const [file] = await readdir(path.join(dataDir, 'logs'));
    const text = await readFile(path.join(dataDir, 'logs', file!), 'utf8');
    for (const secret of ['Jane Doe', 'MRN-1', '"abc"', 'DOB 1970']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
