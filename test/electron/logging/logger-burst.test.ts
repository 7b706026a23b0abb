import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOG_FILES_KEPT, openLogSink } from '../../../electron/logging/logger';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

async function logFiles(dataDir: string): Promise<Array<{ name: string; size: number; lines: Array<Record<string, unknown>> }>> {
  const dir = path.join(dataDir, 'logs');
  const names = (await readdir(dir)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(path.join(dir, name), 'utf8');
      return { name, size: (await stat(path.join(dir, name))).size, lines: text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) };
    }),
  );
}

describe('log sink under a burst', () => {
  it('rotates by size as lines are written: a burst with no pause leaves no file over the bound and keeps the newest files', async () => {
    const dataDir = await tempDir();
    const maxFileBytes = 64 * 1024;
    const sink = await openLogSink({ dataDir, maxFileBytes });
    // ~1.5 MB written in one synchronous burst (the event loop never turns, the disk never catches up), every line different.
    for (let i = 0; i < 6_000; i++) sink.logger.info({ connectionId: `c${i}`, count: i, note: 'x'.repeat(200) }, 'call answered');
    await sink.close();
    const files = await logFiles(dataDir);
    for (const file of files) expect(file.size, file.name).toBeLessThanOrEqual(maxFileBytes);
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(LOG_FILES_KEPT);
    // The newest line is in the newest file, every line whole JSON.
    expect(files.at(-1)!.lines.at(-1)).toMatchObject({ count: 5_999, msg: 'call answered' });
  });

  it('writes 20 errors of one kind a minute and then one summary line with how many more came', async () => {
    const dataDir = await tempDir();
    let now = Date.parse('2026-12-07T03:00:00Z');
    const sink = await openLogSink({ dataDir, now: () => now });
    for (let i = 0; i < 5_000; i++) {
      sink.logger.error({ method: 'vault.directory', incident: `i-${i}`, errorClass: 'Error', stack: 'at x (a.ts:1)\n'.repeat(30) }, 'handler failed');
      if (i % 7 === 0) sink.logger.warn({ method: 'vault.directory', connectionId: 'c1', code: 'E_FORBIDDEN' }, 'call refused: not authorized');
    }
    sink.logger.info({ count: 1 }, 'an info line is never held back');
    now += 61_000;
    sink.logger.error({ method: 'vault.directory', incident: 'later', errorClass: 'Error', stack: '' }, 'handler failed');
    // Another kind (another method) has its own count.
    sink.logger.error({ method: 'journal.read', incident: 'j', errorClass: 'Error', stack: '' }, 'handler failed');
    await sink.close();
    const lines = (await logFiles(dataDir)).flatMap((file) => file.lines);
    const failed = lines.filter((line) => line['method'] === 'vault.directory' && line['msg'] === 'handler failed');
    expect(failed).toHaveLength(21); // 20 in the first minute, 1 in the next
    expect(lines.filter((line) => line['msg'] === 'call refused: not authorized')).toHaveLength(20);
    expect(lines.find((line) => String(line['msg']).startsWith('handler failed … and'))).toMatchObject({
      level: 50,
      method: 'vault.directory',
      errorClass: 'Error',
      repeated: 4_980,
      msg: 'handler failed … and 4,980 more like this in the last minute',
    });
    expect(lines.find((line) => String(line['msg']).startsWith('call refused: not authorized … and'))).toMatchObject({ level: 40, code: 'E_FORBIDDEN', repeated: 715 - 20 });
    expect(lines.filter((line) => line['msg'] === 'handler failed' && line['method'] === 'journal.read')).toHaveLength(1);
    expect(lines.filter((line) => line['msg'] === 'an info line is never held back')).toHaveLength(1);
    expect(lines.length).toBeLessThan(100);
  });
});
