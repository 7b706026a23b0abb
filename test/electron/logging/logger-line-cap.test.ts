import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LOG_LINE_CHARS, openLogSink } from '../../../electron/logging/logger';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

async function lines(dataDir: string): Promise<string[]> {
  const [file] = await readdir(path.join(dataDir, 'logs'));
  return (await readFile(path.join(dataDir, 'logs', file!), 'utf8')).split('\n').filter((line) => line !== '');
}

describe('log line cap (issue 9 §3: a message quoted in a log line had no limit)', () => {
  it('a line over the cap is written as valid JSON under the cap, its long strings clipped, its ids kept', async () => {
    const dataDir = await tempDir();
    const sink = await openLogSink({ dataDir });
    sink.logger.warn({ peer: '127.0.0.1:4000', code: 102, detail: 'x'.repeat(100_000) }, `rejected ${'y'.repeat(50_000)}`);
    sink.logger.info({ count: 3 }, 'short line');
    await sink.close();
    const [long, short] = await lines(dataDir);
    expect(long!.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS);
    const record = JSON.parse(long!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, peer: '127.0.0.1:4000', code: 102 });
    expect(String(record['msg']).startsWith('rejected yyy')).toBe(true);
    expect(JSON.parse(short!)).toMatchObject({ level: 30, count: 3, msg: 'short line' });
  });

  it('a line with very many fields is replaced by a short notice that keeps level, time and message start', async () => {
    const dataDir = await tempDir();
    const sink = await openLogSink({ dataDir });
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    sink.logger.error(many, 'too wide');
    await sink.close();
    const [line] = await lines(dataDir);
    expect(line!.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS);
    expect(JSON.parse(line!)).toMatchObject({ level: 50, msg: 'too wide', truncated: true });
  });
});
