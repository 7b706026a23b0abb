import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { createMemoryDedupe } from '../../electron/intake/hl7/hl7-duplicates';
import { createHl7Intake } from '../../electron/intake/hl7/hl7-intake';
import { bareParseRate } from './hl7-bare-parse';
import { median, type BenchModule, type FigureInput } from './bench-report';
import { withControlId } from './mllp-load';

/**
 * The HL7 layer alone, per message, one thread: `createHl7Intake(...).handleFrame` (front end:
 * charset, lines, header, hl7-standard segments; duplicates with an in-memory index; mapping to
 * NormalizedIntake with its schema check; ACK building) with an ingest that resolves at once (no
 * sealing, no storage, no socket). Same run, alternating: the bare hl7-standard parse (`transform()`
 * only) of the same texts. The ratio says how much of a message's CPU the HL7 layer adds on top of
 * the parser; sealing and the journal come on top of it in the MLLP figures.
 *
 * For a CPU profile of the layer:
 *   HDMS_BENCH_RUNS=1 HDMS_BENCH_RUN_MS=8000 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/run-benchmarks.ts hl7-intake-layer
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 2000);

/** A fresh intake (empty duplicate index) for every pass over the frames: every message is new. */
function freshIntake() {
  let seq = 0;
  return createHl7Intake({
    ingest: () => Promise.resolve({ seq: ++seq, objectId: '0'.repeat(64) }),
    quarantine: () => Promise.resolve({ seq: ++seq, objectId: '0'.repeat(64) }),
    dedupe: createMemoryDedupe(),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

async function layerRate(frames: readonly Buffer[]): Promise<number> {
  const peer = { address: '127.0.0.1', port: 40000 };
  let intake = freshIntake();
  let handled = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) {
      if (handled > 0 && handled % frames.length === 0) intake = freshIntake();
      const acks = await intake.handleFrame(frames[handled % frames.length]!, peer);
      if (acks.length === 0) throw new Error('No ACK.');
      handled++;
    }
  }
  return handled / ((performance.now() - started) / 1000);
}

const bench: BenchModule = {
  title: 'HL7 layer alone (front end, duplicates, mapping, ACK; no sealing or storage), msg/s on one thread, vs bare hl7-standard parse',
  async run(log) {
    const demo = [...generateDemoMessages({ patients: 1000, seed: 3, now: new Date('2026-01-01T00:00:00Z') })];
    // Distinct control ids: every frame is a new message for a fresh intake.
    const frames = demo.map((m, i) => withControlId(m.raw, `L${i}`));
    const texts = frames.map((frame) => frame.toString('utf8'));
    const layer: number[] = [];
    const parse: number[] = [];
    await layerRate(frames.slice(0, 200)); // warm-up
    for (let run = 0; run < RUNS; run++) {
      layer.push(await layerRate(frames));
      parse.push(bareParseRate(texts, RUN_MS));
      log(`hl7-intake-layer run ${run + 1}/${RUNS}: layer ${layer.at(-1)!.toFixed(0)} msg/s, bare hl7-standard parse ${parse.at(-1)!.toFixed(0)} msg/s`);
    }
    const figures: FigureInput[] = [
      {
        figure: 'hl7_layer_messages_per_s_one_thread',
        value: median(layer),
        runs: RUNS,
        target: { min: 0.6 * median(parse) },
        baseline: { name: 'bare hl7-standard parse (transform only) of the same messages, one thread, same run', value: median(parse) },
        unit: 'messages/s',
        samples: layer,
        baselineSamples: parse,
        notes: 'createHl7Intake().handleFrame with an in-memory duplicate index and an ingest that resolves at once; demo ADT^A04 / ORU^R01 messages, a fresh control id each. Target: 0.6 of the bare parse rate (the design\'s pipeline/parse ratio, applied to the layer alone).',
      },
    ];
    return figures;
  },
};

export default bench;
