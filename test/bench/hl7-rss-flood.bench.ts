import { readFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { buildTestKeyring } from '../support/vault-keyring';
import type { BenchModule, FigureInput } from './bench-report';
import { startNodeChild, type NodeChild } from './mllp-load';

/**
 * RSS of the body over a long HL7 flood (design §8: flat, not proportional to messages). The
 * whole body (test/integration/hl7-node-child.ts: vault storage, pipeline, duplicate index, MLLP
 * listener) runs in a child process; 8 loopback connections send small, distinct ADT^A01 messages
 * PIPELINED (up to WINDOW frames in flight per connection, ACKs counted as they come back; every
 * ACK still follows the journal fdatasync) so that a million messages take minutes, not an hour.
 *
 * At each checkpoint the senders stop, every ACK is awaited, the child runs a full GC (SIGUSR2),
 * and its VmRSS is read from /proc (Linux only). The figure is RSS after HDMS_BENCH_RSS_MESSAGES
 * (default 1,000,000) over RSS after the first 10,000, same run, same process: 1.0 is flat.
 */
const TOTAL = Number(process.env['HDMS_BENCH_RSS_MESSAGES'] ?? 1_000_000);
const BASELINE = 10_000;
const CONNECTIONS = 8;
const WINDOW = 32;
const START = 0x0b;
const END = 0x1c;

function message(id: number): Buffer {
  return Buffer.from(
    [
      `MSH|^~\\&|RSSBENCH|NORTH|HDMS|NODE|20260301120000||ADT^A01^ADT_A01|R${id}|P|2.5.1`,
      'EVN|A01|20260301120000',
      `PID|1||M${id % 5000}^^^NORTH^MR||Doe^Jane||19700101|F`,
    ].join('\r'),
    'latin1',
  );
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error('VmRSS not found');
  return Number(match[1]);
}

/** One pipelined sender: keeps up to WINDOW frames in flight until `until()` says stop; resolves when all are answered. */
class PipelinedSender {
  private inFlight = 0;
  private answered = 0;
  private refused = 0;
  private tail = '';
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      const text = this.tail + chunk.toString('latin1');
      const frames = text.split(String.fromCharCode(END));
      this.tail = frames.pop()!;
      for (const frame of frames) {
        if (frame.indexOf(String.fromCharCode(START)) < 0) continue;
        this.inFlight--;
        this.answered++;
        if (!/\rMSA\|AA\|/.test(frame)) this.refused++;
      }
      this.wake?.();
    });
  }

  static async connect(port: number): Promise<PipelinedSender> {
    const socket = net.createConnection({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new PipelinedSender(socket);
  }

  get counts(): { answered: number; refused: number } {
    return { answered: this.answered, refused: this.refused };
  }

  async run(next: () => number | null): Promise<void> {
    for (;;) {
      while (this.inFlight < WINDOW) {
        const id = next();
        if (id === null) break;
        this.inFlight++;
        this.socket.write(Buffer.concat([Buffer.from([START]), message(id), Buffer.from([END, 0x0d])]));
      }
      if (this.inFlight === 0) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

async function gcAndSample(node: NodeChild): Promise<number> {
  const pid = node.child.pid!;
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer | string): void => {
      if (String(chunk).includes('gc')) {
        node.child.stdout!.off('data', onData);
        resolve();
      }
    };
    node.child.stdout!.on('data', onData);
    node.child.kill('SIGUSR2');
  });
  return rssKiB(pid);
}

const bench: BenchModule = {
  title: `HL7 flood RSS: the body after ${TOTAL.toLocaleString('en')} messages vs after ${BASELINE.toLocaleString('en')} (pipelined MLLP over loopback, child process)`,
  async run(log) {
    if (process.platform !== 'linux') {
      log('hl7-rss-flood: skipped (reads VmRSS from /proc: Linux only)');
      return [];
    }
    const root = await mkdtemp(path.join(os.tmpdir(), 'hdms-rss-'));
    const dataDir = path.join(root, 'data');
    await new KeyringStore(dataDir).create((await buildTestKeyring()).keyring);
    const node = await startNodeChild(dataDir, 0, undefined, { HDMS_CHILD_GC_ON_SIGUSR2: '1' });
    const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => PipelinedSender.connect(node.port)));
    let issued = 0;
    const checkpoints = [...new Set([BASELINE, 100_000, 250_000, 500_000, TOTAL].filter((n) => n <= TOTAL))].sort((a, b) => a - b);
    const samples: Array<{ messages: number; rssMiB: number; seconds: number }> = [];
    const started = performance.now();
    try {
      for (const checkpoint of checkpoints) {
        await Promise.all(senders.map((sender) => sender.run(() => (issued < checkpoint ? issued++ : null))));
        const rss = await gcAndSample(node);
        const seconds = (performance.now() - started) / 1000;
        samples.push({ messages: checkpoint, rssMiB: rss / 1024, seconds });
        log(`hl7-rss-flood: ${checkpoint} messages, RSS ${(rss / 1024).toFixed(1)} MiB, ${seconds.toFixed(0)} s, ${(checkpoint / seconds).toFixed(0)} msg/s`);
      }
      const refused = senders.reduce((sum, sender) => sum + sender.counts.refused, 0);
      const answered = senders.reduce((sum, sender) => sum + sender.counts.answered, 0);
      if (answered !== TOTAL || refused !== 0) throw new Error(`${answered} answered of ${TOTAL}, ${refused} not AA.`);
    } finally {
      for (const sender of senders) sender.close();
      await node.stop();
      await rm(root, { recursive: true, force: true });
    }
    const base = samples[0]!.rssMiB;
    const last = samples.at(-1)!;
    const figure: FigureInput = {
      figure: 'hl7_flood_rss_after_1m_mib',
      value: Math.round(last.rssMiB * 10) / 10,
      runs: 1,
      unit: 'MiB',
      // Flat: within a fifth of the same process's RSS after the first 10k messages.
      target: { max: Math.round(base * 1.2 * 10) / 10 },
      baseline: { name: `RSS of the same body after the first ${BASELINE.toLocaleString('en')} messages (same run)`, value: Math.round(base * 10) / 10 },
      samples: samples.map((sample) => sample.rssMiB),
      notes: `${TOTAL} messages (~${message(0).length} bytes each, every one stored and ACKed AA after fsync) in ${last.seconds.toFixed(0)} s over ${CONNECTIONS} pipelined connections (${WINDOW} in flight each); RSS after a full GC at ${samples.map((s) => `${s.messages}: ${s.rssMiB.toFixed(1)} MiB`).join(', ')}`,
    };
    return [figure];
  },
};

export default bench;
