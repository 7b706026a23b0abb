// Child process of the intake crash test (intake-pipeline.test.ts): ingests demo messages through
// the real intake pipeline from many concurrent callers until killed, printing "seq objectId i"
// for each message only after its ingest resolved (the acknowledgement point).
import pino from 'pino';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { createIntakePipeline } from '../../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../../electron/storage/vault-storage';
import { createSealer } from '../../../shared/crypto/envelope';

const FLOOD_SEED = 11; // the test regenerates the same messages: keep in step with intake-pipeline.test.ts
const FLOOD_NOW = new Date('2026-02-01T00:00:00Z');

async function main(): Promise<void> {
  const [dataDir, publicKey, inFlightArg] = process.argv.slice(2);
  if (dataDir === undefined || publicKey === undefined) throw new Error('usage: pipeline-flood-child DATA_DIR INTAKE_PUBLIC_KEY [IN_FLIGHT]');
  const messages = [...generateDemoMessages({ patients: 300, seed: FLOOD_SEED, now: FLOOD_NOW })];
  const storage = await openVaultStorage(dataDir, pino({ level: 'silent' }));
  const sealer = await createSealer(Buffer.from(publicKey, 'base64url'));
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  process.stdout.write(`ready ${storage.journal.lastSeq}\n`);
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(inFlightArg ?? 64) }, async () => {
      for (;;) {
        const i = next++ % messages.length;
        const message = messages[i]!;
        const { seq, objectId } = await pipeline.ingest({ kind: 'intake.hl7', raw: message.raw, normalized: message.normalized });
        process.stdout.write(`${seq} ${objectId} ${i}\n`);
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
