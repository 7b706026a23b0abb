import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { openHl7Dedupe } from '../../electron/intake/hl7/hl7-duplicates';
import { createHl7Intake } from '../../electron/intake/hl7/hl7-intake';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { fromBase64Url } from '../../shared/crypto/bytes';
import { buildTestKeyring } from '../support/vault-keyring';
import { bareParseRate } from './hl7-bare-parse';
import { median, type BenchModule, type FigureInput } from './bench-report';
import { withControlId } from './mllp-load';

/**
 * The HL7 pipeline in one process, without the network: frames go into the body's HL7 intake
 * (`createHl7Intake(...).handleFrame`: front end, duplicate check against the persisted index,
 * mapping, ACKs) wired to the real intake pipeline (the body's Sealer, the vault journal with its
 * group-commit fdatasync, the duplicate index file), on this one thread, with 8 frames in flight
 * (as 8 MLLP connections each waiting for its ACK). An ACK counts only after its journal fsync.
 * Same run, alternating: the bare hl7-standard parse (`transform()` only) of the same texts.
 *
 * This reads the design's pipeline/parse ratio as the processing path alone; the hl7-mllp
 * benchmark gives the end-to-end reading (sockets, and the senders sharing the machine's CPUs).
 * Comparing the two shows what the network path costs: with 8 messages in flight both are bound
 * by the same cycle (8 messages processed one after another on one thread, then one fdatasync).
 * Two more readings say where the limit is: the same pipeline with 64 frames in flight (the
 * fdatasync shared by ~64), and its main-thread CPU per message (Linux /proc) against the bare
 * parse's: their quotient is the highest ratio one thread could reach if the disk never waited.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 3000);
const IN_FLIGHT = 8;
/** Second reading: enough frames in flight that the fdatasync is shared by many (a busy interface engine, a file import). */
const WIDE_IN_FLIGHT = 64;
const silent = pino({ level: 'silent' });

/**
 * CPU time (ms) this process's main thread has used, from /proc (Linux); null elsewhere. The
 * pipeline's cost per message on the thread that runs it, whatever the disk adds in waiting.
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

interface PipelineRun {
  readonly perSecond: number;
  /** Messages per fdatasync. */
  readonly batches: number;
  /** Main-thread CPU µs per message (Linux), null where it cannot be read. */
  readonly cpuMicros: number | null;
}

async function pipelineRate(root: string, frames: readonly Buffer[], publicKey: Uint8Array, run: number | string, inFlight = IN_FLIGHT): Promise<PipelineRun> {
  const dir = await mkdtemp(path.join(root, 'vault-'));
  const storage = await openVaultStorage(dir, silent);
  const sealer = await createBodySealer(publicKey);
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await openHl7Dedupe({ dir: path.join(dir, 'vault', 'intake', 'hl7-dedupe'), journal: storage.journal });
  const intake = createHl7Intake({ ingest: (input) => pipeline.ingest(input), quarantine: (input) => pipeline.quarantine(input), dedupe, log: silent });
  let next = 0;
  let acked = 0;
  const cpuBefore = mainThreadCpuMs();
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      const peer = { address: '127.0.0.1', port: 40000 + lane };
      while (performance.now() < deadline) {
        const n = next++;
        const acks = await intake.handleFrame(withControlId(frames[n % frames.length]!, `R${run}-${n}`), peer);
        if (acks.length === 0 || !/\rMSA\|(CA|AA)\|/.test(acks[0]!.toString('latin1'))) throw new Error('The pipeline did not accept a message.');
        acked++;
      }
    }),
  );
  const perSecond = acked / ((performance.now() - started) / 1000);
  const cpuAfter = mainThreadCpuMs();
  const cpuMicros = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / acked;
  const { batches } = storage.journal.stats();
  await dedupe.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });
  return { perSecond, batches: acked / Math.max(1, batches), cpuMicros };
}

