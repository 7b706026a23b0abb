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
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 3000);
const IN_FLIGHT = 8;
const silent = pino({ level: 'silent' });

async function pipelineRate(root: string, frames: readonly Buffer[], publicKey: Uint8Array, run: number): Promise<{ perSecond: number; batches: number }> {
  const dir = await mkdtemp(path.join(root, 'vault-'));
  const storage = await openVaultStorage(dir, silent);
  const sealer = await createBodySealer(publicKey);
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await openHl7Dedupe({ file: path.join(dir, 'hl7-dedupe.jsonl') });
  const intake = createHl7Intake({ ingest: (input) => pipeline.ingest(input), quarantine: (input) => pipeline.quarantine(input), dedupe, log: silent });
  let next = 0;
  let acked = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, lane) => {
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
  const { batches } = storage.journal.stats();
  await dedupe.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });
  return { perSecond, batches: acked / Math.max(1, batches) };
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
    const parse: number[] = [];
    let perBatch = 0;
    try {
      await pipelineRate(root, frames.slice(0, 100), publicKey, -1); // warm-up
      for (let run = 0; run < RUNS; run++) {
        const result = await pipelineRate(root, frames, publicKey, run);
        rates.push(result.perSecond);
        perBatch = result.batches;
        parse.push(bareParseRate(texts, RUN_MS));
        log(`hl7-pipeline run ${run + 1}/${RUNS}: pipeline ${rates.at(-1)!.toFixed(0)} msg/s (~${result.batches.toFixed(1)} per fdatasync), bare hl7-standard parse ${parse.at(-1)!.toFixed(0)} msg/s`);
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
    ];
    return figures;
  },
};

export default bench;
