import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { throttleDelayMs, UnlockThrottle } from '../../../electron/vault/unlock-throttle';
import { silentLogger } from '../storage/storage-test-support';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

describe('unlock throttle', () => {
  it('grows 1 s, 2 s, 4 s … and caps at 5 minutes', () => {
    expect([0, 1, 2, 3, 4, 9, 10, 50].map(throttleDelayMs)).toEqual([0, 1000, 2000, 4000, 8000, 256_000, 300_000, 300_000]);
  });

  it('counts failures per operator from the last failure, and resets on success', async () => {
    let now = 1_000_000;
    const throttle = new UnlockThrottle(await tempDir(), silentLogger(), () => now);
    expect(await throttle.retryAfterMs('op_a')).toEqual({ retryAfterMs: 0 });
    expect(await throttle.report('op_a', false)).toEqual({ retryAfterMs: 1000, failures: 1 });
    expect(await throttle.report('op_a', false)).toEqual({ retryAfterMs: 2000, failures: 2 });
    expect(await throttle.report('op_a', false)).toEqual({ retryAfterMs: 4000, failures: 3 });
    expect(await throttle.retryAfterMs('op_b')).toEqual({ retryAfterMs: 0 });
    now += 1500;
    expect(await throttle.retryAfterMs('op_a')).toEqual({ retryAfterMs: 2500 });
    now += 5000;
    expect(await throttle.retryAfterMs('op_a')).toEqual({ retryAfterMs: 0 });
    expect(await throttle.report('op_a', true)).toEqual({ retryAfterMs: 0, failures: 0, cleared: 3 });
    expect(await throttle.report('op_a', false)).toEqual({ retryAfterMs: 1000, failures: 1 });
  });

  it('survives a restart (the file in vault/ keeps it)', async () => {
    const dataDir = await tempDir();
    let now = 5_000_000;
    const first = new UnlockThrottle(dataDir, silentLogger(), () => now);
    for (let i = 0; i < 4; i++) await first.report('op_a', false);
    now += 3000;
    const second = new UnlockThrottle(dataDir, silentLogger(), () => now);
    expect(await second.retryAfterMs('op_a')).toEqual({ retryAfterMs: 5000 });
    expect(await second.report('op_a', false)).toEqual({ retryAfterMs: 16_000, failures: 5 });
    expect(JSON.parse(await readFile(first.file, 'utf8'))).toMatchObject({ version: 1, operators: [{ operatorId: 'op_a', failures: 5 }] });
  });

  it('starts afresh from a damaged file instead of failing', async () => {
    const dataDir = await tempDir();
    const throttle = new UnlockThrottle(dataDir, silentLogger());
    await throttle.report('op_a', false);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(throttle.file, 'not json');
    const again = new UnlockThrottle(dataDir, silentLogger());
    expect(await again.retryAfterMs('op_a')).toEqual({ retryAfterMs: 0 });
    expect((await again.report('op_a', false)).failures).toBe(1);
  });
});
