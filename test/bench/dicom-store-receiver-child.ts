// The DICOM receiver of the dicom-store bench, alone in its own process as Orthanc is in its own:
// the bench's process spawns the storescu senders (fork+exec blocks its thread for tens of ms
// each on the bench machine) and must not charge that to the receiver. Built as the body builds
// it (dicom-receiver.ts): the intake pipeline over the vault storage in argv[2], the duplicate
// index, sealing to a fresh intake key. Prints "listening <port>"; prints its CPU time
// ("cpu <user µs> <system µs>") on SIGUSR2; SIGTERM closes it ("closed").
import path from 'node:path';
import pino from 'pino';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { DicomDedupe } from '../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer } from '../../electron/intake/dicom/dicom-server';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { generateP256KeyPair } from '../../shared/crypto/p256-keys';

async function main(): Promise<void> {
  const dataDir = process.argv[2]!;
  const silent = pino({ level: 'silent' });
  const storage = await openVaultStorage(dataDir, silent);
  const { publicKeyRaw } = await generateP256KeyPair();
  const sealer = await createBodySealer(publicKeyRaw);
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await DicomDedupe.open(path.join(dataDir, 'vault', 'intake', 'dicom-dedupe'), storage.journal);
  const intake = createDicomNetworkIntake({ pipeline, dedupe });
  const server = await startDicomServer({ port: 0, aeTitle: 'HDMS', maxAssociations: 16, log: silent, cStore: async (request) => (await intake(request)).status });
  process.stdout.write(`listening ${server.port}\n`);
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`cpu ${user} ${system}\n`);
  });
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
  process.stderr.write(`dicom-store receiver: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
