import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceChannel } from '../../../../electron/intake/devices/device-channel';
import { DEVICE_DEDUPE_DIR } from '../../../../electron/intake/devices/device-duplicates';
import { DeviceRegistry } from '../../../../electron/intake/devices/device-registry';
import type { IntakeVaultPorts } from '../../../../electron/intake/intake-channel';
import { Journal } from '../../../../electron/storage/journal';
import { useTempDirs } from '../../../support/temp-dir';
import { silentLogger } from '../../storage/storage-test-support';

/** The device channel's attach: a duplicate index that cannot be opened is reported; a second attach changes nothing. */

const tempDir = useTempDirs();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function channelInVault(): Promise<{ channel: DeviceChannel; ports: IntakeVaultPorts; dataDir: string }> {
  const dataDir = await tempDir();
  const journal = await Journal.open(path.join(dataDir, 'journal'), silentLogger());
  cleanups.push(() => journal.close());
  const channel = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(dataDir, silentLogger()), tcp: { address: '127.0.0.1', port: 0 } });
  cleanups.push(() => channel.detach('test over'));
  // Only the journal is used by attach itself; the pipeline and sealer are reached by sessions only.
  const ports = { journal, pipeline: {}, sealer: {}, intakePublicKey: new Uint8Array(), onDurable: () => undefined } as unknown as IntakeVaultPorts;
  return { channel, ports, dataDir };
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('device channel attach', () => {
  it('a duplicate index that cannot be opened fails the attach and the status is an error saying why (not "Opens once the vault is open.")', async () => {
    const { channel, ports, dataDir } = await channelInVault();
    const dedupeDir = path.join(dataDir, ...DEVICE_DEDUPE_DIR);
    await mkdir(path.dirname(dedupeDir), { recursive: true });
    await writeFile(dedupeDir, 'not a folder'); // its folder cannot be made
    await expect(channel.attach(ports)).rejects.toThrow();
    const status = channel.status();
    expect(status.state).toBe('error');
    expect(status.state === 'error' && status.reason).toMatch(/^The device duplicate index could not be opened/);
    expect(channel.snapshot().tcp).toBeNull();
    // Once the cause is gone, the next attach opens it.
    await rm(dedupeDir);
    await channel.attach(ports);
    expect(channel.status().state).toBe('listening');
  });

  it('a second attach, while attached or while attaching, changes nothing (no second listener or index left behind at detach)', async () => {
    const { channel, ports } = await channelInVault();
    await Promise.all([channel.attach(ports), channel.attach(ports)]);
    const first = channel.snapshot().tcp!.port;
    await channel.attach(ports);
    expect(channel.snapshot().tcp!.port).toBe(first);
    await channel.detach('stopped');
    expect(await accepts(first)).toBe(false);
    expect(channel.status().state).toBe('closed');
  });
});
