import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { decodeApdu } from '../../electron/intake/devices/apdu';
import { DeviceChannel } from '../../electron/intake/devices/device-channel';
import { DeviceRegistry } from '../../electron/intake/devices/device-registry';
import type { Sealer } from '../../shared/crypto/envelope';
import { DeviceIntakeMetaSchema } from '../../shared/journal/device-meta';
import { aarq, bpReport, rlrq, sf, toHex } from '../electron/intake/devices/agent-apdus';
import { describeApdu } from '../electron/intake/devices/manager-harness';
import { useIntakePipelines } from '../electron/intake/intake-pipeline-support';
import { silentLogger } from '../electron/storage/storage-test-support';
import { missingToolMessage } from '../support/external-tool';

/**
 * The device channel on real serial ports: Debian's `socat` makes a pty pair, the channel opens
 * one end with `serialport`, and an agent written with `pyserial` (python3-serial) talks 20601 on
 * the other: a blood-pressure association with a confirmed report, a cable pulled in the middle
 * of an association, and two devices on two ports at once.
 */

const PYTHON = '/usr/bin/python3';

/** The agent: sends each step's APDU, prints every APDU it gets back (hex, one a line), answers the manager's GET. */
const AGENT = String.raw`
import json, sys, serial
port = serial.Serial(sys.argv[1], 9600, timeout=20)
def read_apdu():
    head = port.read(4)
    if len(head) < 4:
        return None
    body = port.read((head[2] << 8) | head[3])
    return head + body
for step in json.loads(sys.argv[2]):
    port.write(bytes.fromhex(step['send'])); port.flush()
    got = 0
    while got < step['expect']:
        apdu = read_apdu()
        if apdu is None:
            print('timeout', flush=True); sys.exit(3)
        print(apdu.hex(), flush=True)
        if apdu[0] == 0xE7 and apdu[8:10] == b'\x01\x03':
            # The manager's GET of the MDS attributes: answer with an empty attribute list, same invoke id.
            port.write(bytes.fromhex('e700000e000c') + apdu[6:8] + bytes.fromhex('02030006000000000000')); port.flush()
            continue
        got += 1
if len(sys.argv) > 3:
    sys.stdin.readline()
`;

let lastSealer: Sealer | undefined;
const { setup } = useIntakePipelines(async (key) => (lastSealer = await createBodySealer(key)));

interface PtyPair {
  readonly manager: string;
  readonly agent: string;
  readonly socat: ChildProcess;
}

async function ptyPair(dir: string, name: string): Promise<PtyPair> {
  const manager = path.join(dir, `${name}-manager`);
  const agent = path.join(dir, `${name}-agent`);
  const socat = spawn('socat', [`pty,raw,echo=0,link=${manager}`, `pty,raw,echo=0,link=${agent}`], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(existsSync(manager) && existsSync(agent)); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(manager)) throw new Error('socat did not create the pty pair');
  return { manager, agent, socat };
}

