import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { mllpFrame, MllpDeframer } from '../../electron/intake/hl7/mllp-framer';
import { REPO_ROOT } from '../support/repo-paths';
import type { BenchModule } from './bench-report';

/**
 * Issue 9 §3: 8 MLLP connections sending 15 MiB frames took a listener to 6.6 GiB RSS. A listener
 * alone in a child process (handler 1 s per frame, so frames pile up), 8 connections each
 * sending 4 frames of 15 MiB as fast as TCP takes them; figures: the listener's own peak of bytes
 * held and the child's peak RSS, against the stated bound (maxQueuedBytes 64 MiB + 2 large frames
 * of 16 MiB + 128 KiB per connection) and the child's RSS when idle.
 */

const CONNECTIONS = 8;
const FRAMES = 4;
const MIB = 1024 * 1024;
const BOUND = 64 * MIB + 2 * 16 * MIB + CONNECTIONS * 128 * 1024;

async function run(): Promise<{ peakHeldBytes: number; peakRss: number; idleRss: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'bench', 'hl7-mllp-memory-child.ts'), '1000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    let at: number;
    while ((at = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, at));
      out = out.slice(at + 1);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  const line = async (n: number): Promise<string> => {
    while (lines.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return lines[n - 1]!;
  };
  const port = Number(await line(1));
  const payload = Buffer.alloc(15 * MIB, 0x41);
  const sockets = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, c) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      const deframer = new MllpDeframer();
      let acks = 0;
      return new Promise<{ socket: net.Socket; done: Promise<void> }>((resolve) => {
        const done = new Promise<void>((finished) => {
          socket.on('data', (chunk: Buffer) => {
            for (const event of deframer.push(chunk)) if (event.type === 'frame' && ++acks === FRAMES) finished();
          });
        });
        socket.once('connect', () => {
          for (let k = 0; k < FRAMES; k++) socket.write(mllpFrame(Buffer.concat([Buffer.from(`MSH|^~\\&|S|F|R|F|20260101||ORU^R01|M${c}-${k}|P|2.5.1\r`), payload])));
          resolve({ socket, done });
        });
      });
    }),
  );
  await Promise.all(sockets.map((s) => s.done));
  for (const { socket } of sockets) socket.destroy();
  child.stdin.end();
  return JSON.parse(await line(2)) as { peakHeldBytes: number; peakRss: number; idleRss: number };
}

const bench: BenchModule = {
  title: 'HL7 MLLP memory: 8 connections × 4 frames of 15 MiB, listener in a child process: peak bytes held and peak RSS vs the stated bound',
  async run(log) {
    const { peakHeldBytes, peakRss, idleRss } = await run();
    log(`hl7-mllp-memory: peak held ${(peakHeldBytes / MIB).toFixed(1)} MiB (bound ${(BOUND / MIB).toFixed(1)} MiB), peak RSS ${(peakRss / MIB).toFixed(0)} MiB (idle ${(idleRss / MIB).toFixed(0)} MiB)`);
    const machine = { name: 'stated bound: maxQueuedBytes + maxLargeFrames × maxMessageBytes + 128 KiB per connection', value: BOUND };
    return [
      { figure: 'hl7_mllp_peak_held_bytes_8x15MiB', value: peakHeldBytes, runs: 1, target: { max: BOUND }, baseline: machine, unit: 'bytes' },
      {
        figure: 'hl7_mllp_peak_rss_bytes_8x15MiB',
        value: peakRss,
        runs: 1,
        target: {},
        baseline: { name: 'RSS of the same listener process before any connection', value: idleRss },
        unit: 'bytes',
        notes: 'Node runtime, tsx, socket buffers and not yet collected frame copies included',
      },
    ];
  },
};

export default bench;
