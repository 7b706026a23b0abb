import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { generateDemoMessages, type DemoMessage } from '../../electron/intake/demo/demo-population';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { Journal, type JournalEntry } from '../../electron/storage/journal';
import { openVaultStorage, type VaultStorage } from '../../electron/storage/vault-storage';
import { createSealer, type Sealer } from '../../shared/crypto/envelope';
import { generateP256KeyPair } from '../../shared/crypto/p256-keys';
import { median, type BenchModule, type FigureInput } from './bench-report';

/**
 * Demo messages ingested per second through the whole intake pipeline (seal the raw HL7 with
 * seal(), seal the metadata, one journal record carrying the sealed raw bytes INLINE, acknowledged
 * after the group commit's fdatasync), 64 ingests in flight, as the demo import and the MLLP
 * listener run them. Same run, same folder, alternating:
 *  - journal appends alone, records of the pipeline's size (inline payload included): the
 *    durable-append ceiling the ACK sits on;
 *  - sealing alone (the two envelopes of a message, 64 in flight): the CPU ceiling on this machine;
 *  - the previous write path (raw bytes as an object FILE: temp file, fsync, rename, folder fsync,
 *    then the journal record): what the inline path replaced.
 * Everything seals with the body's Sealer (createBodySealer: node:crypto); the same sealing-alone
 * measurement with the shared WebCrypto Sealer runs alongside, for the comparison.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 2000);
const IN_FLIGHT = 64;
const silent = pino({ level: 'silent' });
const encoder = new TextEncoder();

async function inFlight(deadline: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let issued = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await work(issued++);
        done++;
      }
    }),
  );
  return done;
}

type Ingest = (storage: VaultStorage, sealer: Sealer, message: DemoMessage) => Promise<unknown>;

const viaPipeline = (): Ingest => {
  let pipeline: ReturnType<typeof createIntakePipeline> | null = null;
  return (storage, sealer, message) => {
    pipeline ??= createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
    return pipeline.ingest({ kind: 'intake.demo', raw: message.raw, normalized: message.normalized });
  };
};

/** The write path before inline objects: one object file per message, then the journal record. */
const viaObjectFiles: Ingest = async (storage, sealer, message) => {
  const sealed = await sealer.seal('object', message.raw);
  const objectId = createHash('sha256').update(sealed).digest('hex');
  const metadata = { v: 1, channel: message.normalized.channel, receivedAt: new Date().toISOString(), objectId, rawBytes: message.raw.length, normalized: message.normalized };
  const [, meta] = await Promise.all([storage.objects.write(sealed), sealer.seal('journalMetadata', encoder.encode(JSON.stringify(metadata)))]);
  return storage.journal.append({ kind: 'intake.demo', operator: null, objects: [objectId], meta });
};

async function measureIngest(root: string, messages: readonly DemoMessage[], publicKeyRaw: Uint8Array, ingest: Ingest): Promise<{ perSecond: number; recordBytes: number; batches: number }> {
  const dir = await mkdtemp(path.join(root, 'pipeline-'));
  const storage = await openVaultStorage(dir, silent);
  const sealer = await createBodySealer(publicKeyRaw);
  const started = performance.now();
  const count = await inFlight(started + RUN_MS, (i) => ingest(storage, sealer, messages[i % messages.length]!));
  const elapsed = (performance.now() - started) / 1000;
  const first = await storage.journal.read({ after: 0, limit: 100 });
  const recordBytes = Math.round(first.records.reduce((sum, record) => sum + JSON.stringify(record).length + 8, 0) / first.records.length);
  const { batches } = storage.journal.stats();
  await storage.close();
  await rm(dir, { recursive: true, force: true });
  return { perSecond: count / elapsed, recordBytes, batches };
}

async function measureJournalOnly(root: string, sample: JournalEntry): Promise<number> {
  const dir = await mkdtemp(path.join(root, 'journal-'));
  const journal = await Journal.open(dir, silent);
  const started = performance.now();
  const count = await inFlight(started + RUN_MS, () => journal.append(sample));
  const elapsed = (performance.now() - started) / 1000;
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  return count / elapsed;
}

async function measureSealingOnly(messages: readonly DemoMessage[], publicKeyRaw: Uint8Array, create: (key: Uint8Array) => Promise<Sealer> = createBodySealer): Promise<number> {
  const sealer = await create(publicKeyRaw);
  const started = performance.now();
  const count = await inFlight(started + RUN_MS, async (i) => {
    const message = messages[i % messages.length]!;
    const sealed = await sealer.seal('object', message.raw);
    const objectId = createHash('sha256').update(sealed).digest('hex');
    const metadata = { v: 1, channel: message.normalized.channel, receivedAt: new Date().toISOString(), objectId, rawBytes: message.raw.length, normalized: message.normalized };
    await sealer.seal('journalMetadata', encoder.encode(JSON.stringify(metadata)));
  });
  return count / ((performance.now() - started) / 1000);
}

