import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBodySealer } from '../../../../electron/crypto/node-sealer';
import { decodeApdu, type Apdu } from '../../../../electron/intake/devices/apdu';
import { ApduFramer } from '../../../../electron/intake/devices/apdu-framer';
import { DeviceChannel } from '../../../../electron/intake/devices/device-channel';
import { DeviceRegistry } from '../../../../electron/intake/devices/device-registry';
import { MAX_QUARANTINED_PER_SESSION } from '../../../../electron/intake/devices/device-session';
import type { Sealer } from '../../../../shared/crypto/envelope';
import { DeviceIntakeMetaSchema } from '../../../../shared/journal/device-meta';
import { QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import { silentLogger } from '../../storage/storage-test-support';
import { useIntakePipelines } from '../intake-pipeline-support';
import { aarq, bpReport, rlrq, sf, SYSTEM_ID, toHex } from './agent-apdus';
import { describeApdu } from './manager-harness';

/** The pipeline's sealer, captured so the channel seals with the same one (as the body does). */
let lastSealer: Sealer | undefined;
const { setup } = useIntakePipelines(async (key) => (lastSealer = await createBodySealer(key)));
const portsOf = (ready: Awaited<ReturnType<typeof setup>>) => ({ pipeline: ready.pipeline, intakePublicKey: new Uint8Array(), journal: ready.storage.journal, sealer: lastSealer!, onDurable: () => undefined });

/** A TCP agent: sends bytes, collects the manager's APDUs (framed with the app's own framer). */
async function agent(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const received: Apdu[] = [];
  const waiters: (() => void)[] = [];
  const framer = new ApduFramer({ onApdu: (a) => { received.push(decodeApdu(a)); for (const w of waiters.splice(0)) w(); }, onDiscard: () => undefined });
  socket.on('data', (chunk) => framer.push(chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    send: (bytes: Uint8Array) => socket.write(bytes),
    /** Waits until `count` APDUs have arrived in all. */
    async upTo(count: number) {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received.slice(0, count);
    },
    received,
    end: () => socket.end(),
    closed,
  };
}

async function openedMetas(storage: Awaited<ReturnType<typeof setup>>['storage'], opener: Awaited<ReturnType<typeof setup>>['opener'], kind: string) {
  const { records } = await storage.journal.read({ after: 0, limit: 1000 });
  const out = [];
  for (const r of records.filter((x) => x.kind === kind)) out.push(JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(r.meta!, 'base64url'))).plaintext)) as unknown);
  return out;
}