function runAgent(script: string, port: string, steps: { send: Uint8Array; expect: number }[], holdOpen = false) {
  const child = spawn(PYTHON, [script, port, JSON.stringify(steps.map((s) => ({ send: toHex(s.send), expect: s.expect }))), ...(holdOpen ? ['hold'] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    /** The first `count` answers other than the manager's GET (which the agent answers itself). */
    async lines(count: number) {
      const described = () => lines.map((l) => (l === 'timeout' ? 'timeout' : describeApdu(decodeApdu(Buffer.from(l, 'hex'))))).filter((d) => !d.startsWith('prst 0x0103'));
      while (described().length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return described().slice(0, count);
    },
  };
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe('interop: socat pty pairs + a pyserial agent → the device channel', () => {
  let dir = '';
  let script = '';
  beforeAll(async () => {
    if (!existsSync('/usr/bin/socat')) throw new Error(missingToolMessage('socat', 'socat'));
    if (!existsSync(PYTHON)) throw new Error(missingToolMessage('python3', 'python3-serial'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-devices-serial-'));
    script = path.join(dir, 'agent.py');
    await writeFile(script, AGENT);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function attached() {
    const ready = await setup();
    const registry = new DeviceRegistry(ready.dataDir, silentLogger());
    const channel = new DeviceChannel({ log: silentLogger(), registry });
    await channel.attach({ pipeline: ready.pipeline, intakePublicKey: new Uint8Array(), journal: ready.storage.journal, sealer: lastSealer!, onDurable: () => undefined });
    const metas = async () => {
      const { records } = await ready.storage.journal.read({ after: 0, limit: 1000 });
      const out = [];
      for (const r of records.filter((x) => x.kind === 'intake.device')) out.push(DeviceIntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await ready.opener.open(Buffer.from(r.meta!, 'base64url'))).plaintext))));
      return out;
    };
    return { channel, registry, metas };
  }

  it('a blood-pressure agent on a pty: association, a confirmed report answered after it is sealed, release', async () => {
    const { channel, metas } = await attached();
    const pair = await ptyPair(dir, 'bp');
    try {
      await channel.openPort(pair.manager, { baudRate: 9600 });
      await until(() => channel.snapshot().ports[0]?.state === 'open', 'the port opened');
      const agent = runAgent(script, pair.agent, [
        { send: aarq(0x02bc), expect: 1 },
        { send: bpReport(7, { sys: sf(131), dia: sf(84), map: sf(100), pulse: sf(72) }), expect: 1 },
        { send: rlrq(), expect: 1 },
      ]);
      expect(await agent.lines(3), agent.stderr()).toEqual(['aare 0', 'prst 0x0201 #7', 'rlre 0']);
      expect(await agent.exited).toBe(0);
      const stored = await metas();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.port).toBe(`serial:${pair.manager}`);
      expect(stored[0]!.readings.map((r) => r.normalizedValue)).toEqual([131, 84, 100, 72]);
    } finally {
      await channel.detach('test over');
      pair.socat.kill();
    }
  });

  it('a cable pulled mid-association: the port closes, its association is dropped cleanly, a new port serves again', async () => {
    const { channel } = await attached();
    const pair = await ptyPair(dir, 'unplug');
    try {
      await channel.openPort(pair.manager);
      await until(() => channel.snapshot().ports[0]?.state === 'open', 'the port opened');
      const agent = runAgent(script, pair.agent, [{ send: aarq(0x4001), expect: 1 }], true);
      expect(await agent.lines(1)).toEqual(['aare 3']);
      await until(() => channel.snapshot().connections[0]?.state === 'waiting-for-config', 'waiting for the configuration');
      pair.socat.kill('SIGKILL');
      agent.child.kill();
      await until(() => channel.snapshot().ports[0]?.state === 'closed', 'the port closed');
      expect(channel.snapshot().connections).toEqual([]);
      expect(channel.snapshot().ports[0]?.reason).toMatch(/disconnected|closed/i);
      // Plugged in again (a new pty): the port opens and serves a new association.
      const again = await ptyPair(dir, 'replug');
      try {
        await channel.openPort(again.manager);
        await until(() => channel.snapshot().ports.find((p) => p.path === again.manager)?.state === 'open', 'the new port opened');
        const next = runAgent(script, again.agent, [{ send: aarq(0x02bc), expect: 1 }, { send: rlrq(), expect: 1 }]);
        expect(await next.lines(2)).toEqual(['aare 0', 'rlre 0']);
      } finally {
        again.socat.kill();
      }
    } finally {
      await channel.detach('test over');
      pair.socat.kill();
    }
  });

  it('a cable pulled and plugged back at the same path: the port is reopened by itself, and the report resent is answered and stored once', async () => {
    const { channel, metas } = await attached();
    let pair = await ptyPair(dir, 'replug-same');
    const report = (invokeId: number) => bpReport(invokeId, { sys: sf(118), dia: sf(76), map: sf(90), pulse: sf(58) });
    try {
      await channel.openPort(pair.manager);
      await until(() => channel.snapshot().ports[0]?.state === 'open', 'the port opened');
      const before = runAgent(script, pair.agent, [{ send: aarq(0x02bc), expect: 1 }, { send: report(3), expect: 1 }], true);
      expect(await before.lines(2)).toEqual(['aare 0', 'prst 0x0201 #3']);
      // Pulled: socat dies without removing its links, so the path dangles (absent).
      pair.socat.kill('SIGKILL');
      before.child.kill();
      await until(() => channel.snapshot().ports[0]?.state === 'closed', 'the port closed');
      expect(channel.snapshot().connections).toEqual([]);
      expect(channel.snapshot().ports[0]?.reason).toMatch(/reopens by itself/i);
      // Plugged back: the same link path, a new pty behind it. Nobody calls openPort.
      pair = await ptyPair(dir, 'replug-same');
      await until(() => channel.snapshot().ports[0]?.state === 'open', 'the port reopened by itself');
      expect(channel.snapshot().ports.map((p) => p.path)).toEqual([pair.manager]);
      const after = runAgent(script, pair.agent, [{ send: aarq(0x02bc), expect: 1 }, { send: report(4), expect: 1 }, { send: rlrq(), expect: 1 }]);
      expect(await after.lines(3), after.stderr()).toEqual(['aare 0', 'prst 0x0201 #4', 'rlre 0']);
      expect(await metas()).toHaveLength(1);
    } finally {
      await channel.detach('test over');
      pair.socat.kill();
    }
  });

  it('two devices on two ports at once, each its own association and records', async () => {
    const { channel, metas } = await attached();
    const a = await ptyPair(dir, 'two-a');
    const b = await ptyPair(dir, 'two-b');
    try {
      await channel.openPort(a.manager);
      await channel.openPort(b.manager, { baudRate: 115200 });
      await until(() => channel.snapshot().ports.every((p) => p.state === 'open'), 'both ports opened');
      const sysB = Uint8Array.of(0x00, 0x09, 0x1f, 0xff, 0xfe, 0x00, 0x00, 0x02);
      const one = runAgent(script, a.agent, [{ send: aarq(0x02bc), expect: 1 }, { send: bpReport(1, { sys: sf(120), dia: sf(80), map: sf(93), pulse: sf(60) }), expect: 1 }, { send: rlrq(), expect: 1 }]);
      const two = runAgent(script, b.agent, [{ send: aarq(0x02bc, { systemId: sysB }), expect: 1 }, { send: bpReport(1, { sys: sf(140), dia: sf(90), map: sf(107), pulse: sf(88) }), expect: 1 }, { send: rlrq(), expect: 1 }]);
      expect(await one.lines(3)).toEqual(['aare 0', 'prst 0x0201 #1', 'rlre 0']);
      expect(await two.lines(3)).toEqual(['aare 0', 'prst 0x0201 #1', 'rlre 0']);
      const stored = await metas();
      expect(stored.map((m) => [m.device.systemId, m.readings[0]!.value]).sort()).toEqual([
        ['00091ffffe000002', 140],
        [toHex(Uint8Array.of(0x00, 0x1c, 0x05, 0xff, 0xfe, 0x12, 0x34, 0x56)), 120],
      ]);
    } finally {
      await channel.detach('test over');
      a.socat.kill();
      b.socat.kill();
    }
  });
});
