// The node's HL7 intake in its own process for the MLLP benchmark, composed from its parts as the
// body composes them: the body's Sealer (createBodySealer: node:crypto), the sealed intake pipeline
// with its `quarantine`, the HL7 intake and the MLLP listener, nothing else. Same protocol as
// test/integration/hl7-node-child.ts (which runs the whole body, startBody, now that the body starts
// the listener itself); the bench runs that one with HDMS_BENCH_MLLP_CHILD=integration. Usage:
//   node --import tsx test/bench/hl7-bench-node-child.ts DATA_DIR [PORT]
// TODO(lead): once the body's HL7 wiring has settled, make `integration` (the real body) the bench default.
import path from 'node:path';
import pino from 'pino';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { openHl7Dedupe } from '../../electron/intake/hl7/hl7-duplicates';
import { createHl7Intake } from '../../electron/intake/hl7/hl7-intake';
import { startMllpServer } from '../../electron/intake/hl7/mllp-server';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { KeyringStore } from '../../electron/vault/keyring-store';

async function main(): Promise<void> {
  const [dataDir, portArg] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: hl7-bench-node-child DATA_DIR [PORT]');
  const log = pino({ level: process.env['HDMS_CHILD_LOG'] ?? 'silent' });
  const keyring = await new KeyringStore(dataDir).read();
  if (keyring === null) throw new Error(`no vault in ${dataDir}`);
  const storage = await openVaultStorage(dataDir, log);
  const sealer = await createBodySealer(Buffer.from(keyring.intakePublicKey, 'base64url'));
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await openHl7Dedupe({ file: path.join(dataDir, 'vault', 'intake', 'hl7-dedupe.jsonl') });
  const intake = createHl7Intake({ ingest: pipeline.ingest, quarantine: pipeline.quarantine, dedupe, log });
  const server = await startMllpServer({
    port: Number(portArg ?? 0),
    handler: (frame, peer) => intake.handleFrame(frame, peer),
    onOversize: (head, bytes, peer) => intake.handleOversize(head, bytes, peer),
    log,
  });
  process.stdout.write(`listening ${server.port}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await server.close();
      await dedupe.close();
      await storage.close();
      process.stdout.write(`closed ${storage.journal.lastSeq}\n`);
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
