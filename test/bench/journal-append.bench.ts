import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Journal, type JournalEntry } from '../../electron/storage/journal';
import { encodeEnvelopeHeader } from '../../shared/crypto/envelope-format';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * Journal appends per second with 1 and 8 writers, each awaiting its append (acknowledged after
 * the group commit's fdatasync) before the next, like an MLLP connection waiting for its ACK.
 * Records are ~400 bytes on disk. Baseline, same run, same folder: the physical limit of one
 * writer, a raw loop of `write` + `fdatasync` of a frame of the same size. Runs alternate.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 1500);
const silent = pino({ level: 'silent' });

function entry(): JournalEntry {
  const header = encodeEnvelopeHeader({
    kind: 'journalMetadata',
    chunkSize: 65536,
    ephemeralPublicKey: new Uint8Array([4, ...randomBytes(64)]),
    salt: randomBytes(16),
    noncePrefix: randomBytes(7),
    wrappedKey: randomBytes(40),
  });
  return { kind: 'intake.hl7', operator: null, objects: [randomBytes(32).toString('hex')], meta: Buffer.concat([header, randomBytes(16)]) };
}

interface WriterRun {
  readonly perSecond: number;
  readonly latenciesMs: number[];
  readonly recordBytes: number;
}

async function measureJournal(root: string, writers: number, sample: JournalEntry): Promise<WriterRun> {
  const dir = await mkdtemp(path.join(root, 'journal-'));
  const journal = await Journal.open(dir, silent);
  const first = await journal.append(sample);
  const second = await journal.append(sample);
  const recordBytes = second.offset - first.offset;
  const latenciesMs: number[] = [];
  let count = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await journal.append(sample);
        latenciesMs.push(performance.now() - t0);
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  return { perSecond: count / elapsed, latenciesMs, recordBytes };
}

async function measureRaw(root: string, recordBytes: number): Promise<number> {
  const file = path.join(root, `raw-${randomBytes(4).toString('hex')}.bin`);
  const handle = await open(file, 'w+', 0o600);
  const record = randomBytes(recordBytes);
  let position = 0;
  let count = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  while (performance.now() < deadline) {
    await handle.write(record, 0, record.length, position);
    await handle.datasync();
    position += record.length;
    count++;
  }
  const elapsed = (performance.now() - started) / 1000;
  await handle.close();
  await rm(file, { force: true });
  return count / elapsed;
}

const bench: BenchModule = {
  title: 'journal appends/s, 1 and 8 awaiting writers, vs raw write+fdatasync',
  async run(log) {
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-journal-'));
    const sample = entry();
    const raw: number[] = [];
    const one: WriterRun[] = [];
    const eight: WriterRun[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        one.push(await measureJournal(root, 1, sample));
        raw.push(await measureRaw(root, one[0]!.recordBytes));
        eight.push(await measureJournal(root, 8, sample));
        log(`journal-append run ${run + 1}/${RUNS}: raw ${raw.at(-1)!.toFixed(0)}/s, 1 writer ${one.at(-1)!.perSecond.toFixed(0)}/s, 8 writers ${eight.at(-1)!.perSecond.toFixed(0)}/s`);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const recordBytes = one[0]!.recordBytes;
    const baseline = { name: `raw write + fdatasync loop, ${recordBytes}-byte records, 1 writer, same folder`, value: median(raw) };
    const latencyNote = (runs: WriterRun[]): string => {
      const all = runs.flatMap((r) => r.latenciesMs);
      return `append latency p50 ${percentile(all, 50).toFixed(2)} ms, p99 ${percentile(all, 99).toFixed(2)} ms`;
    };
    const figures: FigureInput[] = [
      {
        figure: 'journal_appends_per_s_1_writer',
        value: median(one.map((r) => r.perSecond)),
        runs: RUNS,
        target: {},
        baseline,
        unit: 'appends/s',
        samples: one.map((r) => r.perSecond),
        baselineSamples: raw,
        notes: `No design target; the ceiling is one fdatasync per append. ${recordBytes}-byte frames; ${latencyNote(one)}; folder ${os.tmpdir()}.`,
      },
      {
        figure: 'journal_appends_per_s_8_writers',
        value: median(eight.map((r) => r.perSecond)),
        runs: RUNS,
        // Design §8: HL7 over MLLP, 8 connections, ACK after fsync ≥ 2,500 msg/s; the journal must allow it.
        target: { min: 2500 },
        baseline,
        unit: 'appends/s',
        samples: eight.map((r) => r.perSecond),
        baselineSamples: raw,
        notes: `Group commit: one write + one fdatasync per batch. ${recordBytes}-byte frames; ${latencyNote(eight)}.`,
      },
    ];
    return figures;
  },
};

export default bench;
