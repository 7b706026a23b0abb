import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTAKE_SETTINGS_FILE, IntakeSettingsError, IntakeSettingsStore, isLoopbackAddress, localAddressProblem, mllpPortFromArgv, reachableAddresses, settingsProblem } from '../../../electron/intake/intake-settings';
import { IntakeUploads } from '../../../electron/intake/intake-uploads';
import { DEFAULT_INTAKE_SETTINGS } from '../../../shared/ipc';

describe('intake settings', () => {
  it('reads --mllp-port=N and --mllp-port N from Electron argv (0 = disabled), null when absent', () => {
    expect(mllpPortFromArgv(['/app/hdms', '--data-dir=/x'])).toBeNull();
    expect(mllpPortFromArgv(['/app/hdms', '--mllp-port=2600'])).toBe(2600);
    expect(mllpPortFromArgv(['/app/hdms', '--mllp-port', '0'])).toBe(0);
    for (const bad of [['--mllp-port=70000'], ['--mllp-port=abc'], ['--mllp-port'], ['--mllp-port=-1']]) {
      expect(() => mllpPortFromArgv(bad)).toThrow(IntakeSettingsError);
    }
  });

  it('needs an allow-list beyond loopback', () => {
    expect(settingsProblem(DEFAULT_INTAKE_SETTINGS)).toBeNull();
    // Named by the field's label, as the settings form shows it, never by the contract's key (QA explore-12 D6).
    expect(settingsProblem({ ...DEFAULT_INTAKE_SETTINGS, bindAddress: '0.0.0.0' })).toBe('Allowed peers: listening on 0.0.0.0 lets other computers connect; list the IP addresses of the systems allowed to send, or bind to 127.0.0.1.');
    expect(settingsProblem({ ...DEFAULT_INTAKE_SETTINGS, bindAddress: '192.168.1.20', allowedPeers: ['192.168.1.5'] })).toBeNull();
    expect(isLoopbackAddress('127.0.0.2')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::')).toBe(false);
  });

  it('refuses a bind address that is not one of this computer\'s (QA12 D2); loopback and the wildcards are always its own', () => {
    const local = ['127.0.0.1', '192.168.1.20', 'fe80::1', '::1'];
    expect(localAddressProblem('203.0.113.77', local)).toBe(
      'Bind address: 203.0.113.77 is not an address of this computer, so nothing could connect to it. Use 127.0.0.1 (this computer only), 0.0.0.0 (every network of this computer) or one of its addresses: 192.168.1.20, fe80::1.',
    );
    for (const ok of ['127.0.0.1', '127.0.0.2', '0.0.0.0', '::', '::1', '192.168.1.20', '::ffff:192.168.1.20', 'FE80:0:0::1']) expect(localAddressProblem(ok, local), ok).toBeNull();
  });

  it('a settings file saved before maxConnectionsPerPeer existed still loads (the default applies); the new limit is saved and checked', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-intake-settings-'));
    try {
      const old = { port: 2600, bindAddress: '127.0.0.1', allowedPeers: [], maxMessageBytes: 1_048_576, defaultCharset: 'UNICODE UTF-8' };
      await writeFile(path.join(dir, INTAKE_SETTINGS_FILE), JSON.stringify(old));
      const store = new IntakeSettingsStore(dir, { warn: () => undefined });
      expect(await store.load()).toEqual({ ...old, maxConnectionsPerPeer: 16 });
      await store.update({ maxConnectionsPerPeer: 4 });
      expect(JSON.parse(await readFile(path.join(dir, INTAKE_SETTINGS_FILE), 'utf8'))).toMatchObject({ port: 2600, maxConnectionsPerPeer: 4 });
      await expect(store.update({ maxConnectionsPerPeer: 0 })).rejects.toThrow(IntakeSettingsError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('intake uploads', () => {
  it('keeps files in order, enforces the limits, and drops idle uploads', () => {
    let now = 0;
    const uploads = new IntakeUploads({ maxOpen: 2, maxFileBytes: 10, maxTotalBytes: 15, maxFiles: 3, idleMs: 1000, now: () => now });
    const a = uploads.begin();
    uploads.begin();
    expect(() => uploads.begin()).toThrow(/uploads are open/);
    expect(uploads.append(a, 0, new Uint8Array(4))).toBe(4);
    expect(uploads.append(a, 0, new Uint8Array(4))).toBe(8);
    expect(() => uploads.append(a, 2, new Uint8Array(1))).toThrow(/in order/);
    expect(uploads.append(a, 1, new Uint8Array(0))).toBe(0);
    expect(uploads.take(a).map((file) => file.length)).toEqual([8, 0]);
    expect(() => uploads.take(a)).toThrow(/No such upload/);
    const b = uploads.begin();
    expect(() => uploads.append(b, 0, new Uint8Array(11))).toThrow(/larger than 10/);
    const c = uploads.begin();
    uploads.append(c, 0, new Uint8Array(10));
    expect(() => uploads.append(c, 1, new Uint8Array(6))).toThrow(/at most 15 bytes/);
    const d = uploads.begin();
    now += 2000;
    expect(() => uploads.append(d, 0, new Uint8Array(1))).toThrow(/No such upload/);
    expect(uploads.open).toBe(0);
  });
});

describe('reachableAddresses (QA s32 #8: the first-feed step names them for a listener bound to every address)', () => {
  const local = ['127.0.0.1', '::1', '192.168.1.20', 'fe80::1c2b:3aff:fe4d:5e6f', '10.0.5.7', '2001:db8::20', '192.168.1.20'];
  it('bound to 0.0.0.0: this computer\'s IPv4 addresses, other than loopback first, once each', () => {
    expect(reachableAddresses('0.0.0.0', local)).toEqual(['192.168.1.20', '10.0.5.7', '127.0.0.1']);
  });
  it('bound to ::: IPv4 and IPv6, never a link-local address (it needs a zone), loopback last', () => {
    expect(reachableAddresses('::', local)).toEqual(['192.168.1.20', '10.0.5.7', '2001:db8::20', '127.0.0.1', '::1']);
  });
  it('bound to one address: none (that address is what to give)', () => {
    expect(reachableAddresses('192.168.1.20', local)).toEqual([]);
    expect(reachableAddresses('127.0.0.1', local)).toEqual([]);
  });
});