const bench: BenchModule = {
  title: 'intake pipeline: demo messages/s (seal raw + seal metadata + one journal record carrying the raw inline, ACK after fsync), 64 in flight, vs journal alone, sealing alone and the object-file path',
  async run(log) {
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-intake-'));
    const messages = [...generateDemoMessages({ patients: 2000, seed: 1, now: new Date('2026-01-01T00:00:00Z') })];
    const { publicKeyRaw } = await generateP256KeyPair();
    // A real record of the pipeline's size for the baseline: a typical message's sealed raw bytes inline and its sealed metadata.
    const sealer = await createBodySealer(publicKeyRaw);
    const typical = messages[1]!;
    const sealedRaw = await sealer.seal('object', typical.raw);
    const rawId = createHash('sha256').update(sealedRaw).digest('hex');
    const meta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify({ v: 1, channel: 'demo', receivedAt: new Date().toISOString(), objectId: rawId, rawBytes: typical.raw.length, normalized: typical.normalized })));
    const sample: JournalEntry = { kind: 'intake.demo', operator: null, objects: [rawId], meta, inline: [sealedRaw] };
    const pipeline: number[] = [];
    const journal: number[] = [];
    const sealing: number[] = [];
    const webSealing: number[] = [];
    const files: number[] = [];
    let recordBytes = 0;
    let perBatch = 0;
    try {
      for (let run = 0; run < RUNS; run++) {
        const measured = await measureIngest(root, messages, publicKeyRaw, viaPipeline());
        pipeline.push(measured.perSecond);
        recordBytes = measured.recordBytes;
        perBatch = (measured.perSecond * (RUN_MS / 1000)) / measured.batches;
        journal.push(await measureJournalOnly(root, sample));
        sealing.push(await measureSealingOnly(messages, publicKeyRaw));
        webSealing.push(await measureSealingOnly(messages, publicKeyRaw, (key) => createSealer(key)));
        files.push((await measureIngest(root, messages, publicKeyRaw, viaObjectFiles)).perSecond);
        log(
          `intake-pipeline run ${run + 1}/${RUNS}: pipeline ${pipeline.at(-1)!.toFixed(0)} msg/s (~${perBatch.toFixed(0)} per fdatasync), journal alone ${journal.at(-1)!.toFixed(0)} appends/s, ` +
            `sealing alone ${sealing.at(-1)!.toFixed(0)} msg/s (WebCrypto sealer ${webSealing.at(-1)!.toFixed(0)}), object-file path ${files.at(-1)!.toFixed(0)} msg/s`,
        );
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const avgRaw = Math.round(messages.reduce((sum, m) => sum + m.raw.length, 0) / messages.length);
    const common = `Demo HL7 messages, raw ${avgRaw} bytes on average; each is two sealed envelopes (ECDH once per Sealer, HKDF + AES-KW + AES-GCM per envelope) and one journal record (~${recordBytes} bytes with the raw bytes inline) in a group commit. ${os.cpus().length} CPUs. Folder ${os.tmpdir()}.`;
    const figures: FigureInput[] = [
      {
        figure: 'intake_pipeline_messages_per_s_64_in_flight',
        value: median(pipeline),
        runs: RUNS,
        // Design §8: HL7 over MLLP ≥ 2,500 msg/s with ACK after fsync; this pipeline is that path minus MLLP and parsing.
        target: { min: 2500 },
        baseline: { name: `journal appends alone, ~${recordBytes}-byte records (raw inline), ${IN_FLIGHT} in flight, same folder`, value: median(journal) },
        unit: 'messages/s',
        samples: pipeline,
        baselineSamples: journal,
        notes: common,
      },
      {
        figure: 'intake_pipeline_vs_sealing_alone',
        value: median(pipeline),
        runs: RUNS,
        // Sealing is the CPU floor of every message; the storage path should cost little on top.
        target: { min: 0.6 * median(sealing) },
        baseline: { name: `sealing alone: the message's two envelopes (seal raw, hash, seal metadata), ${IN_FLIGHT} in flight, no storage`, value: median(sealing) },
        unit: 'messages/s',
        samples: pipeline,
        baselineSamples: sealing,
        notes: `${common} Target: at least 0.6 of the sealing-only rate measured in the same run.`,
      },
      {
        figure: 'intake_pipeline_vs_object_file_path',
        value: median(pipeline),
        runs: RUNS,
        target: { min: 2 * median(files) },
        baseline: { name: 'previous write path: raw bytes as an object file (temp, fsync, rename, folder fsync) then the journal record, same messages, 64 in flight', value: median(files) },
        unit: 'messages/s',
        samples: pipeline,
        baselineSamples: files,
        notes: `${common} Target: at least twice the object-file path measured in the same run.`,
      },
      {
        figure: 'intake_sealing_body_sealer_vs_webcrypto_messages_per_s',
        value: median(sealing),
        runs: RUNS,
        target: {},
        baseline: { name: `sealing alone with the shared WebCrypto Sealer (same two envelopes per message, ${IN_FLIGHT} in flight), same run`, value: median(webSealing) },
        unit: 'messages/s',
        samples: sealing,
        baselineSamples: webSealing,
        notes: `${common} The body's Sealer (node:crypto) against the shared WebCrypto one: same format, same messages.`,
      },
    ];
    return figures;
  },
};

export default bench;
