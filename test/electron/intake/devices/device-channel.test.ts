import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBodySealer } from '../../../../electron/crypto/node-sealer';
import { decodeApdu, type Apdu } from '../../../../electron/intake/devices/apdu';
import { ApduFramer } from '../../../../electron/intake/devices/apdu-framer';
import { DeviceChannel, REOPEN_INTERVAL_MS, REOPEN_MAX_INTERVAL_MS } from '../../../../electron/intake/devices/device-channel';
import { DeviceRegistry } from '../../../../electron/intake/devices/device-registry';
import { MAX_QUARANTINED_PER_SESSION } from '../../../../electron/intake/devices/device-session';
import { MderWriter } from '../../../../electron/intake/devices/mder';
import type { openSerialLink, SerialLinkEvents } from '../../../../electron/intake/devices/serial-link';
import { createIntakePipeline } from '../../../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../../../electron/storage/vault-storage';
import type { Sealer } from '../../../../shared/crypto/envelope';
import { DeviceIntakeMetaSchema } from '../../../../shared/journal/device-meta';
import { QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import { silentLogger } from '../../storage/storage-test-support';
import { useIntakePipelines } from '../intake-pipeline-support';
import { aarq, bpReport, concat, rlrq, scanApdu, sf, sfloatBytes, SYSTEM_ID, TIME, timeBytes, toHex } from './agent-apdus';
import { describeApdu, ManualTimers } from './manager-harness';

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

/** A serial port the test plays the agent on: what the manager writes is decoded, `dead` drops it (the process stopped). */
function fakeSerial() {
  const received: Apdu[] = [];
  let events: SerialLinkEvents | undefined;
  const line = { dead: false };
  const framer = new ApduFramer({ onApdu: (a) => received.push(decodeApdu(a)), onDiscard: () => undefined });
  const openSerial: typeof openSerialLink = (path, _settings, e) => {
    events = e;
    queueMicrotask(() => e.opened());
    return { name: `serial:${path}`, write: (bytes) => (line.dead ? undefined : framer.push(bytes)), close: () => e.closed('Closed.') };
  };
  return { openSerial, received, line, send: (bytes: Uint8Array) => events!.data(bytes) };
}

async function until(condition: () => boolean | Promise<boolean>) {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 5));
}

