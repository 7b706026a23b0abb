// A DICOM receiver alone in its own process, for the crash test (dicom-crash.test.ts): the vault
// storage in argv[2], listening on argv[3] (0 = any port), sealing to the intake public key in
// HDMS_CHILD_INTAKE_KEY (base64url). Prints "listening <port>"; SIGTERM closes it ("closed").
import path from 'node:path';
import pino from 'pino';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { DicomDedupe } from '../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer } from '../../electron/intake/dicom/dicom-server';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';

async function main(): Promise<void> {
  const [dataDir, portText] = process.argv.slice(2);
  const silent = pino({ level: 'silent' });
  const storage = await openVaultStorage(dataDir!, silent);
  const sealer = await createBodySealer(Buffer.from(process.env['HDMS_CHILD_INTAKE_KEY'] ?? '', 'base64url'));
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await DicomDedupe.open(path.join(dataDir!, 'vault', 'intake', 'dicom-dedupe'), storage.journal);
  const intake = createDicomNetworkIntake({ pipeline, dedupe });
  const server = await startDicomServer({ port: Number(portText ?? 0), aeTitle: 'HDMS', maxAssociations: 16, log: silent, cStore: async (request) => (await intake(request)).status });
  process.stdout.write(`listening ${server.port}\n`);
  process.on('SIGTERM', () => {
    void server
      .close()
      .then(() => storage.close())
      .then(() => {
        process.stdout.write('closed\n');
        process.exit(0);
      });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`dicom receiver child: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
