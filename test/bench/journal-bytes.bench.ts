import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createNodeSealer } from '../../electron/crypto/node-sealer';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { journalTag } from '../../electron/intake/hl7/hl7-duplicates';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { Journal } from '../../electron/storage/journal';
import { JOURNAL_MAGIC_V1 } from '../../electron/storage/journal-format';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { JOURNAL_FILE_NAME } from '../../electron/storage/vault-layout';
import { generateP256KeyPair } from '../../shared/crypto/p256-keys';
import { median, type BenchModule } from './bench-report';

/**
 * Journal bytes per HL7 message (issue 11: "a 330-byte message costs 2,545 bytes of journal";
 * target ≤ 2 × raw + 300). Sizes do not depend on the machine, so one run is enough; the figure is
 * the median over the demo population's messages under 400 bytes, through the real pipeline and
 * the body's sealer. Baseline, same run, same messages: what the previous format wrote (journal
 * version 1, JSON with base64 sealed bytes, uncompressed envelopes, the object id in the metadata).
 */
const silent = pino({ level: 'silent' });
const SMALL = 400;

interface Cost {
  readonly raw: number;
  readonly journal: number;
}

const bench: BenchModule = {
  title: 'journal bytes per small HL7 message (binary records, compressed envelopes) vs the previous format',
  async run(log) {
    const root = await mkdtemp(path.join(process.env['HDMS_BENCH_DIR'] ?? os.tmpdir(), 'hdms-bench-journal-bytes-'));
    const messages = [...generateDemoMessages({ patients: 200, seed: 5, now: new Date('2026-03-01T08:00:00Z') })];
    const dedupe = journalTag({ key: '3c'.repeat(16), payload: '9e'.repeat(16) }, 'AA');
    const intake = await generateP256KeyPair();
    const sealer = await createNodeSealer(intake.publicKeyRaw);
    try {
      // Now: the pipeline as the HL7 listener uses it.
      const storage = await openVaultStorage(path.join(root, 'now'), silent);
      const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
      const nowFile = path.join(root, 'now', 'vault', 'journal', JOURNAL_FILE_NAME);
      const now = await costs(nowFile, messages, (message) => pipeline.ingest({ kind: 'intake.hl7', raw: message.raw, normalized: message.normalized, dedupe }));
      await storage.close();

      // Before: a version-1 journal, uncompressed envelopes, the object id repeated in the metadata.
      const beforeDir = path.join(root, 'before');
      await mkdir(beforeDir, { recursive: true });
      await writeFile(path.join(beforeDir, JOURNAL_FILE_NAME), JOURNAL_MAGIC_V1);
      const journal = await Journal.open(beforeDir, silent);
      const before = await costs(path.join(beforeDir, JOURNAL_FILE_NAME), messages, async (message) => {
        const inline = await sealer.seal('object', message.raw);
        const objectId = createHash('sha256').update(inline).digest('hex');
        const metaJson = { v: 1, channel: message.normalized.channel, receivedAt: new Date().toISOString(), objectId, rawBytes: message.raw.length, normalized: message.normalized };
        const meta = await sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(metaJson)));
        return journal.append({ kind: 'intake.hl7', operator: null, objects: [objectId], meta, inline: [inline], dedupe });
      });
      await journal.close();

      const small = (list: Cost[]): Cost[] => list.filter((cost) => cost.raw < SMALL);
      const smallNow = small(now);
      const rawMedian = median(smallNow.map((cost) => cost.raw));
      const worst = Math.max(...now.map((cost) => cost.journal / (2 * cost.raw + 300)));
      const total = (list: Cost[], key: keyof Cost): number => list.reduce((sum, cost) => sum + cost[key], 0);
      log(`journal-bytes: ${smallNow.length} small messages of ${messages.length}; worst journal/(2·raw+300) ${worst.toFixed(3)}`);
      return [
        {
          figure: 'journal_bytes_per_small_hl7_message',
          value: median(smallNow.map((cost) => cost.journal)),
          runs: 1,
          target: { max: 2 * rawMedian + 300 },
          baseline: { name: `the previous format (journal v1 JSON + base64, uncompressed envelopes) for the same ${smallNow.length} messages under ${SMALL} bytes, same run`, value: median(small(before).map((cost) => cost.journal)) },
          unit: 'bytes',
          samples: smallNow.map((cost) => cost.journal),
          baselineSamples: small(before).map((cost) => cost.journal),
          notes:
            `Median raw size of these messages ${rawMedian} bytes (target = 2 × that + 300). Worst message of all ${messages.length}: ` +
            `${worst.toFixed(3)} × its own target. All messages: ${total(now, 'journal')} journal bytes for ${total(now, 'raw')} raw bytes ` +
            `(${(total(now, 'journal') / total(now, 'raw')).toFixed(2)}×; before ${(total(before, 'journal') / total(before, 'raw')).toFixed(2)}×). ` +
            'Includes the 8-byte frame, seq, time, kind, the 48-character HL7 dedupe tag, the object id, and both sealed envelopes.',
        },
      ];
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

/** Appends each message with `append` and measures how much the journal file grew for it. */
async function costs<M extends { readonly raw: Uint8Array }>(file: string, messages: readonly M[], append: (message: M) => Promise<unknown>): Promise<Cost[]> {
  const out: Cost[] = [];
  let size = (await stat(file)).size;
  for (const message of messages) {
    await append(message);
    const next = (await stat(file)).size;
    out.push({ raw: message.raw.length, journal: next - size });
    size = next;
  }
  return out;
}

export default bench;
