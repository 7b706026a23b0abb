// A node's HL7 intake in its own process, for the flood/crash test, the MLLP benchmark and the
// mllp_send interop test: the vault's storage, the sealed intake pipeline, the HL7 intake and the
// MLLP listener, composed the way the body composes them. Usage:
//   node --import tsx test/integration/hl7-node-child.ts DATA_DIR [PORT]
// DATA_DIR must hold a vault (keys.json, see test/support/vault-keyring.ts). Prints
// "listening PORT" once the listener is up; SIGTERM closes it cleanly, SIGKILL is the crash.
// TODO(lead): once the body starts the listener itself (startBody + mllp port), run startBody here.
import { createHash } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { createHl7Intake } from '../../electron/intake/hl7/hl7-intake';
import { openHl7Dedupe } from '../../electron/intake/hl7/hl7-duplicates';
import { startMllpServer } from '../../electron/intake/hl7/mllp-server';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { createSealer } from '../../shared/crypto/envelope';

async function main(): Promise<void> {
  const [dataDir, portArg] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: hl7-node-child DATA_DIR [PORT]');
  const log = pino({ level: process.env['HDMS_CHILD_LOG'] ?? 'silent' });
  const keyring = await new KeyringStore(dataDir).read();
  if (keyring === null) throw new Error(`no vault in ${dataDir}`);
  const storage = await openVaultStorage(dataDir, log);
  const sealer = await createSealer(Buffer.from(keyring.intakePublicKey, 'base64url'));
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await openHl7Dedupe({ file: path.join(dataDir, 'vault', 'intake', 'hl7-dedupe.jsonl') });
  const encoder = new TextEncoder();
  const intake = createHl7Intake({
    ingest: (input) => pipeline.ingest(input),
    // Quarantine as the body will store it: the raw bytes sealed (inline) and the reason as sealed metadata.
    async quarantine(input) {
      const sealed = await sealer.seal('object', input.raw);
      const objectId = createHash('sha256').update(sealed).digest('hex');
      const meta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify({ v: 1, receivedAt: input.receivedAt.toISOString(), objectId, rawBytes: input.raw.length, quarantine: input.quarantine })));
      const { seq } = await storage.journal.append({ kind: 'intake.quarantine', objects: [objectId], meta, inline: [sealed] });
      return { seq, objectId };
    },
    dedupe,
    log,
  });
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
