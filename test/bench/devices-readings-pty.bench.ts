import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SerialPort } from 'serialport';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { decodeApdu } from '../../electron/intake/devices/apdu';
import { ApduFramer } from '../../electron/intake/devices/apdu-framer';
import { DeviceChannel } from '../../electron/intake/devices/device-channel';
import { DeviceRegistry } from '../../electron/intake/devices/device-registry';
import { encodeAbsoluteTime } from '../../electron/intake/devices/mder-values';
import { DATA } from '../../electron/intake/devices/nomenclature';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { generateP256KeyPair } from '../../shared/crypto/p256-keys';
import { aarq, bpReport, prst, sf } from '../electron/intake/devices/agent-apdus';
import { missingToolMessage } from '../support/external-tool';
import { median, type BenchModule, type FigureInput } from './bench-report';

/**
 * End-to-end device readings per second through `socat` pty pairs, as the issue asks (issue 13
 * benchmarks): the channel opens each pair's manager end with `serialport`, as for a USB-serial
 * cable; an agent in this process opens the other end with `serialport` too and sends confirmed
 * blood-pressure scan reports (4 readings each) one after another, each waiting for its RORS,
 * which the manager sends only after the report's journal record is fdatasynced. 1 and 8 ports
 * at once. Baseline, same run, same folder: one writer's raw write + fdatasync loop, the physical
 * limit of "acknowledge after fsync" (devices-readings.bench.ts measures the same over TCP).
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 2000);
const silent = pino({ level: 'silent' });

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
  if (!existsSync(manager) || !existsSync(agent)) throw new Error('socat did not create the pty pair');
  return { manager, agent, socat };
}

function openAgentPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}

/** One agent on a pty: associates, then sends reports until the deadline; returns how many were answered. */
async function agentLoop(portPath: string, index: number, deadline: number): Promise<number> {
  const port = await openAgentPort(portPath);
  let waiting: ((type: string) => void) | null = null;
  const framer = new ApduFramer({
    onApdu: (bytes) => {
      const apdu = decodeApdu(bytes);
      if (apdu.type === 'prst' && apdu.data.message.choice === DATA.ROIV_CMIP_GET) {
        port.write(Buffer.from(prst(apdu.data.invokeId, { choice: DATA.RORS_CMIP_GET, objHandle: 0, attributes: [] })));
        return;
      }
      waiting?.(apdu.type);
    },
    onDiscard: () => undefined,
  });
  port.on('data', (chunk: Buffer) => framer.push(chunk));
  const next = () => new Promise<string>((resolve) => (waiting = resolve));
  const systemId = Uint8Array.of(0x00, 0x1c, 0x05, 0xff, 0xfe, 0x00, 0x01, index);
  port.write(Buffer.from(aarq(0x02bc, { systemId })));
  if ((await next()) !== 'aare') throw new Error('not associated');
  let count = 0;
  while (performance.now() < deadline) {
    // A new device time per report: a resend would be recognized and not stored.
    const t = count;
    const time = encodeAbsoluteTime({ year: 2026, month: 11, day: 1 + (Math.floor(t / 360_000) % 28), hour: Math.floor(t / 6000) % 24, minute: Math.floor(t / 100) % 60, second: t % 60, hundredths: Math.floor(t / 60) % 100 });
    port.write(Buffer.from(bpReport(count & 0xffff, { sys: sf(120), dia: sf(80), map: sf(93), pulse: sf(70) }, { time })));
    if ((await next()) !== 'prst') throw new Error('no RORS');
    count++;
  }
  framer.dispose();
  await new Promise<void>((resolve) => port.close(() => resolve()));
  return count;
}

async function measure(root: string, ports: number): Promise<number> {
  const dir = await mkdtemp(path.join(root, 'devices-'));
  const pairs = await Promise.all(Array.from({ length: ports }, (_, i) => ptyPair(dir, `p${i}`)));
  const storage = await openVaultStorage(dir, silent);
  const { publicKeyRaw } = await generateP256KeyPair();
  const sealer = await createBodySealer(publicKeyRaw);
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const channel = new DeviceChannel({ log: silent, registry: new DeviceRegistry(dir, silent) });
  await channel.attach({ pipeline, intakePublicKey: publicKeyRaw, journal: storage.journal, sealer, onDurable: () => undefined });
  try {
    for (const pair of pairs) await channel.openPort(pair.manager, { baudRate: 115200 });
    for (let i = 0; i < 400 && !channel.snapshot().ports.every((p) => p.state === 'open'); i++) await new Promise((r) => setTimeout(r, 10));
    if (!channel.snapshot().ports.every((p) => p.state === 'open')) throw new Error('the manager ends did not open');
    const started = performance.now();
    const counts = await Promise.all(pairs.map((pair, i) => agentLoop(pair.agent, i, started + RUN_MS)));
    const elapsed = (performance.now() - started) / 1000;
    return counts.reduce((a, b) => a + b, 0) / elapsed;
  } finally {
    await channel.detach('bench over');
    await storage.close();
    for (const pair of pairs) pair.socat.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawFsync(root: string): Promise<number> {
  const file = path.join(root, `raw-${randomBytes(4).toString('hex')}.bin`);
  const handle = await open(file, 'w+', 0o600);
  const record = randomBytes(1200);
  let position = 0;
  let count = 0;
  const started = performance.now();
  while (performance.now() < started + RUN_MS) {
    await handle.write(record, 0, record.length, position);
    await handle.datasync();
    position += record.length;
    count++;
  }
  const elapsed = (performance.now() - started) / 1000;
  await handle.close();
  return count / elapsed;
}

const bench: BenchModule = {
  title: '11073 readings/s end to end over socat pty pairs (agent → journal fsync → RORS), 1 and 8 ports, vs raw write+fdatasync',
  async run(log) {
    if (!existsSync('/usr/bin/socat')) throw new Error(missingToolMessage('socat', 'socat'));
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-devices-pty-'));
    const one: number[] = [];
    const eight: number[] = [];
    const raw: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        one.push(await measure(root, 1));
        raw.push(await rawFsync(root));
        eight.push(await measure(root, 8));
        log(`devices-readings-pty run ${run + 1}/${RUNS}: 1 port ${one.at(-1)!.toFixed(0)} reports/s, 8 ports ${eight.at(-1)!.toFixed(0)} reports/s, raw fdatasync ${raw.at(-1)!.toFixed(0)}/s`);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const baseline = { name: 'raw write + fdatasync loop, 1,200-byte records, 1 writer, same folder', value: median(raw) };
    const figure = (name: string, values: number[], notes: string): FigureInput => ({ figure: name, value: median(values), runs: RUNS, target: {}, baseline, unit: 'reports/s', samples: values, baselineSamples: raw, notes });
    return [
      figure('device_reports_per_s_pty_1_port', one, 'socat pty pair at 115200 baud (a pty ignores the rate), agent and manager ends opened with serialport. Each report: 4 readings, sealed inline, answered (RORS) after its fsync. No design target.'),
      figure('device_reports_per_s_pty_8_ports', eight, '8 pty pairs at once: the journal group-commits their records. No design target.'),
    ];
  },
};

export default bench;
