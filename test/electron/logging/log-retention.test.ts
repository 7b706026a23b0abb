import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneLogFiles } from '../../../electron/logging/log-retention';
import { openLogSink } from '../../../electron/logging/logger';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

async function seed(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) await writeFile(path.join(dir, name), `${name}\n`);
}

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `hdms-node.${from + i}.log`);

describe('pruneLogFiles', () => {
  it('keeps the newest files by number (numbers only grow), deletes the older ones, and says which', async () => {
    const dir = await tempDir();
    await seed(dir, [...numbered(1, 12), 'notes.txt', 'hdms-node.log', 'hdms-node.x.log', 'other.3.log']);
    const removed = await pruneLogFiles({ dir, base: 'hdms-node', extension: 'log', keep: 7 });
    expect(removed).toEqual(numbered(1, 5));
    // Only numbered log files count; nothing else in the folder is touched.
    expect((await readdir(dir)).sort()).toEqual([...numbered(6, 12), 'hdms-node.log', 'hdms-node.x.log', 'notes.txt', 'other.3.log'].sort());
  });

  it('orders by number, not by name (10 is newer than 9)', async () => {
    const dir = await tempDir();
    await seed(dir, ['hdms-node.9.log', 'hdms-node.10.log', 'hdms-node.11.log']);
    await pruneLogFiles({ dir, base: 'hdms-node', extension: 'log', keep: 2 });
    expect((await readdir(dir)).sort()).toEqual(['hdms-node.10.log', 'hdms-node.11.log']);
  });

  it('does nothing when there are few files or no folder', async () => {
    const dir = await tempDir();
    await seed(dir, numbered(1, 3));
    expect(await pruneLogFiles({ dir, base: 'hdms-node', extension: 'log', keep: 7 })).toEqual([]);
    expect(await pruneLogFiles({ dir: path.join(dir, 'missing'), base: 'hdms-node', extension: 'log', keep: 7 })).toEqual([]);
  });
});

describe('log sink retention across restarts', () => {
  it('opening the log prunes what earlier runs left beyond 7 files, oldest first, and writes to the newest', async () => {
    const dataDir = await tempDir();
    const logs = path.join(dataDir, 'logs');
    const first = await openLogSink({ dataDir });
    await first.close();
    // Earlier runs rotated their way up to file 20 (pino-roll only prunes files of its own run).
    await seed(logs, numbered(2, 20));
    const sink = await openLogSink({ dataDir });
    sink.logger.info('after restart');
    await sink.close();
    const files = (await readdir(logs)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    expect(files).toEqual(numbered(14, 20));
    expect(await readFile(path.join(logs, 'hdms-node.20.log'), 'utf8')).toContain('after restart');
  });
});
