import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { sealBroadcast, type RelayEnvelope } from '../../shared/network/relay';
import { openStream, relayMember, send, startRelayServer, type RelayNode, type RelayTestServer, type StreamClient } from '../server/relay/support/relay-fixtures';
import { openBenchDatabase } from './bench-database';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * The relay's fan-out (issue 10 benchmarks), on a real PostgreSQL when its binaries are installed (a
 * throwaway cluster, fsync off as in the tests), else on PGlite — said in the output.
 *
 *   relay_broadcast_fanout_p99_ms   one broadcast to MEMBERS members of a role, each holding an open
 *                                   stream: the time from the sender's POST (envelopes sealed
 *                                   before, as a node does) to each member's stream receiving its
 *                                   envelope, p99 over RUNS broadcasts × MEMBERS deliveries. The
 *                                   path: signed request checked, recipients looked up, one row per
 *                                   recipient and the quota in one transaction, a notification per
 *                                   recipient, each stream reading its row and writing a frame.
 *                                   Baseline, same run, same process: a raw `ws` server writing a
 *                                   frame of the same size to MEMBERS connected clients (no auth, no
 *                                   database), p99 of the same measure.
 *
 * Server and clients share this process (and its 2 cores), for the relay and for the baseline alike.
 */
const MEMBERS = Number(process.env['HDMS_BENCH_RELAY_MEMBERS'] ?? 100);
const RUNS = Number(process.env['HDMS_BENCH_RELAY_RUNS'] ?? 10);
const PAYLOAD_BYTES = 1024;
const TARGET_P99_MS = 1000;

async function relayRuns(server: RelayTestServer, sender: RelayNode, members: readonly RelayNode[], log: (line: string) => void): Promise<{ samples: number[]; sealMs: number[]; postMs: number[] }> {
  const streams: StreamClient[] = [];
  for (const member of members) streams.push(await openStream(server, member));
  const arrivals = new Map<string, number>();
  let waiting: { id: string; left: number; done: () => void } | null = null;
  for (const stream of streams) {
    stream.ws.on('message', (data) => {
      const at = performance.now();
      const frame = JSON.parse(String(data)) as { type: string; envelope?: RelayEnvelope };
      if (frame.type !== 'message' || waiting === null || frame.envelope!.id !== waiting.id) return;
      arrivals.set(`${frame.envelope!.to}`, at);
      if (--waiting.left === 0) waiting.done();
    });
  }
  const samples: number[] = [];
  const sealMs: number[] = [];
  const postMs: number[] = [];
  const recipients = members.map((m) => ({ address: m.wallet.address, messageKey: m.messageKey }));
  try {
    for (let run = -1; run < RUNS; run++) {
      const sealStarted = performance.now();
      const envelopes = await sealBroadcast({ signer: sender.signer, role: 'research', recipients, payload: crypto.getRandomValues(new Uint8Array(PAYLOAD_BYTES)), ttlMs: 3600_000 });
      if (run >= 0) sealMs.push(performance.now() - sealStarted);
      arrivals.clear();
      const all = new Promise<void>((resolve) => {
        waiting = { id: envelopes[0]!.id, left: members.length, done: resolve };
      });
      const started = performance.now();
      const response = await send(server, sender, envelopes);
      if (run >= 0) postMs.push(performance.now() - started);
      if (response.status !== 201) throw new Error(`the broadcast was refused: ${response.status} ${await response.text()}`);
      await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${members.length - (waiting?.left ?? 0)} of ${members.length} deliveries within 30 s`)), 30_000))]);
      // Run -1 warms up (JIT, connections, plans) and is not counted.
      if (run >= 0) for (const at of arrivals.values()) samples.push(at - started);
      if (run >= 0) log(`  broadcast ${run + 1}/${RUNS}: last delivery after ${(Math.max(...arrivals.values()) - started).toFixed(1)} ms`);
    }
  } finally {
    for (const stream of streams) stream.ws.terminate();
  }
  return { samples, sealMs, postMs };
}

/** The yardstick: a bare ws server writing one frame of `size` bytes to every client. */
async function rawFanout(size: number): Promise<number[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  const clients: WebSocket[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    clients.push(ws);
  }
  while (wss.clients.size < MEMBERS) await new Promise((resolve) => setTimeout(resolve, 10));
  const samples: number[] = [];
  try {
    for (let run = -1; run < RUNS; run++) {
      const frame = JSON.stringify({ type: 'message', run, filler: 'x'.repeat(Math.max(0, size - 40)) });
      const arrivals: number[] = [];
      const all = new Promise<void>((resolve) => {
        for (const ws of clients) {
          ws.once('message', () => {
            arrivals.push(performance.now());
            if (arrivals.length === MEMBERS) resolve();
          });
        }
      });
      const started = performance.now();
      for (const socket of wss.clients) socket.send(frame);
      await all;
      if (run >= 0) for (const at of arrivals) samples.push(at - started);
    }
  } finally {
    for (const ws of clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  return samples;
}

const bench: BenchModule = {
  title: `relay: fan-out of one broadcast to ${MEMBERS} connected members, p99 delivery (vs a raw ws fan-out of the same frames)`,
  async run(log) {
    const { db, where, close } = await openBenchDatabase('relay_bench');
    log(`  database: ${where}`);
    let server: RelayTestServer | null = null;
    try {
      server = await startRelayServer(db, { limits: { memberRateLimit: { max: 1_000_000, windowMs: 60_000 }, ipRateLimit: { max: 1_000_000, windowMs: 60_000 }, joinRateLimit: { max: 1_000_000, windowMs: 60_000 } } });
      const sender = await relayMember(server, ['clinic']);
      const members: RelayNode[] = [];
      for (let i = 0; i < MEMBERS; i++) members.push(await relayMember(server, ['research']));
      log(`  ${MEMBERS} members joined and approved`);
      const relay = await relayRuns(server, sender, members, log);
      const frameBytes = Math.ceil(((PAYLOAD_BYTES + 80) * 4) / 3) + 400;
      const raw = await rawFanout(frameBytes);
      const p99 = percentile(relay.samples, 99);
      const rawP99 = percentile(raw, 99);
      const figures: FigureInput[] = [
        {
          figure: 'relay_broadcast_fanout_p99_ms',
          value: p99,
          p95: percentile(relay.samples, 95),
          runs: RUNS,
          target: { max: TARGET_P99_MS },
          baseline: { name: `raw ws server writing a ${frameBytes}-byte frame to ${MEMBERS} clients, same process (p99)`, value: rawP99, p95: percentile(raw, 95) },
          unit: 'ms',
          samples: relay.samples,
          baselineSamples: raw,
          notes: `${where}. ${MEMBERS} members, ${PAYLOAD_BYTES}-byte payloads, ${RUNS} broadcasts (${relay.samples.length} deliveries); median delivery ${median(relay.samples).toFixed(1)} ms; the POST itself answered after ${median(relay.postMs).toFixed(1)} ms (median). Sealing the ${MEMBERS} envelopes on the sender, not counted above: median ${median(relay.sealMs).toFixed(0)} ms. Target (ours, the issue names none): p99 ≤ ${TARGET_P99_MS} ms.`,
        },
      ];
      return figures;
    } finally {
      await server?.close();
      await close();
    }
  },
};

export default bench;
