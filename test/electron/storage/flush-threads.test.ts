import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlushThreads, type FlushThreads } from '../../../electron/storage/flush-threads';
import { REPO_ROOT } from '../../support/repo-paths';

describe('flush threads', () => {
  let dir: string;
  let threads: FlushThreads;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-flush-'));
    threads = createFlushThreads(3);
  });
  afterEach(async () => {
    await threads.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('flushes an open file and a folder', async () => {
    const handle = await open(path.join(dir, 'a'), 'w');
    try {
      await handle.write('bytes');
      await threads.datasync(handle.fd);
    } finally {
      await handle.close();
    }
    await threads.syncDir(dir);
    expect(threads.running).toBe(1);
  });

  it('answers a failed flush with the error node:fs would give, and keeps serving', async () => {
    // A descriptor number far above any this process has open.
    await expect(threads.datasync(1_000_000)).rejects.toMatchObject({ code: 'EBADF', syscall: 'fdatasync' });
    await expect(threads.syncDir(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await threads.syncDir(dir);
  });

  it('runs flushes side by side up to its limit of threads', async () => {
    const handles = await Promise.all(Array.from({ length: 12 }, (_, i) => open(path.join(dir, `f${i}`), 'w')));
    try {
      await Promise.all(handles.map((handle) => handle.write('x')));
      await Promise.all([...handles.map((handle) => threads.datasync(handle.fd)), ...handles.map(() => threads.syncDir(dir))]);
      expect(threads.running).toBeGreaterThan(1);
      expect(threads.running).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
    }
  });

  it('refuses flushes once closed', async () => {
    await threads.syncDir(dir);
    await threads.close();
    await expect(threads.syncDir(dir)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('does not keep a process alive once its flushes are done', async () => {
    // A process that flushed and has nothing else to do must exit by itself (the threads are unref'd).
    const script = `import { sharedFlushThreads } from ${JSON.stringify(path.join(REPO_ROOT, 'electron/storage/flush-threads.ts'))};
await sharedFlushThreads().syncDir(${JSON.stringify(dir)});
process.stdout.write('flushed');`;
    const file = path.join(dir, 'flush-once.mts');
    await writeFile(file, script);
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, timeout: 20_000 });
    expect(run.stdout).toBe('flushed');
  });
});