describe('device channel over TCP, into the vault', () => {
  it('a blood-pressure agent associates, its confirmed report is sealed as intake.device and answered after the fsync; a resend is answered, not stored twice', async () => {
    const ready = await setup();
    const { dataDir, storage, opener } = ready;
    const registry = new DeviceRegistry(dataDir, silentLogger());
    await registry.load();
    const channel = new DeviceChannel({ log: silentLogger(), registry, tcp: { address: '127.0.0.1', port: 0 } });
    await channel.attach(portsOf(ready));
    try {
      const port = channel.snapshot().tcp!.port;
      const a = await agent(port);
      a.send(aarq(0x02bc));
      const [aare, get] = await a.upTo(2);
      expect(describeApdu(aare)).toBe('aare 0');
      expect(get?.type === 'prst' && get.data.message.choice).toBe(0x0103);
      // Split across writes on purpose.
      const report = bpReport(0x21, { sys: sf(128), dia: sf(82), map: sf(97), pulse: sf(66) });
      a.send(report.subarray(0, 7));
      a.send(report.subarray(7));
      const [, , rors] = await a.upTo(3);
      expect(describeApdu(rors)).toBe('prst 0x0201 #33');
      const metas = await openedMetas(storage, opener, 'intake.device');
      expect(metas).toHaveLength(1);
      const meta = DeviceIntakeMetaSchema.parse(metas[0]);
      expect(meta.device.systemId).toBe(toHex(SYSTEM_ID));
      expect(meta.approval).toBe('pending');
      expect(meta.readings.map((r) => [r.kind, r.normalizedValue, r.normalizedUnit])).toEqual([
        ['systolic', 128, 'mm[Hg]'],
        ['diastolic', 82, 'mm[Hg]'],
        ['mean-arterial', 97, 'mm[Hg]'],
        ['pulse', 66, '/min'],
      ]);
      expect(channel.snapshot().awaitingApproval.map((d) => d.systemId)).toEqual([toHex(SYSTEM_ID)]);
      // The same report again (the agent did not see the RORS): answered, not stored twice.
      a.send(bpReport(0x22, { sys: sf(128), dia: sf(82), map: sf(97), pulse: sf(66) }));
      expect(describeApdu((await a.upTo(4))[3])).toBe('prst 0x0201 #34');
      expect(await openedMetas(storage, opener, 'intake.device')).toHaveLength(1);
      a.send(rlrq());
      expect(describeApdu((await a.upTo(5))[4])).toBe('rlre 0');
      a.end();
      await a.closed;
    } finally {
      await channel.detach('test over');
    }
  });

  it('garbage is quarantined with its bytes, the listener keeps serving the next agent', async () => {
    const ready = await setup();
    const { dataDir, storage, opener } = ready;
    const registry = new DeviceRegistry(dataDir, silentLogger());
    const channel = new DeviceChannel({ log: silentLogger(), registry, tcp: { address: '127.0.0.1', port: 0 } });
    await channel.attach(portsOf(ready));
    try {
      const port = channel.snapshot().tcp!.port;
      const bad = await agent(port);
      bad.send(bpReport(1, { sys: sf(1), dia: sf(1), map: sf(1), pulse: sf(1) })); // PRST before any AARQ: row 2.19
      expect(describeApdu((await bad.upTo(1))[0])).toBe('abrt 0');
      bad.end();
      const good = await agent(port);
      good.send(aarq(0x02bc));
      expect(describeApdu((await good.upTo(1))[0])).toBe('aare 0');
      good.end();
      const quarantined = (await openedMetas(storage, opener, 'intake.quarantine')).map((m) => QuarantineMetaSchema.parse(m));
      expect(quarantined.map((q) => q.quarantine.channel)).toEqual(['devices']);
      expect(quarantined[0]!.quarantine.reason).toMatch(/row 2\.19/);
      expect(await openedMetas(storage, opener, 'intake.device')).toEqual([]);
    } finally {
      await channel.detach('test over');
    }
  });

  it('a flood of garbage costs a bounded number of quarantine records and bounded memory; the next agent is served', async () => {
    const ready = await setup();
    const { dataDir, storage } = ready;
    const channel = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(dataDir, silentLogger()), tcp: { address: '127.0.0.1', port: 0 } });
    await channel.attach(portsOf(ready));
    try {
      const port = channel.snapshot().tcp!.port;
      const flood = await agent(port);
      // 512 KiB of noise, including bytes that look like APDU headers.
      for (let i = 0; i < 64; i++) flood.send(Uint8Array.from(randomBytes(8192)));
      flood.end();
      await flood.closed;
      const good = await agent(port);
      good.send(aarq(0x02bc));
      expect(describeApdu((await good.upTo(1))[0])).toBe('aare 0');
      good.end();
      // The quarantine records are written as the noise is framed; the session counts each before writing it.
      const quarantined = async () => (await storage.journal.read({ after: 0, limit: 10_000 })).records.filter((r) => r.kind === 'intake.quarantine').length;
      while ((await quarantined()) < MAX_QUARANTINED_PER_SESSION) await new Promise((r) => setTimeout(r, 20));
      await channel.detach('test over');
      expect(await quarantined()).toBe(MAX_QUARANTINED_PER_SESSION);
    } finally {
      await channel.detach('test over');
    }
  });

  it('detaching does not wait for a peer that never closes its end', async () => {
    const ready = await setup();
    const channel = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(ready.dataDir, silentLogger()), tcp: { address: '127.0.0.1', port: 0 } });
    await channel.attach(portsOf(ready));
    const port = channel.snapshot().tcp!.port;
    // A raw socket that associates and then ignores everything (never ends its side).
    const stubborn = net.connect(port, '127.0.0.1');
    stubborn.on('error', () => undefined);
    await new Promise<void>((resolve) => stubborn.once('connect', resolve));
    stubborn.write(aarq(0x02bc));
    while (channel.snapshot().connections[0]?.state !== 'operating') await new Promise((r) => setImmediate(r));
    await channel.detach('test over');
    expect(channel.snapshot().connections).toEqual([]);
    expect(channel.status().state).toBe('closed');
    stubborn.destroy();
  });

  it('ports given at start (--serial-port) wait for the vault and open when the channel attaches, with the default line settings', async () => {
    const ready = await setup();
    const opened: { path: string; baudRate: number }[] = [];
    const channel = new DeviceChannel({
      log: silentLogger(),
      registry: new DeviceRegistry(ready.dataDir, silentLogger()),
      serialPorts: ['/dev/ttyUSB7'],
      openSerial: (path, settings, events) => {
        opened.push({ path, baudRate: settings.baudRate });
        queueMicrotask(() => events.opened());
        return { name: `serial:${path}`, write: () => undefined, close: () => events.closed('Closed.') };
      },
    });
    expect(channel.snapshot().ports).toMatchObject([{ path: '/dev/ttyUSB7', state: 'closed', reason: 'Opens once the vault is open.' }]);
    expect(opened).toEqual([]);
    await channel.attach(portsOf(ready));
    await Promise.resolve();
    expect(opened).toEqual([{ path: '/dev/ttyUSB7', baudRate: 9600 }]);
    expect(channel.snapshot().ports).toMatchObject([{ path: '/dev/ttyUSB7', state: 'open' }]);
    expect(channel.snapshot().connections).toMatchObject([{ port: 'serial:/dev/ttyUSB7', state: 'unassociated' }]);
    await channel.detach('test over');
    expect(channel.snapshot().ports).toMatchObject([{ path: '/dev/ttyUSB7', state: 'closed' }]);
  });
});
