import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoLockPolicy } from '../../../electron/vault/auto-lock-policy';
import { DEFAULT_IDLE_MINUTES } from '../../../electron/vault/session-idle-lock';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();
const silent = { warn: () => undefined };

describe('AutoLockPolicy: the workstation\'s auto-lock minutes, as the body keeps them', () => {
  it('is the default until an administrator\'s session reports minutes, and keeps them across a restart', async () => {
    const dataDir = await tempDir();
    const policy = new AutoLockPolicy(dataDir, silent);
    expect(await policy.minutes()).toBe(DEFAULT_IDLE_MINUTES);
    await policy.set(0);
    expect(await policy.minutes()).toBe(0);
    await policy.set(5);
    expect(await new AutoLockPolicy(dataDir, silent).minutes()).toBe(5);
    expect(JSON.parse(await readFile(path.join(dataDir, 'vault', 'auto-lock.json'), 'utf8'))).toEqual({ v: 1, minutes: 5 });
  });

  it('a damaged file counts as the default, not as "never"', async () => {
    const dataDir = await tempDir();
    await mkdir(path.join(dataDir, 'vault'), { recursive: true });
    for (const text of ['{', '{"v":1,"minutes":-1}', '{"v":1,"minutes":"0"}', 'null']) {
      await writeFile(path.join(dataDir, 'vault', 'auto-lock.json'), text);
      expect(await new AutoLockPolicy(dataDir, silent).minutes()).toBe(DEFAULT_IDLE_MINUTES);
    }
  });

  it('a session\'s minutes: an administrator\'s as reported; anyone else\'s only ever sooner than the workstation\'s', () => {
    expect(AutoLockPolicy.effective('admin', 0, 15)).toBe(0);
    expect(AutoLockPolicy.effective('admin', 60, 15)).toBe(60);
    expect(AutoLockPolicy.effective('clinician', 0, 15)).toBe(15);
    expect(AutoLockPolicy.effective('researcher', 60, 15)).toBe(15);
    expect(AutoLockPolicy.effective('auditor', 5, 15)).toBe(5);
    expect(AutoLockPolicy.effective('clinician', 5, 0)).toBe(5);
    expect(AutoLockPolicy.effective('clinician', 0, 0)).toBe(0);
  });
});