describe('device duplicates across a restart', () => {
  it('a confirmed report stored but not answered before the app stopped is answered when resent after a restart, and stored once', async () => {
    const ready = await setup();
    const { dataDir, opener } = ready;
    const reading = { sys: sf(131), dia: sf(85), map: sf(100), pulse: sf(71) };
    const deviceRecords = async (journal: { read: typeof ready.storage.journal.read }) => (await journal.read({ after: 0, limit: 1000 })).records.filter((r) => r.kind === 'intake.device');

    // First run: the report is made durable, then the process stops before the RORS reaches the agent.
    const first = fakeSerial();
    const registry1 = new DeviceRegistry(dataDir, silentLogger());
    await registry1.load();
    const channel1 = new DeviceChannel({ log: silentLogger(), registry: registry1, serialPorts: ['/dev/ttyUSB0'], openSerial: first.openSerial });
    await channel1.attach(portsOf(ready));
    first.send(aarq(0x02bc));
    await until(() => first.received.length >= 1);
    expect(describeApdu(first.received[0])).toBe('aare 0');
    first.line.dead = true;
    first.send(bpReport(0x41, reading));
    await until(async () => (await deviceRecords(ready.storage.journal)).length === 1);
    await channel1.detach('HDMS Node is stopping.');
    await ready.storage.close();
    expect(first.received.some((a) => describeApdu(a) === 'prst 0x0201 #65')).toBe(false);

    // Second run: same data folder, a fresh process (nothing in memory). The agent associates again and resends.
    const storage = await openVaultStorage(dataDir, silentLogger());
    const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer: lastSealer! });
    const registry2 = new DeviceRegistry(dataDir, silentLogger());
    await registry2.load();
    const second = fakeSerial();
    const channel2 = new DeviceChannel({ log: silentLogger(), registry: registry2, serialPorts: ['/dev/ttyUSB0'], openSerial: second.openSerial });
    await channel2.attach({ ...portsOf(ready), pipeline, journal: storage.journal });
    try {
      second.send(aarq(0x02bc));
      await until(() => second.received.length >= 2); // AARE, then the manager's GET of the MDS attributes
      second.send(bpReport(0x07, reading));
      await until(() => second.received.some((a) => describeApdu(a) === 'prst 0x0201 #7'));
      expect(await deviceRecords(storage.journal)).toHaveLength(1);

      // A reading taken later is new: stored, and answered.
      second.send(bpReport(0x08, reading, { time: timeBytes({ ...TIME, minute: 58 }) }));
      await until(() => second.received.some((a) => describeApdu(a) === 'prst 0x0201 #8'));
      const records = await deviceRecords(storage.journal);
      expect(records).toHaveLength(2);
      // The tag is keyed: neither the system id nor a reading's unkeyed key is readable in it.
      const metas = await Promise.all(records.map(async (r) => DeviceIntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(r.meta!, 'base64url'))).plaintext)))));
      for (const [i, r] of records.entries()) {
        expect(r.dedupe).toMatch(/^dv1(\.[A-Za-z0-9_-]{16}){4}$/);
        expect(r.dedupe).not.toContain(toHex(SYSTEM_ID));
        for (const m of metas[i]!.readings) expect(r.dedupe).not.toContain(Buffer.from(m.dedupeKey!, 'hex').toString('base64url').slice(0, 16));
      }
    } finally {
      await channel2.detach('test over');
      await storage.close();
    }
  });

  it('a report of more readings than the tag has words (two measurements, 8 readings) is recognized after a restart when resent whole', async () => {
    const ready = await setup();
    const { dataDir } = ready;
    const twoMeasurements = (invokeId: number) => {
      const later = timeBytes({ ...TIME, hour: 9 });
      const compound = (sys: number, dia: number, map: number) => concat(new MderWriter().u16(3).u16(6).finish(), sfloatBytes(sf(sys), sf(dia), sf(map)));
      return scanApdu(invokeId, 'fixed', {
        dataReqId: 0xf000,
        scanReportNo: 0,
        persons: [{ personId: undefined, fixed: [
          { objHandle: 1, obsValData: concat(compound(120, 80, 93), timeBytes()) },
          { objHandle: 2, obsValData: concat(sfloatBytes(sf(64)), timeBytes()) },
          { objHandle: 1, obsValData: concat(compound(125, 81, 96), later) },
          { objHandle: 2, obsValData: concat(sfloatBytes(sf(67)), later) },
        ] }],
      });
    };
    const deviceRecords = async (journal: { read: typeof ready.storage.journal.read }) => (await journal.read({ after: 0, limit: 1000 })).records.filter((r) => r.kind === 'intake.device');

    const first = fakeSerial();
    const channel1 = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(dataDir, silentLogger()), serialPorts: ['/dev/ttyUSB0'], openSerial: first.openSerial });
    await channel1.attach(portsOf(ready));
    first.send(aarq(0x02bc));
    await until(() => first.received.length >= 1);
    first.send(twoMeasurements(0x10));
    await until(() => first.received.some((a) => describeApdu(a) === 'prst 0x0201 #16'));
    await channel1.detach('HDMS Node is stopping.');
    const [stored] = await deviceRecords(ready.storage.journal);
    expect(stored?.dedupe).toMatch(/^dvs1\.[A-Za-z0-9_-]{16}$/);

    const second = fakeSerial();
    const channel2 = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(dataDir, silentLogger()), serialPorts: ['/dev/ttyUSB0'], openSerial: second.openSerial });
    await channel2.attach(portsOf(ready));
    try {
      second.send(aarq(0x02bc));
      await until(() => second.received.length >= 1);
      second.send(twoMeasurements(0x11));
      await until(() => second.received.some((a) => describeApdu(a) === 'prst 0x0201 #17'));
      expect(await deviceRecords(ready.storage.journal)).toHaveLength(1);
    } finally {
      await channel2.detach('test over');
    }
  });
});

