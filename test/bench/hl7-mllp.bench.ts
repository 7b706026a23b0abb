import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { defaultPrepareThreads } from '../../electron/intake/hl7/hl7-prepare-pool';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { buildTestKeyring } from '../support/vault-keyring';
import { cpuByKind } from '../support/process-cpu';
import { bareParseRate } from './hl7-bare-parse';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';
import { ackOf, connectMllp, NODE_CHILDREN, startNodeChild, withControlId, type MllpSender } from './mllp-load';

/**
 * HL7 v2 over MLLP, end to end (design §8): real loopback sockets into a node process (vault
 * storage + sealed intake pipeline + HL7 intake + MLLP listener, test/integration/hl7-node-child.ts)
 * whose vault was created with a test keyring. Each connection behaves as an MLLP sender does: the
 * next message goes out only after the previous ACK (CA: the demo messages ask for enhanced-mode
 * accept ACKs), and an ACK is sent only after the journal fdatasync holding the message.
 *
 * Same run: the bare `hl7-standard` parse rate of the same messages (one thread, `transform()`
 * only: no decoding, escapes, mapping, sealing, storage or network). The ratio pipeline/parse says
 * what share of a parse-only rate the whole durable path keeps; it is not an efficiency of the
 * parser. The latency figure uses a fixed offered load (500 msg/s over 8 connections, send times
 * on a fixed schedule) and measures from the SCHEDULED send time, so a slow ACK that delays the
 * next send counts against it (no coordinated omission).
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 3000);
const LATENCY_MS = Number(process.env['HDMS_BENCH_LATENCY_MS'] ?? 8000);
const OFFERED_PER_S = 500;
/** The node under test: the whole body (startBody) in its own process, as `npm run shell` runs it. */
const CHILD: keyof typeof NODE_CHILDREN = 'integration';
const CONNECTIONS = 8;
/** ACK frames per message: the demo messages set MSH-15 AL and MSH-16 NE (enhanced mode, the accept ACK CA only). */
const ACK_FRAMES = 1;

let sent = 0;
const nextId = (): string => `BENCH${process.pid}-${sent++}`;