const bench: BenchModule = {
  title: 'HL7 pipeline in one process (front end, duplicates, mapping, sealing, journal fsync; no network), 8 in flight, vs bare hl7-standard parse',
  async run(log) {
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-hl7-pipeline-'));
    const vault = await buildTestKeyring();
    const publicKey = fromBase64Url(vault.keyring.intakePublicKey);
    const demo = [...generateDemoMessages({ patients: 1000, seed: 3, now: new Date('2026-01-01T00:00:00Z') })];
    const frames = demo.map((m) => Buffer.from(m.raw));
    const texts = frames.map((frame, i) => withControlId(frame, `P${i}`).toString('utf8'));
    const rates: number[] = [];
    const wide: number[] = [];
    const parse: number[] = [];
    const cpu: number[] = [];
    let perBatch = 0;
    try {
      await pipelineRate(root, frames.slice(0, 100), publicKey, 'warm'); // warm-up
      for (let run = 0; run < RUNS; run++) {
        const result = await pipelineRate(root, frames, publicKey, run);
        rates.push(result.perSecond);
        perBatch = result.batches;
        if (result.cpuMicros !== null) cpu.push(result.cpuMicros);
        const wideResult = await pipelineRate(root, frames, publicKey, `W${run}`, WIDE_IN_FLIGHT);
        wide.push(wideResult.perSecond);
        parse.push(bareParseRate(texts, RUN_MS));
        const cpuText = result.cpuMicros === null ? '' : `, ${result.cpuMicros.toFixed(0)} µs main-thread CPU per message`;
        log(
          `hl7-pipeline run ${run + 1}/${RUNS}: pipeline ${rates.at(-1)!.toFixed(0)} msg/s (~${result.batches.toFixed(1)} per fdatasync${cpuText}), ` +
            `${WIDE_IN_FLIGHT} in flight ${wide.at(-1)!.toFixed(0)} msg/s, bare hl7-standard parse ${parse.at(-1)!.toFixed(0)} msg/s`,
        );
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const parseMedian = median(parse);
    const notes = `createHl7Intake + createIntakePipeline (createBodySealer, vault journal, persisted duplicate index) on one thread, ${IN_FLIGHT} frames in flight, ACK after the journal fsync (~${perBatch.toFixed(1)} messages per fdatasync in the last run); demo ADT^A04 / ORU^R01 messages with fresh control ids; ${os.cpus().length}-CPU machine, folder ${os.tmpdir()}. No sockets: the hl7-mllp figures add the network path.`;
    const figures: FigureInput[] = [
      {
        figure: 'hl7_pipeline_in_process_messages_per_s',
        value: median(rates),
        runs: RUNS,
        target: {},
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: parseMedian },
        unit: 'messages/s',
        samples: rates,
        baselineSamples: parse,
        notes,
      },
      {
        figure: 'hl7_pipeline_in_process_vs_bare_parse_ratio',
        value: median(rates) / parseMedian,
        runs: RUNS,
        target: { min: 0.6 },
        baseline: { name: 'ratio of the bare hl7-standard parse rate to itself (1.0)', value: 1 },
        unit: 'ratio',
        notes: `The design's pipeline/parse ratio read as the processing path without the network. ${notes}`,
      },
      {
        figure: 'hl7_pipeline_in_process_64_in_flight_messages_per_s',
        value: median(wide),
        runs: RUNS,
        target: {},
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: parseMedian },
        unit: 'messages/s',
        samples: wide,
        baselineSamples: parse,
        notes: `The same pipeline with ${WIDE_IN_FLIGHT} frames in flight (about that many per fdatasync): what one thread gives when the disk wait is shared by many messages. ${notes}`,
      },
      ...(cpu.length === 0
        ? []
        : [
            {
              figure: 'hl7_pipeline_main_thread_cpu_us_per_message',
              value: median(cpu),
              runs: cpu.length,
              target: {},
              baseline: { name: 'CPU µs per message of the bare hl7-standard parse (1e6 / its rate), same run', value: 1e6 / parseMedian },
              unit: 'µs/message',
              samples: cpu,
              notes: `Main-thread CPU (utime + stime from /proc/self/task) per acknowledged message, ${IN_FLIGHT} in flight. baseline/value is the highest pipeline/parse ratio one thread could reach even if the disk never made it wait. ${notes}`,
            } satisfies FigureInput,
          ]),
    ];
    return figures;
  },
};

export default bench;