describe('hot-plug', () => {
  /** A serial port that can be unplugged: `present` is what the OS shows at its path. */
  function pluggablePort() {
    const state = { present: true, openFails: false, opens: 0 };
    const answers: string[] = [];
    let events: SerialLinkEvents | undefined;
    const openSerial: typeof openSerialLink = (path, _settings, e) => {
      state.opens++;
      events = e;
      const framer = new ApduFramer({ onApdu: (a) => answers.push(describeApdu(decodeApdu(a))), onDiscard: () => undefined });
      queueMicrotask(() => (state.present && !state.openFails ? e.opened() : e.closed(`The port could not be opened: ${state.present ? 'EACCES' : 'ENOENT'}`)));
      return { name: `serial:${path}`, write: (bytes) => framer.push(bytes), close: () => e.closed('Closed.') };
    };
    return { state, answers, openSerial, portPresent: async () => state.present, events: () => events! };
  }
  const reopenDelays = (timers: ManualTimers) => [...timers.pending.values()].filter((t) => t.ms >= REOPEN_INTERVAL_MS && t.ms <= REOPEN_MAX_INTERVAL_MS).map((t) => t.ms);

  it('a port that disappears drops its association; the same path is reopened by itself when it is back and serves again; a port closed by an operator is not', async () => {
    const ready = await setup();
    const timers = new ManualTimers();
    const port = pluggablePort();
    const channel = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(ready.dataDir, silentLogger()), serialPorts: ['/dev/ttyUSB0'], openSerial: port.openSerial, portPresent: port.portPresent, timers });
    await channel.attach(portsOf(ready));
    try {
      await until(() => channel.snapshot().ports[0]?.state === 'open');
      port.events().data(aarq(0x02bc));
      await until(() => channel.snapshot().connections[0]?.state === 'operating');

      // Unplugged: the association is gone, the port waits for its path to come back.
      port.state.present = false;
      port.events().closed('The device or cable was disconnected.');
      expect(channel.snapshot().connections).toEqual([]);
      expect(channel.snapshot().ports).toMatchObject([{ path: '/dev/ttyUSB0', state: 'closed', reason: expect.stringMatching(/disconnected.*reopens/i) as unknown }]);
      expect(reopenDelays(timers)).toEqual([REOPEN_INTERVAL_MS]);
      // Still absent: looked for, not opened.
      timers.fire(REOPEN_INTERVAL_MS);
      await until(() => reopenDelays(timers).length === 1);
      expect(port.state.opens).toBe(1);

      // Plugged in again at the same path.
      port.state.present = true;
      timers.fire(REOPEN_INTERVAL_MS);
      await until(() => channel.snapshot().ports[0]?.state === 'open');
      expect(port.state.opens).toBe(2);
      port.events().data(aarq(0x02bc));
      await until(() => channel.snapshot().connections[0]?.state === 'operating');
      expect(port.answers.filter((a) => a === 'aare 0')).toHaveLength(2);

      // Closed on purpose: nothing is reopened.
      await channel.closePort('/dev/ttyUSB0');
      expect(reopenDelays(timers)).toEqual([]);
      expect(channel.snapshot().ports).toEqual([]);
    } finally {
      await channel.detach('test over');
    }
    expect(reopenDelays(timers)).toEqual([]);
  });

  it('a path that is there but cannot be opened is tried again less and less often; detaching stops it', async () => {
    const ready = await setup();
    const timers = new ManualTimers();
    const port = pluggablePort();
    port.state.openFails = true;
    const channel = new DeviceChannel({ log: silentLogger(), registry: new DeviceRegistry(ready.dataDir, silentLogger()), serialPorts: ['/dev/ttyUSB1'], openSerial: port.openSerial, portPresent: port.portPresent, timers });
    await channel.attach(portsOf(ready));
    await until(() => reopenDelays(timers).length === 1);
    expect(reopenDelays(timers)).toEqual([2 * REOPEN_INTERVAL_MS]);
    timers.fire(2 * REOPEN_INTERVAL_MS);
    await until(() => reopenDelays(timers).length === 1);
    expect(reopenDelays(timers)).toEqual([4 * REOPEN_INTERVAL_MS]);
    expect(port.state.opens).toBe(2);
    expect(channel.snapshot().ports[0]?.reason).toMatch(/EACCES/);
    await channel.detach('test over');
    expect(reopenDelays(timers)).toEqual([]);
    expect(port.state.opens).toBe(2);
  });
});