/** Messages per second over `connections`; with `cpuOfPid`, also the body's CPU µs per message (Linux /proc; null elsewhere). */
async function closedLoop(port: number, connections: number, messages: readonly Uint8Array[], cpuOfPid?: number): Promise<{ rate: number; cpuUsPerMessage: number | null }> {
  const senders = await Promise.all(Array.from({ length: connections }, () => connectMllp(port)));
  let acked = 0;
  const cpuBefore = cpuOfPid === undefined ? undefined : cpuByKind(cpuOfPid).get('body');
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    senders.map(async (sender) => {
      while (performance.now() < deadline) {
        const ack = ackOf(await sender.send(withControlId(messages[sent % messages.length]!, nextId()), ACK_FRAMES));
        if (ack.code !== 'CA' && ack.code !== 'AA') throw new Error(`The node answered ${ack.code}.`);
        acked++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuOfPid === undefined ? undefined : cpuByKind(cpuOfPid).get('body');
  await Promise.all(senders.map((s) => s.close()));
  const cpuUsPerMessage = cpuBefore === undefined || cpuAfter === undefined || acked === 0 ? null : ((cpuAfter - cpuBefore) * 1000) / acked;
  return { rate: acked / elapsed, cpuUsPerMessage };
}

/** Fixed schedule: connection c sends its k-th message at start + (k * CONNECTIONS + c) / rate. Latency from the scheduled time. */
async function fixedLoad(port: number, messages: readonly Uint8Array[], perSecond: number, durationMs: number): Promise<number[]> {
  const senders: MllpSender[] = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectMllp(port)));
  const latencies: number[] = [];
  const interval = 1000 / perSecond;
  const start = performance.now() + 50;
  const total = Math.floor((durationMs / 1000) * perSecond);
  await Promise.all(
    senders.map(async (sender, c) => {
      for (let k = 0; ; k++) {
        const slot = k * CONNECTIONS + c;
        if (slot >= total) break;
        const scheduled = start + slot * interval;
        const wait = scheduled - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const ack = ackOf(await sender.send(withControlId(messages[slot % messages.length]!, nextId()), ACK_FRAMES));
        if (ack.code !== 'CA' && ack.code !== 'AA') throw new Error(`The node answered ${ack.code}.`);
        latencies.push(performance.now() - scheduled);
      }
    }),
  );
  await Promise.all(senders.map((s) => s.close()));
  return latencies;
}

async function idleLatency(port: number, messages: readonly Uint8Array[], count: number): Promise<number[]> {
  const sender = await connectMllp(port);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const begun = performance.now();
    await sender.send(withControlId(messages[i % messages.length]!, nextId()), ACK_FRAMES);
    latencies.push(performance.now() - begun);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await sender.close();
  return latencies;
}

const bench: BenchModule = {
  title: 'HL7 over MLLP: msg/s with 1 and 8 connections (ACK after fsync), ACK latency at 500 msg/s, vs bare hl7-standard parse in the same run',
  async run(log) {
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-mllp-'));
    const demo = [...generateDemoMessages({ patients: 1000, seed: 3, now: new Date('2026-01-01T00:00:00Z') })];
    const messages = demo.map((m) => m.raw);
    const texts = messages.map((raw, i) => withControlId(raw, `P${i}`).toString('utf8'));
    const one: number[] = [];
    const eight: number[] = [];
    const eightWorker: number[] = [];
    const parse: number[] = [];
    /** The body's CPU µs per message over 8 connections (all its threads): steadier than msg/s on a shared machine. */
    const bodyCpu: number[] = [];
    let latencies: number[] = [];
    let idle: number[] = [];
    try {
      const vault = await buildTestKeyring();
      for (let run = 0; run < RUNS; run++) {
        const dataDir = await mkdtemp(path.join(root, 'node-'));
        await new KeyringStore(dataDir).create(vault.keyring);
        const node = await startNodeChild(dataDir, 0, NODE_CHILDREN[CHILD]);
        try {
          await closedLoop(node.port, CONNECTIONS, messages.slice(0, 50)); // warm-up (JIT, page cache)
          parse.push(bareParseRate(texts, RUN_MS));
          one.push((await closedLoop(node.port, 1, messages)).rate);
          const loaded = await closedLoop(node.port, CONNECTIONS, messages, node.child.pid);
          eight.push(loaded.rate);
          if (loaded.cpuUsPerMessage !== null) bodyCpu.push(loaded.cpuUsPerMessage);
          if (run === 0) {
            idle = await idleLatency(node.port, messages, 300);
            latencies = await fixedLoad(node.port, messages, OFFERED_PER_S, LATENCY_MS);
          }
        } finally {
          await node.stop();
        }
        // The same node with one intake worker thread forced (the default on more than 2 CPUs).
        const workerDir = await mkdtemp(path.join(root, 'node-worker-'));
        await new KeyringStore(workerDir).create(vault.keyring);
        const withWorker = await startNodeChild(workerDir, 0, NODE_CHILDREN[CHILD], { HDMS_CHILD_HL7_WORKERS: '1' });
        try {
          await closedLoop(withWorker.port, CONNECTIONS, messages.slice(0, 50));
          eightWorker.push((await closedLoop(withWorker.port, CONNECTIONS, messages)).rate);
        } finally {
          await withWorker.stop();
        }
        log(`hl7-mllp run ${run + 1}/${RUNS}: 1 connection ${one.at(-1)!.toFixed(0)} msg/s, 8 connections ${eight.at(-1)!.toFixed(0)} msg/s (with 1 intake worker ${eightWorker.at(-1)!.toFixed(0)}), body CPU ${bodyCpu.length === 0 ? 'n/a' : `${bodyCpu.at(-1)!.toFixed(0)} µs/message`}, bare hl7-standard parse ${parse.at(-1)!.toFixed(0)} msg/s`);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const avgBytes = Math.round(messages.reduce((sum, m) => sum + m.length, 0) / messages.length);
    const notes = `Node child: test/integration/hl7-node-child.ts (the whole body, startBody, intake worker threads as the app picks them: ${defaultPrepareThreads()} here). Demo HL7 v2.5.1 messages (ADT^A04 / ORU^R01, ${avgBytes} bytes on average, MSH-15 AL, MSH-16 NE → one CA each), a fresh control id per send. Node and senders on the same ${os.cpus().length}-CPU machine, loopback. Folder ${os.tmpdir()}.`;
    const parseMedian = median(parse);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    log(`hl7-mllp latency at ${OFFERED_PER_S} msg/s offered: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${latencies.length} messages); idle p50 ${percentile(idle, 50).toFixed(2)} ms`);
    const figures: FigureInput[] = [
      {
        figure: 'hl7_mllp_8_connections_messages_per_s',
        value: median(eight),
        runs: RUNS,
        target: { min: 2500 },
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: parseMedian },
        unit: 'messages/s',
        samples: eight,
        baselineSamples: parse,
        notes,
      },
      {
        figure: 'hl7_mllp_8_connections_1_worker_messages_per_s',
        value: median(eightWorker),
        runs: RUNS,
        target: {},
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: parseMedian },
        unit: 'messages/s',
        samples: eightWorker,
        baselineSamples: parse,
        notes: `The node with one intake worker thread forced (HDMS_CHILD_HL7_WORKERS=1): frames parsed, mapped and sealed on the worker; the default on machines with more than 2 CPUs. ${notes}`,
      },
      {
        figure: 'hl7_mllp_1_connection_messages_per_s',
        value: median(one),
        runs: RUNS,
        target: {},
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: parseMedian },
        unit: 'messages/s',
        samples: one,
        baselineSamples: parse,
        notes,
      },
      {
        figure: 'hl7_pipeline_vs_bare_parse_ratio',
        value: median(eight) / parseMedian,
        runs: RUNS,
        target: { min: 0.6 },
        baseline: { name: 'ratio of the bare hl7-standard parse rate to itself (1.0)', value: 1 },
        unit: 'ratio',
        notes: `End-to-end durable MLLP msg/s with 8 connections divided by the bare parse rate of the same messages in the same run. ${notes}`,
      },
      {
        figure: 'hl7_mllp_ack_latency_p99_ms_at_500_per_s',
        value: p99,
        p95: percentile(latencies, 95),
        runs: 1,
        target: { max: 25 },
        baseline: { name: 'ACK latency p50 of one connection on an idle node (one message at a time), same run', value: percentile(idle, 50), p95: percentile(idle, 95) },
        unit: 'ms',
        samples: [p50, p99],
        notes: `Fixed offered load ${OFFERED_PER_S} msg/s over ${CONNECTIONS} connections for ${LATENCY_MS / 1000} s (${latencies.length} messages), latency from the scheduled send time to the ACK; p50 ${p50.toFixed(2)} ms. ${notes}`,
      },
    ];
    if (bodyCpu.length > 0) {
      figures.push({
        figure: 'hl7_mllp_body_cpu_us_per_message',
        value: median(bodyCpu),
        runs: bodyCpu.length,
        target: {},
        baseline: { name: 'bare hl7-standard parse CPU per message (1 s / its rate, one thread), same run', value: 1e6 / parseMedian },
        unit: 'µs',
        samples: bodyCpu,
        notes: `The node child's CPU (user + system, all threads, from /proc) during the 8-connection run, per acknowledged message. ${notes}`,
      });
    }
    return figures;
  },
};

export default bench;
